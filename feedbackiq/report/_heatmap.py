"""Segment x theme heatmap: which customer segments voice which needs."""

from __future__ import annotations

from collections import defaultdict

from feedbackiq.report._html import esc, num, section
from feedbackiq.themes._breakdowns import segment_voices
from feedbackiq.types import ThemeReport

__all__ = ["heatmap_section", "MAX_SEGMENT_VALUES"]

# Wider tables stop being readable; the rest of a long tail (e.g. 40 countries) is noted, not drawn.
MAX_SEGMENT_VALUES = 12


def _segment_sizes(report: ThemeReport) -> dict[str, dict[str, int]]:
    """Distinct respondents per segment column and value, the denominator of each cell's share."""
    return segment_voices(report.feedback.items) if report.feedback else {}


def _table(report: ThemeReport, column: str, sizes: dict[str, int], colors: dict[int, str], hidden: bool) -> str:
    totals: dict[str, int] = defaultdict(int)
    for t in report.themes:
        for value, n in t.by_segment.get(column, {}).items():
            totals[value] += n
    values = sorted(totals, key=lambda v: (-sizes.get(v, totals[v]), v))
    cut = len(values) - MAX_SEGMENT_VALUES
    values = values[:MAX_SEGMENT_VALUES]
    head = "".join(f'<th class="n">{esc(v)}<div class="muted">{num(sizes[v]) if v in sizes else ""}</div></th>' for v in values)
    peak = max((t.by_segment.get(column, {}).get(v, 0) for t in report.themes for v in values), default=0) or 1
    rows = []
    for t in report.themes:
        counts = t.by_segment.get(column, {})
        cells = []
        for v in values:
            n = counts.get(v, 0)
            share = n / sizes[v] if sizes.get(v) else None
            # Shade by the share of the segment that voices the need, so small segments are not washed out.
            # Without the items (no segment sizes), shade by count instead.
            alpha = min(1.0, share / 0.25) if share is not None else n / peak
            label = f"{100 * share:.0f}%" if share is not None else num(n)
            tip = (f"{n} of {sizes[v]} respondents in {v} voice this need" if share is not None else f"{n} respondents")
            cells.append(f'<td class="hm n" data-count="{n}" title="{esc(tip)}" '
                         f'style="background:rgba(78,121,167,{alpha:.2f});color:{"#fff" if alpha > 0.55 else "inherit"}">'
                         f"{esc(label)}</td>")
        rows.append(f'<tr><th><span class="dot" style="background:{colors[t.id]}"></span>'
                    f'<a href="#theme-{t.id}">{esc(t.name)}</a></th>{"".join(cells)}</tr>')
    more = f'<p class="note">{cut} smaller values of {esc(column)} not shown.</p>' if cut > 0 else ""
    return (f'<div class="heatmap" data-column="{esc(column)}"{" hidden" if hidden else ""}><table class="hm-table">'
            f'<thead><tr><th>theme \\ {esc(column)}</th>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>{more}</div>')


def heatmap_section(report: ThemeReport, colors: dict[int, str]) -> str | None:
    columns = list(dict.fromkeys(col for t in report.themes for col in t.by_segment))
    if not columns:
        return None
    sizes = _segment_sizes(report)
    options = "".join(f'<option value="{esc(c)}">{esc(c)}</option>' for c in columns)
    tables = "".join(_table(report, c, sizes.get(c, {}), colors, hidden=i > 0) for i, c in enumerate(columns))
    body = (f'<label class="control">Segment column <select id="heatmap-column">{options}</select></label>{tables}'
            '<p class="note">Cell: share of the segment\'s respondents who voice the need (the number under each '
            'segment is its respondents). Darker = more of that segment.</p>')
    return section("heatmap", "Who voices which need",
                   "Pick a segment column; read down a column to see what that segment cares about most, across a "
                   "row to see which segments a need comes from.", body)
