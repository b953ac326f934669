"""Unowned demand: needs no card target covers that are large, growing, or costing deals.

A need is listed when no target matched it and at least one holds:

- ``large``: its respondent share is at least ``UNOWNED_MIN_SHARE`` (2% of all respondents);
- ``growing``: its share of all items in the last ``RECENT_MONTHS`` months with data is at least
  ``GROWTH_FACTOR`` times its share before, with at least ``MIN_RECENT_ITEMS`` recent items (shares,
  not counts, so a month with more feedback overall does not look like growth);
- ``lost_deals``: sales notes citing it were lost for at least ``LOST_SHARE`` (10%) of all lost-deal
  value (the classic story: sales keep hearing a need the plan never included).

Only needs are demand: praise, thanks and small talk (``report.non_needs``) are never listed, and
the items in no theme ("other") count in the totals only.
"""

from __future__ import annotations

from collections import Counter

from feedbackiq.types import SourceKind, ThemeReport, UnownedNeed

__all__ = ["find_unowned", "UNOWNED_MIN_SHARE", "RECENT_MONTHS", "GROWTH_FACTOR", "MIN_RECENT_ITEMS", "LOST_SHARE"]

UNOWNED_MIN_SHARE = 0.02
RECENT_MONTHS = 3
GROWTH_FACTOR = 1.5
MIN_RECENT_ITEMS = 5
LOST_SHARE = 0.10


def find_unowned(report: ThemeReport, owned: set[int]) -> list[UnownedNeed]:
    """Unowned needs (``owned``: the need ids some target matched), most lost-deal value first, then most
    respondents."""
    items = report.feedback.items if report.feedback else []
    need_of_theme = {tid: n.id for n in (*report.needs, *report.non_needs) for tid in n.theme_ids}
    need_of = {a.item_id: need_of_theme.get(a.theme_id) for a in report.assignments}
    month_of = {it.id: f"{it.created_at:%Y-%m}" for it in items if it.created_at}
    months = sorted(set(month_of.values()))
    recent = set(months[-RECENT_MONTHS:]) if len(months) > RECENT_MONTHS else set()
    totals = Counter("recent" if m in recent else "earlier" for m in month_of.values())
    per_need: dict[int | None, Counter] = {}
    for i, m in month_of.items():
        per_need.setdefault(need_of.get(i), Counter())["recent" if m in recent else "earlier"] += 1
    lost: Counter = Counter()
    deals: Counter = Counter()
    for it in items:
        if it.source == SourceKind.SALES_NOTE and it.deal_value is not None:
            deals[need_of.get(it.id)] += it.deal_value
            if it.deal_stage == "lost":
                lost[need_of.get(it.id)] += it.deal_value
    all_lost = sum(lost.values())
    out = []
    for n in report.needs:
        if n.id in owned or n.kind != "need":
            continue
        per = per_need.get(n.id, Counter())
        growth = None
        if recent and totals["earlier"] and totals["recent"] and per["earlier"]:
            growth = round((per["recent"] / totals["recent"]) / (per["earlier"] / totals["earlier"]), 3)
        reasons = []
        if n.respondent_share >= UNOWNED_MIN_SHARE:
            reasons.append("large")
        if per["recent"] >= MIN_RECENT_ITEMS and (growth is None or growth >= GROWTH_FACTOR):
            reasons.append("growing")
        if all_lost and lost[n.id] >= LOST_SHARE * all_lost:
            reasons.append("lost_deals")
        if reasons:
            out.append(UnownedNeed(need_id=n.id, name=n.name, theme_ids=list(n.theme_ids), respondents=n.respondents,
                                   respondent_share=n.respondent_share, growth=growth, recent_items=per["recent"],
                                   deal_value=deals[n.id], lost_deal_value=lost[n.id], reasons=reasons,
                                   quotes=n.quotes[:2]))
    return sorted(out, key=lambda u: (-u.lost_deal_value, -u.respondents))
