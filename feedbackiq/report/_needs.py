"""The need table: every need with its themes nested under it (its drill-down), and praise set apart.

Also the cell texts the first screen shares with it (how bad, trend, where strongest, money).
"""

from __future__ import annotations

from feedbackiq.report._context import Context
from feedbackiq.report._html import DASH, esc, num, pct, plural, section
from feedbackiq.report._stats import MIN_NPS, MIN_RATING, Stat, View
from feedbackiq.types import Need

__all__ = ["needs_section", "need_name", "severity", "severity_tip", "money_cell", "praise_line", "COLUMN_NOTES"]

COLUMN_NOTES = {
    "negative": "Negative: share of its items with a low rating (1-2 stars, 0-6 of 10) or negative wording.",
    "rating": f"Rating: mean app-review stars (shown from {MIN_RATING} ratings).",
    "nps": (f"NPS: promoters (9-10) minus detractors (0-6), in points, among its respondents who gave a 0-10 "
            f"\"would you recommend\" score (shown from {MIN_NPS})."),
    "trend": ("Trend: its share of each month's respondents in the last 3 months vs all the months before; "
              "rising or falling only when the change is beyond chance (95%), and \"too few to tell\" below 20 "
              "respondent-months."),
    "strongest": ("Strongest in: the segment value where it is most over-represented (at least 1.25x its share "
                  "among everyone with a value in that column; segments of 10+ respondents)."),
    "money": "Open / lost deals: deal values of open and of lost opportunities whose sales notes raise it.",
}


def need_name(need: Need, color: str, link: bool = True) -> str:
    label = esc(need.name)
    return (f'<span class="dot" style="background:{color}"></span>'
            + (f'<a href="#need-{need.id}">{label}</a>' if link else label))


def severity(s: Stat, ctx: Context) -> str:
    """``65% negative · 2.5★ · NPS −76``: the parts the data have."""
    parts = [f"{pct(s.negative)} negative" if s.negative is not None else None]
    if ctx.has_rating and s.rating is not None:
        parts.append(s.rating_text())
    if ctx.has_nps and s.nps is not None:
        parts.append(f"NPS {s.nps_text()}")
    return " · ".join(p for p in parts if p) or DASH


def severity_tip(s: Stat, ctx: Context) -> str:
    parts = [f"{pct(s.negative)} of its {num(s.items)} items are negative"] if s.negative is not None else []
    if ctx.has_rating:
        parts.append(f"mean review rating {s.rating:.2f} of 5 ({s.rating_n} ratings)" if s.rating is not None
                     else f"{s.rating_n} review ratings (too few for a mean)")
    if ctx.has_nps:
        parts.append(f"NPS {s.nps_text()} from {s.nps_n} respondents' 0-10 scores" if s.nps is not None
                     else f"{s.nps_n} respondents gave a 0-10 score (too few for an NPS)")
    return "; ".join(parts)


def money_cell(s: Stat, ctx: Context) -> str:
    """``open 932k · lost 106k`` (a dash for what is not there)."""
    if not (s.open or s.lost):
        return DASH
    return f"open {s.open.text(ctx.currency)} · lost {s.lost.text(ctx.currency)}"


def praise_line(v: View) -> str:
    items = v.praise_items()
    text = (f"{plural(items, 'item')} of praise and small talk set apart" if items
            else "No praise or small talk in this feedback")
    if v.other.items:
        text += f"; {num(v.other.items)} item{'s fit' if v.other.items != 1 else ' fits'} no theme (\"Other\")"
    return text + "."


def _columns(ctx: Context) -> list[tuple[str, str, str]]:
    """(key, header, sort type) of the table, without the measures the data never have."""
    cols = [("name", "Need (themes)", "text"), ("respondents", "Respondents", "number"),
            ("items", "Items", "number"), ("negative", "Negative", "number")]
    cols += [("rating", "Rating", "number")] if ctx.has_rating else []
    cols += [("nps", "NPS", "number")] if ctx.has_nps else []
    cols += [("trend", "Trend", "number"), ("strongest", "Strongest in", "text")]
    unit = f" ({ctx.currency.code})" if ctx.currency.code else ""
    cols += [("open", f"Open deals{unit}", "number"), ("lost", f"Lost deals{unit}", "number")] if ctx.has_money else []
    return cols


def _need_cells(ctx: Context, pos: int, need: Need) -> str:
    b = ctx.bind

    def stat(v: View) -> Stat:
        return v.needs[pos]

    cells = {  # built only for the columns the table has: each registers a filter binding
        "respondents": lambda: b.text(lambda v: (f"{num(stat(v).respondents)} ({pct(stat(v).share)})", stat(v).respondents), cls="n"),
        "items": lambda: b.text(lambda v: (num(stat(v).items), stat(v).items), cls="n"),
        "negative": lambda: b.text(lambda v: (pct(stat(v).negative), stat(v).negative), cls="n"),
        "rating": lambda: b.text(lambda v: (stat(v).rating_text(), stat(v).rating), cls="n",
                         title=lambda v: f"{stat(v).rating_n} review ratings"),
        "nps": lambda: b.text(lambda v: (stat(v).nps_text(), stat(v).nps), cls="n",
                      title=lambda v: f"{stat(v).nps_n} respondents with a 0-10 score"),
        "trend": lambda: b.text(lambda v: (stat(v).trend.text(), stat(v).trend.sort_value()), cls="trend",
                        title=lambda v: stat(v).trend.tip()),
        "strongest": lambda: b.text(lambda v: (stat(v).strongest.text() if stat(v).strongest else DASH,
                                       stat(v).strongest.text() if stat(v).strongest else None),
                            title=lambda v: stat(v).strongest.tip() if stat(v).strongest else "spread evenly across segments"),
        "open": lambda: b.text(lambda v: (stat(v).open.text(ctx.currency), stat(v).open.sort_value()), cls="n money",
                       title=lambda v: stat(v).open.text(ctx.currency, short=False)),
        "lost": lambda: b.text(lambda v: (stat(v).lost.text(ctx.currency), stat(v).lost.sort_value()), cls="n money",
                       title=lambda v: stat(v).lost.text(ctx.currency, short=False)),
    }
    n_themes = len(need.theme_ids)
    toggle = (f'<button type="button" class="expand" aria-expanded="false" title="show its themes">'
              f'{n_themes} theme{"s" if n_themes != 1 else ""}</button>' if n_themes else "")
    name = (f'<td data-sort="{esc(need.name)}">{need_name(need, ctx.colors[need.id])} {toggle}'
            f'<div class="kw">{esc(", ".join(need.keywords[:6]))}</div></td>')
    return name + "".join(cells[k]() for k, _, _ in _columns(ctx)[1:])


def _theme_rows(ctx: Context, need: Need, width: int) -> str:
    b = ctx.bind
    by_id = {t.id: t for t in ctx.report.themes}
    rows = []
    for tid in need.theme_ids:
        if tid not in by_id:
            continue
        t = by_id[tid]

        def stat(v: View, tid: int = tid) -> Stat:
            return v.themes.get(tid) or Stat()

        rows.append(f'<tr class="theme-row" data-theme="{tid}" hidden><td><a href="#theme-{tid}">{esc(t.name)}</a></td>'
                    + b.text(lambda v, s=stat: f"{num(s(v).respondents)} ({pct(s(v).share)})", cls="n")
                    + b.text(lambda v, s=stat: num(s(v).items), cls="n")
                    + b.text(lambda v, s=stat: pct(s(v).negative), cls="n")
                    + f'<td colspan="{width - 4}"></td></tr>')
    return "".join(rows)


def needs_section(ctx: Context) -> str:
    cols = _columns(ctx)
    head = "".join(f'<th class="{"t" if kind == "text" else "n"}" data-sort-type="{kind}" data-key="{k}">'
                   f'<button type="button">{esc(h)}</button></th>' for k, h, kind in cols)
    groups = "".join(f'<tbody class="need-group" data-need="{n.id}"><tr class="need-row">{_need_cells(ctx, i, n)}</tr>'
                     f"{_theme_rows(ctx, n, len(cols))}</tbody>" for i, n in enumerate(ctx.needs))
    note = f'<p class="note"><strong>{esc(ctx.report.note)}</strong></p>' if ctx.report.note else ""
    notes = [COLUMN_NOTES["negative"]] + [COLUMN_NOTES[k] for k in ("rating", "nps") if getattr(ctx, f"has_{k}")]
    notes += [COLUMN_NOTES["trend"], COLUMN_NOTES["strongest"]]
    if ctx.has_money:
        notes += [COLUMN_NOTES["money"] + " " + ctx.currency.describe(ctx.apart)]
    praise = ctx.bind.text(praise_line, tag="p", cls="praise")
    body = (f'{note}<div class="scroll"><table id="need-table" class="sortable grouped"><thead><tr>{head}</tr></thead>'
            f'{groups}</table></div>{praise}<p class="note">' + " ".join(esc(x) for x in notes) + "</p>")
    return section("needs", "Customer needs",
                   "Each row is one need, biggest first (in respondents); click its themes to see the ways customers "
                   "put it, a header to sort, a name for its quotes. Praise and small talk are never in this table.",
                   body)
