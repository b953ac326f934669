"""Segment x need heatmap: which customer segments voice which needs (praise is not a need: not here)."""

from __future__ import annotations

from feedbackiq.report._context import Context
from feedbackiq.report._facts import MAX_SEGMENT_VALUES
from feedbackiq.report._html import esc, num, section
from feedbackiq.report._needs import need_name
from feedbackiq.report._stats import View

__all__ = ["heatmap_section", "MAX_SEGMENT_VALUES"]


def _cell(v: View, column: str, value: str, pos: int) -> tuple:
    """(text, count, shade, tooltip) of one need in one segment value, under the view's filter."""
    values, sizes, per = v.segments.get(column, ([], None, None))
    if value not in values or per is None:
        return "0", 0, 0.0, ""
    j = values.index(value)
    n = int(per[pos][j])
    size = sizes[j] if sizes is not None else None
    if size is None:   # without the items there are no segment sizes: shade by count
        peak = int(per.max()) or 1
        return num(n), n, n / peak, f"{n} respondents"
    share = n / size if size else None
    # Shade by the share of the segment that voices the need, so small segments are not washed out.
    return (f"{100 * share:.0f}%" if share is not None else "—", n, min(1.0, share / 0.25) if share else 0.0,
            f"{n} of {size} respondents in {value} voice this need")


def _table(ctx: Context, column: str, hidden: bool) -> str:
    values, sizes, _ = ctx.bind.default.segments[column]
    order = sorted(range(len(values)), key=lambda j: (-(sizes[j] if sizes else 0), values[j]))
    cut = len(order) - MAX_SEGMENT_VALUES
    shown = [values[j] for j in order[:MAX_SEGMENT_VALUES]]
    head = "".join(f'<th class="n">{esc(val)}<div class="muted">'
                   + ctx.bind.text(lambda v, val=val: _size(v, column, val), tag="span") + "</div></th>" for val in shown)
    rows = "".join(f'<tr><th>{need_name(n, ctx.colors[n.id])}</th>'
                   + "".join(ctx.bind.text(lambda v, val=val, i=i: _cell(v, column, val, i), cls="hm n") for val in shown)
                   + "</tr>" for i, n in enumerate(ctx.needs))
    more = f'<p class="note">{cut} smaller values of {esc(column)} not shown.</p>' if cut > 0 else ""
    return (f'<div class="heatmap" data-column="{esc(column)}"{" hidden" if hidden else ""}><div class="scroll">'
            f'<table class="hm-table"><thead><tr><th>need \\ {esc(column)}</th>{head}</tr></thead><tbody>{rows}</tbody>'
            f"</table></div>{more}</div>")


def _size(v: View, column: str, value: str) -> str:
    values, sizes, _ = v.segments.get(column, ([], None, None))
    return num(sizes[values.index(value)]) if sizes is not None and value in values else ""


def heatmap_section(ctx: Context) -> str | None:
    columns = list(ctx.bind.default.segments)
    if not columns or not ctx.needs:
        return None
    options = "".join(f'<option value="{esc(c)}">{esc(c)}</option>' for c in columns)
    tables = "".join(_table(ctx, c, hidden=i > 0) for i, c in enumerate(columns))
    body = (f'<label class="control">Segment column <select id="heatmap-column">{options}</select></label>{tables}'
            '<p class="note">Cell: share of the segment\'s respondents who voice the need (the number under each '
            "segment is its respondents). Darker = more of that segment. Praise and small talk are not needs and "
            "are not in this table.</p>")
    return section("heatmap", "Who voices which need",
                   "Pick a segment column; read down a column to see what that segment cares about most, across a "
                   "row to see which segments a need comes from.", body)
