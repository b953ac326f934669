"""The first screen as Markdown: the top of ``report.md`` says what the top of ``report.html`` says."""

from __future__ import annotations

from collections.abc import Mapping

from feedbackiq._mdsafe import md_escape
from feedbackiq.report._context import build_context
from feedbackiq.report._html import DASH, num, pct, plural
from feedbackiq.report._money import Currency
from feedbackiq.report._needs import COLUMN_NOTES, money_cell, praise_line, severity
from feedbackiq.report._scorecard import MARKS, target_counts
from feedbackiq.report._story import TOP_NEEDS
from feedbackiq.types import CardScores, ThemeReport

__all__ = ["summary_markdown"]


def summary_markdown(report: ThemeReport, scorecard: CardScores | None = None, *, currency: str | None = None,
                     rates: Mapping[str, float] | None = None, top: int = TOP_NEEDS) -> str:
    """A ``## Summary``: the top needs (respondents and share, how bad, trend, where strongest, money at
    stake), what is set apart as praise, and the KPI card verdicts.

    Examples
    --------
    >>> from feedbackiq.types import Need, Theme, ThemeReport
    >>> report = ThemeReport(themes=[Theme(id=0, name="t", need_id=0)], n_items=4, n_respondents=4,
    ...                      needs=[Need(id=0, name="Exports | fail", theme_ids=[0], respondents=3, respondent_share=0.75)])
    >>> print(summary_markdown(report).splitlines()[6])
    | 1 | Exports \\| fail | 3 (75%) | — | too few months | — |
    """
    ctx = build_context(report, Currency(currency, dict(rates or {})), filters=False)
    v = ctx.bind.default
    head = ["#", "need", "respondents", "how bad", "trend", "strongest in"]
    if ctx.has_money:
        head.append("money at stake" + (f" ({ctx.currency.code})" if ctx.currency.code else ""))
    lines = ["## Summary", "", f"{plural(v.items, 'item')} from {plural(v.respondents, 'respondent/account', 'respondents/accounts')}; "
             f"{plural(len(ctx.needs), 'need')} in {plural(len(report.themes), 'theme')}. {praise_line(v)}", "",
             "| " + " | ".join(head) + " |", "|---:|---|---:|---|---|---|" + ("---|" if ctx.has_money else "")]
    if not ctx.needs:
        lines[-2:] = [md_escape(report.note or "No need was found in this feedback.")]
    for rank, i in enumerate(v.ranked()[:top]):
        s = v.needs[i]
        cells = [str(rank + 1), md_escape(ctx.needs[i].name), f"{num(s.respondents)} ({pct(s.share)})",
                 md_escape(severity(s, ctx)), s.trend.text() if s.trend else DASH,
                 md_escape(s.strongest.text()) if s.strongest else DASH]
        if ctx.has_money:
            cells.append(money_cell(s, ctx))
        lines.append("| " + " | ".join(cells) + " |")
    notes = [COLUMN_NOTES["negative"], COLUMN_NOTES["trend"]] + ([COLUMN_NOTES["money"] + " " + ctx.currency.describe(ctx.apart)]
                                                               if ctx.has_money else [])
    lines += ["", " ".join(md_escape(n) for n in notes), ""]
    if scorecard is not None:
        counts = {k: sum(c.status == k for c in scorecard.cards) for k in ("pass", "at_risk", "fail")}
        lines += [f"KPI cards as of {scorecard.as_of}: **{counts['pass']} pass, {counts['at_risk']} at risk, "
                  f"{counts['fail']} fail**.", ""]
        lines += [f"- {md_escape(c.name)}: **{MARKS[c.status]}** ({md_escape(target_counts(c))}"
                  + "".join(f"; {md_escape(p.name)} behind" for p in c.phases if p.status == "behind") + ")"
                  for c in scorecard.cards]
        lines.append("")
    return "\n".join(lines)
