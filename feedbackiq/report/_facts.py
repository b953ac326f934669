"""Every item read once into integer codes (need, theme, voice, source, month, segments, sentiment,
ratings, deal), and the page's filter options (a source, a segment value, a quarter) as item masks.

Groups: ``0..K-1`` are the report's needs (``report.needs`` order), ``K..K+P-1`` its non-need
groups (praise and small talk), ``K+P`` the items in no theme ("other").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from feedbackiq._voice import rating_scales
from feedbackiq.report._growth import month_axis
from feedbackiq.report._money import Currency
from feedbackiq.themes import ItemColumns
from feedbackiq.types import SourceKind, ThemeReport

__all__ = ["ItemFacts", "Option", "Distinct", "SOURCE_NAMES", "MAX_SEGMENT_VALUES", "MIN_FILTER", "nps_class"]

SOURCE_NAMES = {"survey": "Survey answers", "review": "App reviews", "sales_note": "Sales notes",
                "support_ticket": "Support tickets", "other": "Other sources"}
# Wider heatmaps and filter lists stop being readable; a long tail (40 countries) is noted, not offered,
# and a segment value of fewer respondents than MIN_FILTER is no filter option (too few to read anything into).
MAX_SEGMENT_VALUES = 12
MIN_FILTER = 10


def nps_class(score: float) -> int:
    """0 detractor (0-6), 1 passive (7-8), 2 promoter (9-10), on the 0-10 "would you recommend" scale.

    >>> [nps_class(s) for s in (0, 6, 7, 8, 9, 10)]
    [0, 0, 1, 1, 2, 2]
    """
    return 0 if score <= 6 else 1 if score <= 8 else 2


@dataclass(frozen=True)
class Option:
    """One choice of the page's filter: ``kind`` is all / source / segment / period."""

    id: int
    kind: str
    label: str
    group: str = ""                 # the heading it is listed under ("Source", a segment column, "Period")
    column: str | None = None       # segment options: the column
    code: int = -1                  # the source, segment value or first month code it selects
    months: tuple[int, ...] = ()    # period options: month codes on the axis


class Distinct:
    """Distinct (key, voice) pairs, counted per key under any item mask in one pass (no sort per mask).

    >>> d = Distinct(np.array([0, 0, 1, 1]), np.array([5, 5, 5, 6]), 2)
    >>> d.count(np.ones(4, bool)).tolist(), d.count(np.array([True, False, False, True])).tolist()
    ([1, 2], [1, 1])
    """

    def __init__(self, key: np.ndarray, voice: np.ndarray, n_keys: int, where: np.ndarray | None = None) -> None:
        self.n_keys = n_keys
        self.where = where                     # items that count at all (e.g. those with a segment value)
        span = int(voice.max()) + 1 if len(voice) else 1
        combo = key.astype(np.int64) * span + voice
        if where is not None:
            combo = np.where(where, combo, -1)
        pairs, inverse = np.unique(combo, return_inverse=True)
        self.inverse = inverse.astype(np.int32) if len(pairs) < 2**31 else inverse   # one per item: half the memory
        self.key_of_pair = np.where(pairs >= 0, pairs // span, n_keys)   # n_keys: items that do not count

    def present(self, mask: np.ndarray) -> np.ndarray:
        seen = np.zeros(len(self.key_of_pair), dtype=bool)
        seen[self.inverse[mask]] = True
        return seen

    def count(self, mask: np.ndarray) -> np.ndarray:
        return np.bincount(self.key_of_pair[self.present(mask)], minlength=self.n_keys + 1)[: self.n_keys]


class ItemFacts:
    """The report's items as codes, built once; :meth:`mask` gives the items an :class:`Option` keeps."""

    def __init__(self, report: ThemeReport, currency: Currency) -> None:
        items = report.feedback.items
        self.n = n = len(items)
        self.needs, self.non_needs = list(report.needs), list(report.non_needs)
        k, p = len(self.needs), len(self.non_needs)
        self.n_groups, self.other_group = k + p + 1, k + p
        self.themes = list(report.themes)
        # By theme: a theme's need is the need listing it (also for reports whose assignments carry no need_id).
        group_of = {t: i for i, nd in enumerate([*self.needs, *self.non_needs]) for t in nd.theme_ids}
        theme_pos = {t.id: i for i, t in enumerate(self.themes)}
        by_item = None if report.assignments_in_item_order() else {a.item_id: a for a in report.assignments}
        theme_ids = [a.theme_id for a in report.assignments] if by_item is None else \
            [a.theme_id if (a := by_item.get(it.id)) is not None else -1 for it in items]
        self.group = np.fromiter((group_of.get(t, self.other_group) for t in theme_ids), dtype=np.int64, count=n)
        self.theme = np.fromiter((theme_pos.get(t, -1) for t in theme_ids), dtype=np.int64, count=n)

        scales = rating_scales(items)
        cols = ItemColumns.from_items(items, scales)
        self.voice = cols.voice
        self.source, self.source_values = cols.source
        self.segments = {c: (codes, values) for c, (codes, values) in cols.segments.items()}
        sentiment, names = cols.sentiment
        self.negative = sentiment == (names.index("negative") if "negative" in names else -2)
        period, labels = cols.period
        self.months = month_axis([m for m in labels if m])
        self.last_day = max((it.created_at for it in items if it.created_at is not None), default=None)
        at = {m: i for i, m in enumerate(self.months)}
        remap = np.array([at.get(m, -1) if m else -1 for m in labels] + [-1], dtype=np.int64)
        self.month = remap[period] if len(labels) else np.full(n, -1, dtype=np.int64)

        review = self.source == (self.source_values.index(SourceKind.REVIEW.value)
                                 if SourceKind.REVIEW.value in self.source_values else -2)
        self.stars = np.where(review, cols.rating, np.nan)   # ItemColumns keeps review stars only
        # NPS: 0-10 ratings of other sources (a file whose ratings go above 5: "would you recommend us").
        self.nps = np.full(n, -1, dtype=np.int8)
        for i, it in enumerate(items):
            if it.rating is not None and not review[i] and 0 <= it.rating <= 10 \
                    and scales.get(it.origin.file if it.origin else "", 0) > 5:
                self.nps[i] = nps_class(it.rating)
        self._deals(items, cols.deal_value, currency)

    def _deals(self, items, deal_value: np.ndarray, currency: Currency) -> None:
        """Open and lost deal amounts: converted into the report's currency, or kept apart per currency."""
        self.deal_main = np.full(self.n, np.nan)
        self.deal_apart = np.full(self.n, np.nan)
        self.apart_code = np.full(self.n, -1, dtype=np.int64)
        self.apart_currencies: list[str] = []
        self.foreign_currencies: set[str] = set()            # named by an amount, not the report's own
        self.stage = np.zeros(self.n, dtype=np.int8)          # 1 open, 2 lost, 0 anything else
        for i in np.nonzero(~np.isnan(deal_value))[0]:
            it = items[i]
            self.stage[i] = {"open": 1, "lost": 2}.get(it.deal_stage or "", 0)
            named = it.metadata.get("deal_currency")
            if named and named != currency.code:
                self.foreign_currencies.add(named)
            apart, factor = currency.resolve(named)
            if apart is None:
                self.deal_main[i] = deal_value[i] * factor
            else:
                if apart not in self.apart_currencies:
                    self.apart_currencies.append(apart)
                self.apart_code[i] = self.apart_currencies.index(apart)
                self.deal_apart[i] = deal_value[i]

    # What the page has at all: a column it never has stays off the page (no column of dashes).
    @property
    def has_nps(self) -> bool:
        return bool((self.nps >= 0).any())

    @property
    def has_rating(self) -> bool:
        return bool((~np.isnan(self.stars)).any())

    @property
    def has_money(self) -> bool:
        return bool((self.stage > 0).any())

    def options(self, sizes: dict[str, np.ndarray]) -> list[Option]:
        """All feedback; each source (when there are several); the largest values of each segment column
        with ``MIN_FILTER`` respondents or more (``sizes``: respondents per value); each calendar quarter
        (when there are several)."""
        out = [Option(0, "all", "All feedback")]
        if len(self.source_values) > 1:
            for code in np.argsort(-np.bincount(self.source, minlength=len(self.source_values)), kind="stable"):
                name = self.source_values[int(code)]
                out.append(Option(len(out), "source", SOURCE_NAMES.get(name, name), "Source", code=int(code)))
        for col, (_, values) in self.segments.items():
            for code in np.argsort(-sizes[col], kind="stable")[:MAX_SEGMENT_VALUES]:
                if sizes[col][code] >= MIN_FILTER:
                    out.append(Option(len(out), "segment", values[int(code)], col, column=col, code=int(code)))
        quarters: dict[str, list[int]] = {}
        for i, m in enumerate(self.months):
            quarters.setdefault(f"{m[:4]} Q{(int(m[5:]) - 1) // 3 + 1}", []).append(i)
        if len(quarters) > 1:
            for label, months in quarters.items():
                out.append(Option(len(out), "period", label, "Period", months=tuple(months)))
        return out

    def mask(self, option: Option) -> np.ndarray:
        if option.kind == "source":
            return self.source == option.code
        if option.kind == "segment":
            return self.segments[option.column][0] == option.code
        if option.kind == "period":
            return np.isin(self.month, option.months)
        return np.ones(self.n, dtype=bool)

    def option_ids(self, i: int, options: list[Option]) -> list[int]:
        """The filter options item ``i`` is kept by (besides "All feedback")."""
        out = []
        for o in options[1:]:
            if (o.kind == "source" and self.source[i] == o.code
                    or o.kind == "segment" and self.segments[o.column][0][i] == o.code
                    or o.kind == "period" and self.month[i] in o.months):
                out.append(o.id)
        return out
