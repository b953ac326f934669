"""What the page says about each need under one filter: size, how bad, trend, where it is strongest, money.

One :class:`View` per filter option, computed from :class:`~feedbackiq.report._facts.ItemFacts`
(or, for a report saved without its items, from the needs' own breakdowns: :func:`view_from_report`).

Rules a reader relies on (the page states them too):

- respondents are distinct voices (a survey respondent, a reviewer, a sales account); shares are of
  the respondents the filter keeps;
- a trend compares the need's share of each month's respondents over the last ``WINDOW_MONTHS``
  months with its share in all the months before (as the cards' unowned demand does), needs
  ``WINDOW_MONTHS`` earlier months, and says nothing below ``MIN_TREND`` respondent-months in the
  two ("too few to tell"); "rising"/"falling" only when a two-proportion test puts the change
  outside chance at 95%;
- NPS needs ``MIN_NPS`` scored respondents, a mean rating ``MIN_RATING`` ratings;
- the strongest segment is the segment value (of at least ``MIN_SEGMENT`` respondents, ``MIN_VOICES``
  of them voicing the need) where the need's share is highest relative to everyone with a value in
  that column, when at least ``MIN_LIFT`` times as high.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from feedbackiq.report._facts import Distinct, ItemFacts, Option
from feedbackiq.report._growth import month_axis
from feedbackiq.report._html import DASH, pct
from feedbackiq.report._money import MoneySum
from feedbackiq.types import ThemeReport

__all__ = ["Stat", "Trend", "Strongest", "View", "Views", "view_from_report", "trend_of", "WINDOW_MONTHS", "MIN_TREND", "MIN_NPS",
           "MIN_RATING", "MIN_SEGMENT", "MIN_VOICES", "MIN_LIFT"]

WINDOW_MONTHS = 3
MIN_TREND = 20
MIN_NPS = 10
MIN_RATING = 5
MIN_SEGMENT = 10
MIN_VOICES = 5
MIN_LIFT = 1.25
_Z95 = 1.959963984540054


@dataclass
class Trend:
    """A need's share of respondents, recent months vs the months before (see the module docstring)."""

    state: str                  # rising / falling / steady / new / too_few / few_months
    change: float | None = None
    recent: int = 0             # respondent-months voicing the need in the recent window
    previous: int = 0           # ... in all the months before
    recent_share: float | None = None
    previous_share: float | None = None
    windows: tuple[str, str, str, str] | None = None   # earlier first/last, recent first/last month

    def text(self) -> str:
        """``↑ +45% rising``, ``+8% no clear change``, ``too few to tell``.

        >>> Trend("rising", 0.45).text(), Trend("steady", -0.08).text(), Trend("too_few").text()
        ('↑ +45% rising', '−8% no clear change', 'too few to tell')
        """
        if self.state == "few_months":
            return "too few months"
        if self.state == "too_few":
            return "too few to tell"
        if self.state == "new":
            return "↑ new"
        figure = f"{'+' if self.change >= 0 else '−'}{abs(100 * self.change):.0f}%"
        return {"rising": f"↑ {figure} rising", "falling": f"↓ {figure} falling"}.get(self.state, f"{figure} no clear change")

    def tip(self) -> str:
        if self.state == "few_months":
            return f"needs {2 * WINDOW_MONTHS} months of dated feedback"
        w = self.windows
        counts = (f"{self.previous} respondent-months in {w[0]}..{w[1]}, {self.recent} in {w[2]}..{w[3]}" if w else "")
        if self.state == "too_few":
            return f"fewer than {MIN_TREND} respondent-months voice it ({counts})"
        return (f"{pct(self.previous_share, 1)} of each month's respondents in {w[0]}..{w[1]}, "
                f"{pct(self.recent_share, 1)} in {w[2]}..{w[3]} ({counts})")

    def sort_value(self) -> float | None:
        if self.state in ("too_few", "few_months"):
            return None
        return math.inf if self.state == "new" else self.change


@dataclass
class Strongest:
    column: str
    value: str
    share: float
    overall: float
    voices: int
    size: int

    def text(self) -> str:
        return f"{self.value} ({self.column})"

    def tip(self) -> str:
        return (f"{self.voices} of {self.size} respondents in {self.column} = {self.value} voice it "
                f"({pct(self.share)}), against {pct(self.overall)} of everyone with a {self.column}")


@dataclass
class Stat:
    """One need (or theme) under one filter."""

    respondents: int = 0
    share: float | None = None
    items: int = 0
    negative: float | None = None
    rating: float | None = None
    rating_n: int = 0
    nps: float | None = None
    nps_n: int = 0
    open: MoneySum = field(default_factory=MoneySum)
    lost: MoneySum = field(default_factory=MoneySum)
    monthly: list[int] = field(default_factory=list)
    trend: Trend | None = None
    strongest: Strongest | None = None

    def rating_text(self) -> str:
        return DASH if self.rating is None else f"{self.rating:.1f}★"

    def nps_text(self) -> str:
        return DASH if self.nps is None else f"{self.nps:+.0f}".replace("-", "−")


@dataclass
class View:
    """The whole page's numbers under one filter option."""

    option: Option
    respondents: int
    items: int
    months: list[str]
    month_totals: list[int]            # respondents with feedback in each month
    needs: list[Stat]                  # report.needs order
    non_needs: list[Stat]
    other: Stat
    themes: dict[int, Stat]
    segments: dict[str, tuple[list[str], list[int] | None, np.ndarray]]   # column -> values, sizes, needs x values

    def ranked(self) -> list[int]:
        """Need positions, most respondents first (report order among ties)."""
        return sorted(range(len(self.needs)), key=lambda i: -self.needs[i].respondents)

    def praise_items(self) -> int:
        return sum(s.items for s in self.non_needs)


def trend_of(monthly: np.ndarray, totals: np.ndarray, months: list[str]) -> Trend:
    """A need's trend from its respondents per month (``monthly``) and everyone's (``totals``) on the axis ``months``."""
    have = np.nonzero(totals)[0]
    if len(have) == 0 or have[-1] - have[0] + 1 < 2 * WINDOW_MONTHS:
        return Trend("few_months")
    end = have[-1] + 1
    rec, prev = slice(end - WINDOW_MONTHS, end), slice(have[0], end - WINDOW_MONTHS)
    n_r, n_p, t_r, t_p = int(monthly[rec].sum()), int(monthly[prev].sum()), int(totals[rec].sum()), int(totals[prev].sum())
    windows = (months[prev.start], months[prev.stop - 1], months[rec.start], months[rec.stop - 1])
    out = Trend("too_few", None, n_r, n_p, n_r / t_r if t_r else None, n_p / t_p if t_p else None, windows)
    if n_r + n_p < MIN_TREND or not t_r or not t_p:
        return out
    if n_p == 0:
        out.state = "new"
        return out
    out.change = out.recent_share / out.previous_share - 1
    pooled = (n_r + n_p) / (t_r + t_p)
    se = math.sqrt(pooled * (1 - pooled) * (1 / t_r + 1 / t_p))
    z = (out.recent_share - out.previous_share) / se if se else 0.0
    out.state = "rising" if z >= _Z95 else "falling" if z <= -_Z95 else "steady"
    return out


def _strongest(column: str, values: list[str], sizes: np.ndarray, voices: np.ndarray, known: int, base: int) -> Strongest | None:
    """The value of ``column`` where the need is most over-represented (``voices``: its voices per value;
    ``base`` of the ``known`` respondents with a value voice it)."""
    if not known or not base:
        return None
    overall = base / known
    best = None
    for v in np.nonzero((sizes >= MIN_SEGMENT) & (voices >= MIN_VOICES))[0]:
        share = voices[v] / sizes[v]
        if share >= MIN_LIFT * overall and (best is None or share > best.share):
            best = Strongest(column, values[v], float(share), overall, int(voices[v]), int(sizes[v]))
    return best


def _money(facts: ItemFacts, keep: np.ndarray, stage: int) -> list[MoneySum]:
    """Sum of deal values per group of the items ``keep`` at ``stage`` (1 open, 2 lost)."""
    g = facts.n_groups
    at = keep & (facts.stage == stage)
    main_at = at & ~np.isnan(facts.deal_main)
    main = np.bincount(facts.group[main_at], weights=facts.deal_main[main_at], minlength=g)
    notes = np.bincount(facts.group[at], minlength=g)
    out = [MoneySum(float(main[i]), {}, int(notes[i])) for i in range(g)]
    for c, code in enumerate(facts.apart_currencies):
        sel = at & (facts.apart_code == c)
        for i, v in enumerate(np.bincount(facts.group[sel], weights=facts.deal_apart[sel], minlength=g)):
            if v:
                out[i].apart[code] = float(v)
    return out


class Views:
    """Distinct-voice counters built once over the items, then one :class:`View` per filter option."""

    def __init__(self, facts: ItemFacts) -> None:
        self.facts = f = facts
        g, m = f.n_groups, max(len(f.months), 1)
        dated = f.month >= 0
        self._all = Distinct(np.zeros(f.n, dtype=np.int64), f.voice, 1)
        self._groups = Distinct(f.group, f.voice, g)
        self._themes = Distinct(np.maximum(f.theme, 0), f.voice, len(f.themes), where=f.theme >= 0)
        self._monthly = Distinct(f.group * m + np.maximum(f.month, 0), f.voice, g * m, where=dated)
        self._month_totals = Distinct(np.maximum(f.month, 0), f.voice, m, where=dated)
        # Each respondent's NPS class, on the (group, voice) pair it belongs to.
        self._nps_of_pair = np.full(len(self._groups.key_of_pair), -1, dtype=np.int8)
        scored = f.nps >= 0
        self._nps_of_pair[self._groups.inverse[scored]] = f.nps[scored]
        self._segments = {}
        for col, (codes, values) in f.segments.items():
            has = codes >= 0
            v = len(values)
            self._segments[col] = (Distinct(f.group * v + np.maximum(codes, 0), f.voice, g * v, where=has),
                                   Distinct(np.maximum(codes, 0), f.voice, v, where=has),
                                   Distinct(f.group, f.voice, g, where=has),
                                   Distinct(np.zeros(f.n, dtype=np.int64), f.voice, 1, where=has))

    def segment_sizes(self) -> dict[str, np.ndarray]:
        keep = np.ones(self.facts.n, dtype=bool)
        return {col: d[1].count(keep) for col, d in self._segments.items()}

    def view(self, option: Option) -> View:
        f = self.facts
        keep = f.mask(option)
        g, m = f.n_groups, max(len(f.months), 1)
        total = int(self._all.count(keep)[0])
        voices = self._groups.count(keep)
        items = np.bincount(f.group[keep], minlength=g)
        negative = np.bincount(f.group[keep], weights=f.negative[keep].astype(float), minlength=g)
        rated = keep & ~np.isnan(f.stars)
        stars_n = np.bincount(f.group[rated], minlength=g)
        stars_sum = np.bincount(f.group[rated], weights=f.stars[rated], minlength=g)
        pairs = self._groups.present(keep) & (self._nps_of_pair >= 0)
        nps = np.zeros((g, 3))
        np.add.at(nps, (self._groups.key_of_pair[pairs], self._nps_of_pair[pairs]), 1)
        monthly = self._monthly.count(keep).reshape(g, m)
        totals = self._month_totals.count(keep)
        open_, lost = _money(f, keep, 1), _money(f, keep, 2)
        columns = {}
        strongest: dict[int, list[Strongest]] = {}
        for col, (by_value, sizes_d, base_d, known_d) in self._segments.items():
            values = f.segments[col][1]
            per = by_value.count(keep).reshape(g, len(values))
            sizes = sizes_d.count(keep)
            columns[col] = (values, sizes.tolist(), per)
            if option.column == col:
                continue   # within one value of a column, that column says nothing
            base, known = base_d.count(keep), int(known_d.count(keep)[0])
            for i in range(g):
                if (s := _strongest(col, values, sizes, per[i], known, int(base[i]))) is not None:
                    strongest.setdefault(i, []).append(s)
        stats = []
        for i in range(g):
            n_nps = int(nps[i].sum())
            stats.append(Stat(
                respondents=int(voices[i]), share=voices[i] / total if total else None, items=int(items[i]),
                negative=negative[i] / items[i] if items[i] else None,
                rating=stars_sum[i] / stars_n[i] if stars_n[i] >= MIN_RATING else None, rating_n=int(stars_n[i]),
                nps=100 * (nps[i, 2] - nps[i, 0]) / n_nps if n_nps >= MIN_NPS else None, nps_n=n_nps,
                open=open_[i], lost=lost[i], monthly=monthly[i].tolist(), trend=trend_of(monthly[i], totals, f.months),
                strongest=max(strongest.get(i, []), key=lambda s: s.share / s.overall, default=None)))
        theme_voices = self._themes.count(keep)
        in_theme = keep & (f.theme >= 0)
        t_items = np.bincount(f.theme[in_theme], minlength=len(f.themes))
        t_neg = np.bincount(f.theme[in_theme], weights=f.negative[in_theme].astype(float), minlength=len(f.themes))
        themes = {t.id: Stat(respondents=int(theme_voices[j]), share=theme_voices[j] / total if total else None,
                             items=int(t_items[j]), negative=t_neg[j] / t_items[j] if t_items[j] else None)
                  for j, t in enumerate(f.themes)}
        k = len(f.needs)
        return View(option, total, int(keep.sum()), f.months, totals.tolist(), stats[:k], stats[k:g - 1], stats[g - 1],
                    themes, {c: (v, s, per[:k]) for c, (v, s, per) in columns.items()})


def view_from_report(report: ThemeReport) -> View:
    """The "All feedback" view of a report saved without its items: from the needs' own breakdowns
    (months count items, not respondents; no NPS, no open/lost split, no segment sizes)."""
    groups = [*report.needs, *report.non_needs, *([report.other] if report.other else [])]
    months = month_axis([p for grp in groups for p in grp.by_period])
    monthly = np.array([[grp.by_period.get(mo, 0) for mo in months] for grp in groups] or [[]], dtype=np.int64)
    totals = monthly.sum(axis=0) if len(groups) else np.zeros(len(months), dtype=np.int64)

    def stat(grp) -> Stat:
        neg = sum(grp.by_sentiment.values())
        row = monthly[groups.index(grp)] if months else np.zeros(0, dtype=np.int64)
        return Stat(respondents=grp.respondents, share=grp.respondent_share, items=grp.size,
                    negative=grp.by_sentiment.get("negative", 0) / neg if neg else None, rating=grp.mean_rating,
                    monthly=row.tolist(), trend=trend_of(row, totals, months))

    columns = {}
    for col in dict.fromkeys(c for nd in report.needs for c in nd.by_segment):
        values = sorted({v for nd in report.needs for v in nd.by_segment.get(col, {})})
        per = np.array([[nd.by_segment.get(col, {}).get(v, 0) for v in values] for nd in report.needs])
        columns[col] = (values, None, per)
    other = stat(report.other) if report.other else Stat()
    return View(Option(0, "all", "All feedback"), report.n_respondents, report.n_items, months, totals.tolist(),
                [stat(nd) for nd in report.needs], [stat(nd) for nd in report.non_needs], other,
                {t.id: Stat(respondents=t.respondents, share=t.respondent_share, items=t.size) for t in report.themes},
                columns)
