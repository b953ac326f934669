"""The theme table (sortable) and each theme's evidence: quotes with their source and respondent."""

from __future__ import annotations

import math

from feedbackiq.report._growth import Growth
from feedbackiq.report._html import DASH, chips, esc, lang_attr, num, pct, section, sort_value
from feedbackiq.types import Quote, Theme, ThemeReport

__all__ = ["theme_table_section", "theme_quotes_section", "growth_text", "SORT_COLUMNS"]

_SOURCE_LABEL = {"survey": "survey", "review": "review", "sales_note": "sales", "support_ticket": "support", "other": "other"}
# (key, header, sort type) in column order; a first click sorts numbers largest first, text A-Z.
SORT_COLUMNS = [("id", "#", "number"), ("name", "Theme (keywords)", "text"), ("respondents", "Respondents", "number"),
                ("items", "Items", "number"), ("growth", "Growth", "number"), ("rating", "Mean rating", "number"),
                ("deal", "Deal value", "number"), ("negative", "Negative", "number")]


def growth_text(g: Growth | None) -> tuple[str, str]:
    """(cell text, tooltip) for a theme's growth."""
    if g is None or g.change is None:
        return DASH, "too little dated feedback for a trend (needs 6 months, and 5 items of the theme in the last 6)"
    tip = (f"{pct(g.recent_share, 1)} of all items in {g.recent[0]}..{g.recent[1]} vs "
           f"{pct(g.previous_share, 1)} in {g.previous[0]}..{g.previous[1]}")
    if g.change == math.inf:
        return "new", tip
    return f"{'+' if g.change >= 0 else ''}{100 * g.change:.0f}%", tip


def _negative_share(t: Theme) -> float | None:
    total = sum(t.by_sentiment.values())
    return t.by_sentiment.get("negative", 0) / total if total else None


def _row(t: Theme, color: str, g: Growth | None) -> str:
    gtext, gtip = growth_text(g)
    neg = _negative_share(t)
    cells = [
        f'<td class="n" data-sort="{t.id}">{t.id}</td>',
        f'<td data-sort="{esc(t.name)}"><span class="dot" style="background:{color}"></span>'
        f'<a href="#theme-{t.id}">{esc(t.name)}</a><div class="kw">{esc(", ".join(t.keywords[:6]))}</div></td>',
        f'<td class="n" data-sort="{t.respondents}">{num(t.respondents)} <span class="muted">({pct(t.respondent_share)})</span></td>',
        f'<td class="n" data-sort="{t.size}">{num(t.size)}</td>',
        f'<td class="n" data-sort="{sort_value(g.change if g else None)}" title="{esc(gtip)}">{esc(gtext)}</td>',
        f'<td class="n" data-sort="{sort_value(t.mean_rating)}">{num(t.mean_rating, 2)}</td>',
        f'<td class="n" data-sort="{sort_value(t.deal_value)}">{num(t.deal_value)}</td>',
        f'<td class="n" data-sort="{sort_value(neg)}">{pct(neg)}</td>',
    ]
    return f'<tr data-theme="{t.id}">{"".join(cells)}</tr>'


def theme_table_section(report: ThemeReport, colors: dict[int, str], growth: dict[int, Growth | None]) -> str:
    head = "".join(f'<th class="{"n" if kind == "number" else "t"}" data-sort-type="{kind}" data-key="{k}">'
                   f'<button type="button">{esc(h)}</button></th>' for k, h, kind in SORT_COLUMNS)
    rows = "".join(_row(t, colors[t.id], growth.get(t.id)) for t in report.themes)
    foot = ""
    if report.other:
        o = report.other
        foot = (f'<tfoot><tr><td></td><td><span class="dot" style="background:{colors[-1]}"></span>'
                f'<a href="#theme-{o.id}">{esc(o.name)}</a></td><td class="n">{num(o.respondents)}</td>'
                f'<td class="n">{num(o.size)}</td><td colspan="4"></td></tr></tfoot>')
    note = f'<p class="note"><strong>{esc(report.note)}</strong></p>' if report.note else ""
    body = (f'{note}<table id="theme-table" class="sortable"><thead><tr>{head}</tr></thead><tbody>{rows}</tbody>{foot}</table>'
            '<p class="note">Growth: the theme\'s share of all items in the last 3 months of the data vs its share in '
            'the 3 months before (hover a cell for both shares). Negative: share of its items with a low rating or '
            'negative wording. Deal value: sum of deal amounts in the sales notes of the theme.</p>')
    return section("themes", "Need themes",
                   "Each row is one need customers voiced, biggest first. Click a column header to sort by it "
                   "(again to reverse); click a theme for its quotes.", body)


def _quote(q: Quote, language: str | None) -> str:
    who = f" · {esc(q.respondent_id)}" if q.respondent_id else ""
    return (f'<blockquote class="quote"><p{lang_attr(language)}>{esc(q.text)}</p>'
            f'<footer><span class="src src-{esc(q.source.value)}">{esc(_SOURCE_LABEL.get(q.source.value, q.source.value))}'
            f'</span>{who} · <code>{esc(q.item_id)}</code></footer></blockquote>')


def _theme_card(t: Theme, color: str, languages: dict[str, str]) -> str:
    facts = [f"{num(t.respondents)} respondents ({pct(t.respondent_share)})", f"{num(t.size)} items"]
    if t.mean_rating is not None:
        facts.append(f"mean rating {num(t.mean_rating, 2)}")
    if t.deal_value:
        facts.append(f"deal value {num(t.deal_value)}")
    facts.append("sources: " + ", ".join(f"{_SOURCE_LABEL.get(k, k)} {v}" for k, v in
                                          sorted(t.by_source.items(), key=lambda kv: -kv[1])))
    parts = [f'<article class="theme" id="theme-{t.id}"><h3><span class="dot" style="background:{color}"></span>'
             f"{esc(t.name)}</h3><p class=\"facts\">{esc(' · '.join(facts))}</p>"]
    if t.need_statement:
        parts.append(f'<p class="need"><b>Need:</b> {esc(t.need_statement)}</p>')
    if t.moscow:
        parts.append(f'<p class="need"><b>Priority suggestion:</b> {esc(t.moscow)}'
                     f'{" — " + esc(t.moscow_rationale) if t.moscow_rationale else ""}</p>')
    if t.label_note:
        parts.append(f'<p class="muted">{esc(t.label_note)}</p>')
    parts.append(f'<div class="chips">{chips(t.keywords[:10])}</div>')
    parts.append("".join(_quote(q, languages.get(q.item_id)) for q in t.quotes))
    if t.subthemes:
        parts.append('<p class="muted">Sub-themes: ' + esc("; ".join(f"{s.name} ({s.size} items)" for s in t.subthemes)) + "</p>")
    return "".join(parts) + "</article>"


def theme_quotes_section(report: ThemeReport, colors: dict[int, str]) -> str:
    languages = {it.id: it.language for it in report.feedback.items} if report.feedback else {}
    themes = [*report.themes, *([report.other] if report.other else [])]
    body = "".join(_theme_card(t, colors.get(t.id, colors[-1]), languages) for t in themes)
    return section("quotes", "What customers said, theme by theme",
                   "Verbatim quotes chosen to be typical of the theme and different from each other, with where each "
                   "came from (survey, review or sales note) and who said it.", body)
