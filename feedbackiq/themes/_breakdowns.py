"""Per-item columns for the theme breakdowns: read every item once, then count any theme with numpy.

Why: a million-item set has hundreds of themes and more sub-themes, and every item is in one theme
and one sub-theme. Counting voices, segments, sources, sentiment, months and languages item by item
in Python for each of them was slow (evals/README.md, "Scale: 1M rows end to end"); here each item is
read once into integer codes,
and a theme's breakdowns are ``np.unique``/``np.bincount`` over its rows. The output is exactly what
the item-by-item count gives (same numbers, same key order: tested against it in
tests/test_themes_breakdowns.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from feedbackiq._voice import sentiment_of
from feedbackiq.types import FeedbackItem, SourceKind

__all__ = ["ItemColumns", "segment_voices", "SHORT_QUOTE"]

_NO_CODE = -1
SHORT_QUOTE = 12   # characters: shorter answers ("bad") are poor evidence


def _codes(values: Sequence[Any]) -> tuple[np.ndarray, list]:
    """Integer code per value (``-1`` for None) and the distinct values, in first-seen order."""
    import pandas as pd

    codes, uniques = pd.factorize(np.asarray(values, dtype=object), use_na_sentinel=True)
    return codes.astype(np.int64, copy=False), list(uniques)


class ItemColumns:
    """Integer codes per item for everything a theme's breakdowns count.

    Build with :meth:`from_items`; :meth:`breakdowns` gives one theme's counts from its item
    indices. Voices are :func:`~feedbackiq._voice.voice_of`'s: the respondent or account
    id, else the item itself (a respondent id spelled ``"item:<id>"`` is that item's voice).

    Examples
    --------
    >>> from feedbackiq.types import FeedbackItem
    >>> items = [FeedbackItem(id="a", text="slow sync", source="review", rating=1, segments={"plan": "pro"}),
    ...          FeedbackItem(id="b", text="love it", source="review", rating=5, respondent_id="u1"),
    ...          FeedbackItem(id="c", text="sync fails", source="review", rating=2, respondent_id="u1",
    ...                       segments={"plan": "free"})]
    >>> cols = ItemColumns.from_items(items, {"": 5.0})
    >>> cols.n_voices(np.arange(3)), cols.breakdowns(np.array([0, 2]))["by_segment"]
    (2, {'plan': {'free': 1, 'pro': 1}})
    """

    def __init__(self, items: Sequence[FeedbackItem], voice: np.ndarray, segments: dict[str, tuple[np.ndarray, list[str]]],
                 source: tuple[np.ndarray, list[str]], sentiment: tuple[np.ndarray, list[str]],
                 period: tuple[np.ndarray, list[str]], language: tuple[np.ndarray, list[str]],
                 rating: np.ndarray, deal_value: np.ndarray, short_text: np.ndarray) -> None:
        self.items = items
        self.voice = voice
        self.segments = segments
        self.source = source
        self.sentiment = sentiment
        self.period = period
        self.language = language
        self.rating = rating
        self.deal_value = deal_value
        self.short_text = short_text
        # Voice codes run below this (codes of voices merged by the "item:<id>" spelling leave gaps).
        self._voice_span = int(voice.max()) + 1 if len(voice) else 1

    @classmethod
    def from_items(cls, items: Sequence[FeedbackItem], rating_scales: dict[str, float],
                   text_row: np.ndarray | None = None) -> ItemColumns:
        """Read ``items`` once.

        Parameters
        ----------
        items : sequence of FeedbackItem
        rating_scales : dict
            Largest rating per input file (:func:`~feedbackiq._voice.rating_scales`).
        text_row : ndarray of int, optional
            Each item's distinct text (``embed_distinct``'s inverse): the sentiment lexicon then
            runs once per distinct text instead of once per item.
        """
        import pandas as pd   # here, not at import: pandas loads pyarrow

        n = len(items)
        voice = _voices(items)
        segments = _segment_columns(items)
        source = _codes([it.source.value for it in items])
        language = _codes([it.language for it in items])
        period = _periods([it.created_at for it in items])
        ratings = [it.rating for it in items]
        rating = np.array([np.nan if r is None else r for r in ratings], dtype=float)
        source_code = {v: i for i, v in enumerate(source[1])}
        is_review = source[0] == source_code.get(SourceKind.REVIEW.value, -2)
        is_sales = source[0] == source_code.get(SourceKind.SALES_NOTE.value, -2)
        deal = np.array([np.nan if it.deal_value is None else it.deal_value for it in items], dtype=float)
        deal[~is_sales] = np.nan
        stars = rating.copy()
        stars[~is_review] = np.nan
        # Sentiment: the rating on its file's scale where there is one, else the lexicon (once per text).
        names = ["negative", "neutral", "positive"]
        senti = np.empty(n, dtype=np.int64)
        by_text: dict[int, int] = {}
        for i, it in enumerate(items):
            scale = rating_scales.get(it.origin.file if it.origin else "") if it.rating is not None else None
            if scale:
                senti[i] = names.index(sentiment_of(it, scale))
                continue
            key = int(text_row[i]) if text_row is not None else -1
            code = by_text.get(key) if key >= 0 else None
            if code is None:
                code = names.index(sentiment_of(it, None))
                if key >= 0:
                    by_text[key] = code
            senti[i] = code
        # Renumbered in first-seen order of the three names, as a Counter over the items lists them.
        codes, seen = pd.factorize(senti)
        sentiment = (codes.astype(np.int64, copy=False), [names[s] for s in seen])
        short = np.fromiter((len(it.text) < SHORT_QUOTE for it in items), dtype=bool, count=n)
        return cls(items, voice, segments, source, sentiment, period, language, stars, deal, short)

    def n_voices(self, idx: np.ndarray) -> int:
        """Distinct voices among the items ``idx``."""
        return len(np.unique(self.voice[idx]))

    def breakdowns(self, idx: np.ndarray) -> dict[str, Any]:
        """``by_segment`` (voices), ``by_source``, ``by_sentiment``, ``by_period``, ``by_language``
        (items), ``mean_rating`` (review stars) and ``deal_value`` (sales notes) of the items ``idx``."""
        voice = self.voice[idx]
        stars = self.rating[idx]
        stars = stars[~np.isnan(stars)]
        deals = self.deal_value[idx]
        deals = deals[~np.isnan(deals)]
        return {
            "by_segment": self._by_segment(idx, voice),
            "by_source": _counts(self.source, idx),
            "by_sentiment": _counts(self.sentiment, idx),
            "by_period": dict(sorted(_counts(self.period, idx).items())),
            "by_language": _counts(self.language, idx),
            "mean_rating": float(np.mean(stars)) if len(stars) else None,
            "deal_value": float(np.sum(deals)) if len(deals) else None,
        }

    def _by_segment(self, idx: np.ndarray, voice: np.ndarray) -> dict[str, dict[str, int]]:
        found = []
        for col, (codes, values) in self.segments.items():
            sub = codes[idx]
            present = sub >= 0
            if not present.any():
                continue
            first = int(np.argmax(present))
            found.append(((first, list(self.items[int(idx[first])].segments).index(col)), col,
                          _voices_per_value(sub[present], voice[present], self._voice_span, values)))
        # Columns in the order the items first show them; values sorted.
        return {col: dict(sorted(vals.items())) for _, col, vals in sorted(found, key=lambda f: f[0])}


def segment_voices(items: Sequence[FeedbackItem]) -> dict[str, dict[str, int]]:
    """Distinct voices per segment column and value among all ``items``: what ``by_segment`` counts
    for a theme, for the whole set (the report's segment sizes). Columns and values in first-seen order.

    >>> from feedbackiq.types import FeedbackItem
    >>> segment_voices([FeedbackItem(id="a", text="x", source="review", segments={"plan": "pro"}),
    ...                 FeedbackItem(id="b", text="y", source="review", respondent_id="u1", segments={"plan": "pro"}),
    ...                 FeedbackItem(id="c", text="z", source="review", respondent_id="u1", segments={"plan": "pro"})])
    {'plan': {'pro': 2}}
    """
    if not items:
        return {}
    voice = _voices(items)
    span = int(voice.max()) + 1
    out = {}
    for col, (codes, values) in _segment_columns(items).items():
        present = codes >= 0
        out[col] = _voices_per_value(codes[present], voice[present], span, values)
    return out


def _voices_per_value(codes: np.ndarray, voice: np.ndarray, voice_span: int, values: list[str]) -> dict[str, int]:
    """Distinct voices per value of one segment column (rows that have a value; codes < ``len(values)``)."""
    pairs = np.unique(codes * voice_span + voice)
    per_value = np.bincount(pairs // voice_span, minlength=len(values))
    return {values[v]: int(per_value[v]) for v in np.nonzero(per_value)[0]}


def _counts(column: tuple[np.ndarray, list[str]], idx: np.ndarray) -> dict[str, int]:
    """Items per value among ``idx`` (``-1``: no value, not counted), in first-seen order."""
    codes, values = column
    sub = codes[idx]
    sub = sub[sub >= 0]
    if not len(sub):
        return {}
    uniq, first, count = np.unique(sub, return_index=True, return_counts=True)
    order = np.argsort(first, kind="stable")
    return {values[uniq[i]]: int(count[i]) for i in order}


def _voices(items: Sequence[FeedbackItem]) -> np.ndarray:
    """A code per item for its voice: its respondent id, else its own id (``"item:<id>"``)."""
    import pandas as pd

    respondent = [it.respondent_id or None for it in items]
    named = np.array([r is not None for r in respondent])
    codes = np.empty(len(items), dtype=np.int64)
    named_codes, named_values = _codes([r for r in respondent if r is not None])
    anon_codes, anon_values = _codes([it.id for it, r in zip(items, respondent) if r is None])
    codes[named] = named_codes
    codes[~named] = anon_codes + len(named_values)
    spelled = [i for i, r in enumerate(named_values) if r.startswith("item:")]
    if spelled and anon_values:   # a respondent id spelled like an item's own voice is that voice
        at = pd.Index(anon_values).get_indexer([named_values[i][5:] for i in spelled])
        remap = np.arange(len(named_values) + len(anon_values))
        for i, a in zip(spelled, at):
            if a >= 0:
                remap[i] = len(named_values) + a
        codes = remap[codes]
    return codes


def _segment_columns(items: Sequence[FeedbackItem]) -> dict[str, tuple[np.ndarray, list[str]]]:
    """Per segment column: a value code per item (``-1``: the item has none) and the values.

    Ingest shares one segments mapping among items with the same values, so each distinct mapping
    is read once.
    """
    mapping_of: dict[int, int] = {}
    mappings: list[dict[str, str]] = []
    per_item = np.empty(len(items), dtype=np.int64)
    for i, it in enumerate(items):
        seg = it.segments
        m = mapping_of.get(id(seg))
        if m is None:
            m = len(mappings)
            mappings.append(seg)
            mapping_of[id(seg)] = m
        per_item[i] = m
    columns: dict[str, dict[str, int]] = {}
    for seg in mappings:
        for col, val in seg.items():
            columns.setdefault(col, {}).setdefault(val, len(columns[col]))
    out = {}
    for col, values in columns.items():
        table = np.array([values.get(seg[col], _NO_CODE) if col in seg else _NO_CODE for seg in mappings], dtype=np.int64)
        out[col] = (table[per_item], list(values))
    return out


def _periods(dates: Sequence[Any]) -> tuple[np.ndarray, list[str]]:
    """Month code per item (``-1``: no date) and the ``"YYYY-MM"`` labels."""
    import pandas as pd

    month = np.fromiter((d.year * 100 + d.month if d is not None else _NO_CODE for d in dates), dtype=np.int64, count=len(dates))
    codes, uniques = pd.factorize(month, use_na_sentinel=False)
    codes = codes.astype(np.int64)
    first = np.unique(codes, return_index=True)[1]   # codes are numbered in first-seen order
    labels = [None if m == _NO_CODE else f"{dates[int(first[c])]:%Y-%m}" for c, m in enumerate(uniques.tolist())]
    if None in labels:   # "no date" is not a period
        codes = np.where(codes == labels.index(None), _NO_CODE, codes)
    return codes, labels
