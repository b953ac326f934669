"""Unowned demand: themes no card target covers that are large, growing, or costing deals.

A theme is listed when no target matched it and at least one holds:

- ``large``: its respondent share is at least ``UNOWNED_MIN_SHARE`` (2% of all respondents);
- ``growing``: its share of all items in the last ``RECENT_MONTHS`` months with data is at least
  ``GROWTH_FACTOR`` times its share before, with at least ``MIN_RECENT_ITEMS`` recent items (shares,
  not counts, so a month with more feedback overall does not look like growth);
- ``lost_deals``: sales notes citing it were lost for at least ``LOST_SHARE`` (10%) of all lost-deal
  value (the classic story: sales keep hearing a need the plan never included).

Themes where most items are positive (praise, thanks) are not demand and are never listed.
"""

from __future__ import annotations

from collections import Counter

from feedbackiq.types import SourceKind, ThemeReport, UnownedTheme

__all__ = ["find_unowned", "UNOWNED_MIN_SHARE", "RECENT_MONTHS", "GROWTH_FACTOR", "MIN_RECENT_ITEMS", "LOST_SHARE"]

UNOWNED_MIN_SHARE = 0.02
RECENT_MONTHS = 3
GROWTH_FACTOR = 1.5
MIN_RECENT_ITEMS = 5
LOST_SHARE = 0.10


def find_unowned(report: ThemeReport, owned: set[int]) -> list[UnownedTheme]:
    """Unowned themes, most lost-deal value first, then most respondents."""
    items = report.feedback.items if report.feedback else []
    theme_of = {a.item_id: a.theme_id for a in report.assignments}
    month_of = {it.id: f"{it.created_at:%Y-%m}" for it in items if it.created_at}
    months = sorted(set(month_of.values()))
    recent = set(months[-RECENT_MONTHS:]) if len(months) > RECENT_MONTHS else set()
    totals = Counter("recent" if m in recent else "earlier" for m in month_of.values())
    per_theme: dict[int | None, Counter] = {}
    for i, m in month_of.items():
        per_theme.setdefault(theme_of.get(i), Counter())["recent" if m in recent else "earlier"] += 1
    lost: Counter = Counter()
    deals: Counter = Counter()
    for it in items:
        if it.source == SourceKind.SALES_NOTE and it.deal_value is not None:
            deals[theme_of.get(it.id)] += it.deal_value
            if it.deal_stage == "lost":
                lost[theme_of.get(it.id)] += it.deal_value
    all_lost = sum(lost.values())
    out = []
    for t in report.themes:
        if t.id in owned or t.by_sentiment.get("positive", 0) * 2 > t.size:
            continue
        per = per_theme.get(t.id, Counter())
        growth = None
        if recent and totals["earlier"] and totals["recent"] and per["earlier"]:
            growth = round((per["recent"] / totals["recent"]) / (per["earlier"] / totals["earlier"]), 3)
        reasons = []
        if t.respondent_share >= UNOWNED_MIN_SHARE:
            reasons.append("large")
        if per["recent"] >= MIN_RECENT_ITEMS and (growth is None or growth >= GROWTH_FACTOR):
            reasons.append("growing")
        if all_lost and lost[t.id] >= LOST_SHARE * all_lost:
            reasons.append("lost_deals")
        if reasons:
            out.append(UnownedTheme(theme_id=t.id, name=t.name, respondents=t.respondents, respondent_share=t.respondent_share,
                                    growth=growth, recent_items=per["recent"], deal_value=deals[t.id],
                                    lost_deal_value=lost[t.id], reasons=reasons, quotes=t.quotes[:2]))
    return sorted(out, key=lambda u: (-u.lost_deal_value, -u.respondents))
