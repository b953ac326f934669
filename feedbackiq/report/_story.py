"""The first screen: the top needs (how many, how bad, which way, where, what money) and the KPI card verdicts."""

from __future__ import annotations

from collections import Counter

from feedbackiq.report._context import Context
from feedbackiq.report._html import DASH, esc, num, pct, plural
from feedbackiq.report._needs import money_cell, need_name, praise_line, severity, severity_tip
from feedbackiq.report._scorecard import verdicts
from feedbackiq.report._stats import View
from feedbackiq.types import CardScores

__all__ = ["story_section", "TOP_NEEDS"]

TOP_NEEDS = 5
_SOURCES = {"survey": "survey answers", "review": "app reviews", "sales_note": "sales notes",
            "support_ticket": "support tickets", "other": "other"}


def _row(ctx: Context, v: View, rank: int) -> str:
    ranked = v.ranked()
    if rank >= len(ranked):
        return ""
    pos = ranked[rank]
    s, need = v.needs[pos], ctx.needs[pos]
    strongest = s.strongest.text() if s.strongest else DASH
    # data-label: on a phone each row is a card, every value under its label
    cells = [f'<td class="rank">{rank + 1}</td><td class="need-name">{need_name(need, ctx.colors[need.id])}</td>',
             f'<td class="n" data-label="Respondents"><b>{num(s.respondents)}</b> <span class="muted">{pct(s.share)}</span></td>',
             f'<td data-label="How bad" title="{esc(severity_tip(s, ctx))}">{esc(severity(s, ctx))}</td>',
             f'<td class="trend" data-label="Trend" title="{esc(s.trend.tip() if s.trend else "")}">'
             f'{esc(s.trend.text() if s.trend else DASH)}</td>',
             f'<td data-label="Strongest in" title="{esc(s.strongest.tip() if s.strongest else "spread evenly across segments")}">'
             f"{esc(strongest)}</td>"]
    if ctx.has_money:
        cells.append(f'<td data-label="Money at stake" title="{esc(s.open.text(ctx.currency, False))} open, '
                     f'{esc(s.lost.text(ctx.currency, False))} lost">{esc(money_cell(s, ctx))}</td>')
    return "".join(cells)


def _lede(ctx: Context) -> str:
    fs = ctx.report.feedback
    facts = []
    if fs is not None and fs.items:
        sources = Counter(it.source.value for it in fs.items)
        facts.append(", ".join(f"{_SOURCES.get(k, k)} {num(n)}" for k, n in sources.most_common()))
        dates = [it.created_at for it in fs.items if it.created_at is not None]
        if dates:
            facts.append(f"{min(dates):%b %Y} to {max(dates):%b %Y}")
    counts = ctx.bind.text(lambda v: f"{v.option.label}: {plural(v.items, 'item')} from "
                           f"{plural(v.respondents, 'respondent/account', 'respondents/accounts')} voicing "
                           f"{plural(sum(s.respondents > 0 for s in v.needs), 'need')}", tag="span", cls="counts")
    praise = ctx.bind.text(praise_line, tag="span")
    whole = f' <span class="whole">({esc("; ".join(facts))})</span>' if facts else ""   # hidden while filtered
    return f'<p class="lede">{counts}{whole}. {praise}</p>'


def story_section(ctx: Context, scores: CardScores | None) -> str:
    head = ["#", "Need", "Respondents", "How bad", "Trend", "Strongest in"]
    if ctx.has_money:
        head.append("Money at stake" + (f" ({ctx.currency.code})" if ctx.currency.code else ""))
    rows = "".join(ctx.bind.html(lambda v, r=r: _row(ctx, v, r), tag="tr", attrs=' class="top-need"')
                   for r in range(min(TOP_NEEDS, len(ctx.needs))))
    how = ["How bad: share of its feedback that is negative" + (", mean review stars" if ctx.has_rating else "")
           + (", NPS (promoters minus detractors)" if ctx.has_nps else ""),
           "trend: the last 3 months against the months before (95% sure before it says rising or falling)",
           "strongest in: the segment where it is most over-represented"]
    if ctx.has_money:
        how.append("money: open · lost deal value of the sales notes raising it. " + ctx.currency.describe(ctx.apart))
    more = (f'<p class="note">{esc("; ".join(how))}</p><p class="more"><a href="#needs">All {len(ctx.needs)} needs, with '
            'their themes</a> · <a href="#trends">trends</a> · <a href="#impact">volume vs severity</a></p>')
    table = ('<div class="scroll"><table id="top-needs" class="plain stack"><thead><tr>'
             + "".join(f'<th{" class=n" if h == "Respondents" else ""}>{esc(h)}</th>' for h in head)
             + f"</tr></thead><tbody>{rows}</tbody></table></div>" if rows else
             '<p class="muted">No need in this feedback: see the note under Customer needs.</p>')
    return (f'<section id="summary" class="story"><h2>What customers need most</h2>{_lede(ctx)}{table}{more}'
            f"{verdicts(scores)}</section>")
