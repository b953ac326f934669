"""Describe each theme: keywords, representative quotes, size and breakdowns.

Sizes count distinct voices (respondent or account id; an item without one is
its own voice), because demand is about how many customers, not how many rows.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TypeVar

import numpy as np

from feedbackiq.themes._breakdowns import SHORT_QUOTE, ItemColumns
from feedbackiq.types import FeedbackItem, Need, Quote, Theme

G = TypeVar("G", Theme, Need)

__all__ = ["representative_quotes", "describe_theme", "describe_group", "keyword_name"]


def representative_quotes(texts: Sequence[str], X: np.ndarray, centroid: np.ndarray, k: int = 5,
                          diversity: float = 0.5, near_duplicate: float = 0.9, short: np.ndarray | None = None) -> list[int]:
    """Indices of up to ``k`` quotes, central AND diverse (maximal marginal relevance).

    A candidate too similar (cosine >= ``near_duplicate``) to a chosen quote, or with
    the same normalised text, is never chosen. ``short`` (optional) marks the texts shorter than
    ``SHORT_QUOTE`` characters, when the caller knows it: ``texts`` is then read only for the
    200 candidates nearest the centroid.
    """
    if len(texts) == 0:
        return []
    rel = X @ centroid
    # Very short answers are used only when nothing longer exists.
    if short is None:
        short = np.fromiter((len(t) < SHORT_QUOTE for t in texts), dtype=bool, count=len(texts))
    order_pool = np.where(~short)[0] if (~short).sum() >= min(k, 3) else np.arange(len(texts))
    chosen: list[int] = []
    seen_text: set[str] = set()
    pool = _nearest(order_pool, rel, 200)
    # Normalised only for the pool (all a pick can come from): a theme can hold a million texts.
    norm_text = {i: re.sub(r"\W+", "", texts[i].lower()) for i in pool}
    while pool and len(chosen) < k:
        if chosen:
            sim_chosen = (X[pool] @ X[chosen].T).max(axis=1)
            mmr = (1 - diversity) * rel[pool] - diversity * sim_chosen
            ranked = [pool[i] for i in np.argsort(-mmr, kind="stable")]
        else:
            ranked = pool
        pick = None
        for cand in ranked:
            if norm_text[cand] in seen_text:
                continue
            if chosen and float((X[chosen] @ X[cand]).max()) >= near_duplicate:
                continue
            pick = cand
            break
        if pick is None:
            break
        chosen.append(pick)
        seen_text.add(norm_text[pick])
        pool.remove(pick)
    return chosen


def _nearest(rows: np.ndarray, rel: np.ndarray, k: int) -> list[int]:
    """The ``k`` of ``rows`` (ascending) with the highest ``rel``, highest first, ties in row order:
    ``rows[np.argsort(-rel[rows], kind="stable")][:k]`` without sorting a million-item theme."""
    r = -rel[rows]
    if len(rows) > 2 * k:
        kth = np.partition(r, k - 1)[k - 1]
        keep = r <= kth            # every tie at the k-th value stays, so the stable order is the same
        rows, r = rows[keep], r[keep]
    return rows[np.argsort(r, kind="stable")][:k].tolist()


def keyword_name(keywords: Sequence[str], n: int = 3) -> str:
    """A readable name from keywords, skipping words already inside a chosen phrase."""
    picked: list[str] = []
    for kw in keywords:
        if any(kw in p or p in kw for p in picked):
            continue
        picked.append(kw)
        if len(picked) == n:
            break
    return " / ".join(picked) if picked else "(no keywords)"


def describe_theme(theme_id: int, idx: np.ndarray, columns: ItemColumns, X: np.ndarray, centroid: np.ndarray,
                   keywords: list[str], total_voices: int) -> Theme:
    """Build a :class:`Theme` from its items (``columns.items[i]`` for ``i`` in ``idx``) and their
    embeddings (rows of ``X``, in ``idx`` order)."""
    return describe_group(Theme, theme_id, idx, columns, X, centroid, keywords, total_voices)


def describe_group(cls: type[G], group_id: int, idx: np.ndarray, columns: ItemColumns, X: np.ndarray,
                   centroid: np.ndarray, keywords: list[str], total_voices: int) -> G:
    """A :class:`Theme` or :class:`Need` (``cls``) described from its items, as :func:`describe_theme`."""
    items = columns.items
    voices = columns.n_voices(idx)
    quotes_idx = representative_quotes(_TextsOf(items, idx), X, centroid, short=columns.short_text[idx])
    quoted = [items[int(idx[i])] for i in quotes_idx]
    return cls(
        id=group_id,
        name=keyword_name(keywords),
        keywords=keywords,
        quotes=[Quote(item_id=it.id, text=it.text, source=it.source, respondent_id=it.respondent_id) for it in quoted],
        size=len(idx),
        respondents=voices,
        respondent_share=voices / total_voices if total_voices else 0.0,
        **columns.breakdowns(idx),
    )


class _TextsOf(Sequence):
    """The texts of ``items[i] for i in idx``, read only when asked (a theme may hold 1M items)."""

    def __init__(self, items: Sequence[FeedbackItem], idx: np.ndarray) -> None:
        self.items, self.idx = items, idx

    def __len__(self) -> int:
        return len(self.idx)

    def __getitem__(self, i):
        return self.items[int(self.idx[i])].text
