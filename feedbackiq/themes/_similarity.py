"""How close in meaning a text is to each theme, in the vector space the report was built in.

Shared by everything that matches words written by people (a feature description, a KPI-card
target) to the need themes found in the feedback. A theme is represented by one document: its
name, top keywords and representative quotes, which says more than the name alone.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from feedbackiq.embed import Embedder
from feedbackiq.types import Theme, ThemeReport

__all__ = ["report_embedder", "theme_document", "theme_similarities"]


def report_embedder(report: ThemeReport) -> Embedder:
    """The (cached) embedder of the model the report's themes were computed with.

    Texts must be compared in the report's own vector space: the multilingual model when the
    report used it (Chinese feedback), MiniLM otherwise.
    """
    from feedbackiq.embed import embedder_name_for, make_embedder

    return make_embedder(embedder_name_for(report.model_ids.get("embedding", "")) or "minilm")


def theme_document(theme: Theme) -> str:
    """Name, top 8 keywords and 3 quotes of a theme, as one text to embed."""
    return " ".join([theme.name.replace(" / ", " "), *theme.keywords[:8], *(q.text for q in theme.quotes[:3])])


def theme_similarities(texts: Sequence[str], report: ThemeReport, embedder: Embedder | None = None) -> np.ndarray:
    """Cosine similarity of each text (rows) to each of ``report.themes`` (columns).

    Parameters
    ----------
    texts : sequence of str
    report : ThemeReport
    embedder : Embedder, optional
        Default :func:`report_embedder`; any embedder returning L2-normalised vectors works.

    Returns
    -------
    numpy.ndarray
        Shape ``(len(texts), len(report.themes))``.
    """
    texts = list(texts)
    if not texts or not report.themes:
        return np.zeros((len(texts), len(report.themes)), dtype=np.float32)
    emb = embedder or report_embedder(report)
    vecs = emb.embed([*texts, *(theme_document(t) for t in report.themes)])
    return vecs[: len(texts)] @ vecs[len(texts):].T
