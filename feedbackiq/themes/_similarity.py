"""How close in meaning a text is to each need or theme, in the vector space the report was built in.

Shared by everything that matches words written by people (a feature description, a KPI-card
target) to the needs and themes found in the feedback. A group (a theme or a need) is represented by
one document: its name, top keywords and representative quotes, which says more than the name alone.

A need is as close to a text as its own document or the closest of its themes' documents, whichever
is closer: one need is voiced in several ways (in Chinese and in English, as cost or as coordination),
and the need's own quotes, drawn near its centroid, often speak only for its largest way.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from feedbackiq.embed import Embedder
from feedbackiq.types import Need, Theme, ThemeReport

__all__ = ["report_embedder", "group_document", "theme_document", "group_similarities", "theme_similarities",
           "need_similarities"]


def report_embedder(report: ThemeReport) -> Embedder:
    """The (cached) embedder of the model the report's themes were computed with.

    Texts must be compared in the report's own vector space: the multilingual model when the
    report used it (Chinese feedback), MiniLM otherwise.
    """
    from feedbackiq.embed import embedder_name_for, make_embedder

    return make_embedder(embedder_name_for(report.model_ids.get("embedding", "")) or "minilm")


def group_document(group: Theme | Need) -> str:
    """Name, top 8 keywords and 3 quotes of a theme or need, as one text to embed."""
    return " ".join([group.name.replace(" / ", " "), *group.keywords[:8], *(q.text for q in group.quotes[:3])])


theme_document = group_document


def group_similarities(texts: Sequence[str], groups: Sequence[Theme | Need], report: ThemeReport,
                       embedder: Embedder | None = None) -> np.ndarray:
    """Cosine similarity of each text (rows) to each group's document (columns).

    Parameters
    ----------
    texts : sequence of str
    groups : sequence of Theme or Need
    report : ThemeReport
        The report the groups come from (its embedding model is the default).
    embedder : Embedder, optional
        Default :func:`report_embedder`; any embedder returning L2-normalised vectors works.

    Returns
    -------
    numpy.ndarray
        Shape ``(len(texts), len(groups))``.
    """
    texts, groups = list(texts), list(groups)
    if not texts or not groups:
        return np.zeros((len(texts), len(groups)), dtype=np.float32)
    emb = embedder or report_embedder(report)
    vecs = emb.embed([*texts, *(group_document(g) for g in groups)])
    return vecs[: len(texts)] @ vecs[len(texts):].T


def theme_similarities(texts: Sequence[str], report: ThemeReport, embedder: Embedder | None = None) -> np.ndarray:
    """Cosine similarity of each text (rows) to each of ``report.themes`` (columns)."""
    return group_similarities(texts, report.themes, report, embedder)


def need_similarities(texts: Sequence[str], report: ThemeReport, embedder: Embedder | None = None) -> np.ndarray:
    """Similarity of each text (rows) to each of ``report.needs`` (columns; praise and small talk are no
    need and have no column): the larger of the need's own document and its closest theme's.

    Returns
    -------
    numpy.ndarray
        Shape ``(len(texts), len(report.needs))``.
    """
    texts = list(texts)
    themes = {t.id: t for t in report.themes}
    members = [[themes[i] for i in n.theme_ids if i in themes] for n in report.needs]
    flat = [t for ts in members for t in ts]
    sims = group_similarities(texts, [*report.needs, *flat], report, embedder)
    out = sims[:, : len(report.needs)].copy()
    start = len(report.needs)
    for j, ts in enumerate(members):
        if ts:
            out[:, j] = np.maximum(out[:, j], sims[:, start:start + len(ts)].max(axis=1))
        start += len(ts)
    return out
