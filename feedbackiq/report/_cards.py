"""KPI cards: the scorecard (each card's evidence vs its target) and demand no card owns."""

from __future__ import annotations

import math
from typing import Any

from feedbackiq.report._html import DASH, esc, num, pct, section, sort_value
from feedbackiq.types import ThemeReport

__all__ = ["scorecard_section", "unowned_section", "STATUSES"]

STATUSES = {"pass": "on target", "fail": "off target", "unmatched": "no theme matches the card",
            "ambiguous": "several themes could be the card's", "no_data": "no data for the metric"}


def _value(v: Any) -> str:
    """A number as people read it (1,429,500 / 12.5 / 0.295); other values as text."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return DASH
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return esc(v)
    return num(v) if abs(v) >= 1000 or isinstance(v, int) else esc(f"{v:.3g}")


def _change(v: Any) -> str:
    """A relative change (0.35) as "+35%"."""
    if not isinstance(v, (int, float)) or isinstance(v, bool) or v != v:  # v != v: NaN
        return DASH
    return "new" if v == math.inf else f"{100 * v:+.0f}%"


def _theme_links(ids: Any, names: dict[int, str]) -> str:
    if not ids:
        return DASH
    return ", ".join(f'<a href="#theme-{int(i)}">{esc(names.get(int(i), f"#{i}"))}</a>' if str(i).lstrip("-").isdigit()
                     else esc(i) for i in ids)


def scorecard_section(rows: list[dict], report: ThemeReport) -> str:
    names = {t.id: t.name for t in report.themes}
    body_rows = []
    for r in rows:
        status = str(r.get("status") or "no_data")
        css = status if status in STATUSES else "unknown"
        ci = (f"{_value(r.get('ci_low'))} – {_value(r.get('ci_high'))}"
              if r.get("ci_low") is not None or r.get("ci_high") is not None else DASH)
        target = " ".join(x for x in (esc(r.get("direction") or ""), _value(r.get("target_value"))) if x and x != DASH) or DASH
        body_rows.append(
            f'<tr class="card-row" data-status="{esc(status)}"><td><b>{esc(r.get("card"))}</b>'
            f'<div class="muted">{esc(r.get("kind"))}</div></td><td>{esc(r.get("target"))}</td><td>{esc(r.get("metric"))}</td>'
            f'<td class="n">{_value(r.get("actual"))}</td><td class="n">{target}</td>'
            f'<td><span class="status status-{css}" title="{esc(STATUSES.get(status, ""))}">{esc(status)}</span></td>'
            f'<td class="n">{_value(r.get("ratio"))}</td><td class="n">{ci}</td>'
            f'<td>{_theme_links(r.get("themes"), names)}</td></tr>')
    legend = " · ".join(f'<span class="status status-{k}">{k}</span> {esc(v)}' for k, v in STATUSES.items())
    body = ('<table id="scorecard" class="plain"><thead><tr><th>Card</th><th>Target</th><th>Metric</th><th class="n">Actual</th>'
            '<th class="n">Target value</th><th>Status</th><th class="n">Actual / target</th><th class="n">95% interval</th>'
            f'<th>Evidence (themes)</th></tr></thead><tbody>{"".join(body_rows)}</tbody></table><p class="note">{legend}</p>')
    return section("scorecard", "KPI card scorecard",
                   "Each row is one PM/GTM card: the metric measured in the feedback, its target, and whether the "
                   "evidence meets it. The interval says how sure the measurement is; the themes are the evidence.", body)


def unowned_section(rows: list[dict], report: ThemeReport) -> str:
    body_rows = "".join(
        f'<tr><td data-sort="{esc(r.get("name"))}"><a href="#theme-{esc(r.get("theme_id"))}">{esc(r.get("name"))}</a></td>'
        f'<td class="n" data-sort="{sort_value(r.get("respondents"))}">{_value(r.get("respondents"))}</td>'
        f'<td class="n" data-sort="{sort_value(r.get("respondent_share"))}">{pct(r.get("respondent_share"))}</td>'
        f'<td class="n" data-sort="{sort_value(r.get("growth"))}">'
        f'{_change(r.get("growth"))}</td>'
        f'<td class="n" data-sort="{sort_value(r.get("deal_value"))}">{_value(r.get("deal_value"))}</td>'
        f'<td class="n" data-sort="{sort_value(r.get("lost_value"))}">{_value(r.get("lost_value"))}</td></tr>'
        for r in rows)
    head = "".join(f'<th class="{"t" if k == "text" else "n"}" data-sort-type="{k}"><button type="button">{h}</button></th>'
                   for h, k in (("Theme", "text"), ("Respondents", "number"), ("Share", "number"), ("Growth", "number"),
                                ("Deal value", "number"), ("Lost deals", "number")))
    body = (f'<table id="unowned" class="sortable"><thead><tr>{head}</tr></thead><tbody>{body_rows}</tbody></table>'
            '<p class="note">Lost deals: deal value of lost opportunities whose sales notes raise the need.</p>')
    return section("unowned", "Demand no card owns",
                   "Needs customers voice that no KPI card tracks yet, largest first: candidates for a new card or an "
                   "owner. Click a header to sort.", body)
