"""Needs rebuilt from a report and a new grouping of its themes, without finding the themes again.

A regrouping proposed after ``find_themes`` (:func:`feedbackiq.llm.propose_regrouping`) changes which
need each theme belongs to; the needs are then described again as ``find_themes`` describes them
(:func:`~feedbackiq.themes._need_report.build_needs`: sizes, breakdowns, keywords, quotes, offline
names). That takes the vectors of the report's texts: the caller's (a run's embed stage holds them),
or the report's embedding model's, whose disk cache makes that a look-up for texts it embedded before.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from feedbackiq._errors import ConfigError, InputError
from feedbackiq._tokenize import tokenize
from feedbackiq._voice import rating_scales
from feedbackiq.embed import Embedder
from feedbackiq.themes._api import _keywords_by_text, _main_language, embed_distinct
from feedbackiq.themes._breakdowns import ItemColumns
from feedbackiq.themes._need_report import build_needs
from feedbackiq.types import ThemeReport

__all__ = ["report_vectors", "item_labels", "theme_sums", "rebuild_needs"]

_BLOCK = 65_536


def report_vectors(report: ThemeReport, vectors: np.ndarray | None = None,
                   embedder: Embedder | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Unit vectors of the report's distinct texts (in order of first appearance) and each item's row.

    Parameters
    ----------
    report : ThemeReport
        With its feedback attached.
    vectors : ndarray, optional
        One vector per distinct text, in order of first appearance (what a run's embed stage holds).
    embedder : Embedder, optional
        Used when ``vectors`` is not given; default the one ``find_themes`` picks for these items, which
        must be the model the report was made with.
    """
    if report.feedback is None:
        raise InputError("the report has no feedback attached: needs cannot be rebuilt without its items")
    items = report.feedback.items
    if vectors is None:
        from feedbackiq.embed import default_embedder

        embedder = embedder or default_embedder(report.feedback)
        made_with = report.model_ids.get("embedding")
        if made_with and embedder.model_id != made_with:
            raise ConfigError(f"the report's themes were found with {made_with!r}, not {embedder.model_id!r}: "
                              "pass that model as embedder=, or the run's vectors as vectors=")
        vectors, inverse = embed_distinct(items, embedder)
    else:
        row: dict[str, int] = {}
        inverse = np.fromiter((row.setdefault(it.text, len(row)) for it in items), dtype=np.int64, count=len(items))
        if len(vectors) != len(row):
            raise InputError(f"{len(vectors)} vectors for {len(row)} distinct texts: pass one vector per distinct text, "
                             "in order of first appearance")
    vectors = np.asarray(vectors, dtype=np.float32)
    return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12), inverse


def item_labels(report: ThemeReport) -> np.ndarray:
    """Each item's theme (``-1``: "other"), in the order of ``report.feedback.items``."""
    items = report.feedback.items if report.feedback is not None else []
    if report.assignments_in_item_order():
        return np.fromiter((a.theme_id for a in report.assignments), dtype=np.int64, count=len(items))
    theme_of = {a.item_id: a.theme_id for a in report.assignments}
    return np.fromiter((theme_of.get(it.id, -1) for it in items), dtype=np.int64, count=len(items))


def theme_sums(labels: np.ndarray, Xu: np.ndarray, inverse: np.ndarray, n_themes: int) -> np.ndarray:
    """Each theme's summed item vectors (row = theme id), a block of items at a time: a million items'
    vectors are never gathered at once."""
    sums = np.zeros((n_themes, Xu.shape[1]))
    keep = np.flatnonzero(labels >= 0)
    keep = keep[np.argsort(labels[keep], kind="stable")]
    for start in range(0, len(keep), _BLOCK):
        idx = keep[start:start + _BLOCK]
        lab = labels[idx]
        starts = np.r_[0, np.flatnonzero(np.diff(lab)) + 1]
        sums[lab[starts]] += np.add.reduceat(Xu[inverse[idx]], starts, axis=0)
    return sums


def rebuild_needs(report: ThemeReport, need_of_theme: np.ndarray, Xu: np.ndarray, inverse: np.ndarray,
                  names: Mapping[int, str] | None = None, kinds: Mapping[int, str] | None = None) -> ThemeReport:
    """A copy of ``report`` whose needs are ``need_of_theme``'s groups of its themes, described anew.

    ``need_of_theme`` gives each theme id a group label; ``names`` and ``kinds`` (by label) keep a
    name or a kind (praise stays praise), as a team's override does. Need ids are given again,
    largest need first; themes, assignments and everything else are the report's.
    """
    items = report.feedback.items
    labels = item_labels(report)
    columns = ItemColumns.from_items(items, rating_scales(items), text_row=inverse)
    first_item = np.unique(inverse, return_index=True)[1]
    tokens = [tokenize(items[i].text) for i in first_item.tolist()]

    def keywords_of(group: np.ndarray) -> dict[int, list[str]]:
        idx = np.flatnonzero(group >= 0)
        return _keywords_by_text(group[idx], inverse[idx], tokens) if len(idx) else {}

    themes = [t.model_copy(deep=True) for t in report.themes]
    language = report.parameters.get("language") or _main_language(items)
    seed = int(report.parameters.get("random_state") or 0)
    needs, non_needs, need_of_item = build_needs(np.asarray(need_of_theme), labels, themes, columns, Xu, inverse,
                                                 keywords_of, columns.n_voices(np.arange(len(items))), language, seed,
                                                 dict(names or {}), dict(kinds or {}))
    need_of = dict(zip((it.id for it in items), need_of_item.tolist()))
    assignments = [a.model_copy(update={"need_id": g if (g := need_of.get(a.item_id, -1)) >= 0 else None})
                   for a in report.assignments]
    return report.model_copy(update={"themes": themes, "needs": needs, "non_needs": non_needs,
                                     "assignments": assignments})
