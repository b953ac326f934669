"""KPI cards: the verdicts (first screen), the full scorecard (everything scorecard.md says), and the
demand no card owns. Input: the :class:`~feedbackiq.types.CardScores` of ``score_cards``."""

from __future__ import annotations

import math
from collections import Counter

from feedbackiq.cards import format_value, without_llm
from feedbackiq.report._html import DASH, esc, num, pct, section, sort_value
from feedbackiq.types import CardResult, CardScores, MatchedNeed, TargetResult, ThemeReport

__all__ = ["scorecard_section", "unowned_section", "verdicts", "target_counts", "METRIC_NAMES", "MARKS"]

MARKS = {"pass": "PASS", "fail": "FAIL", "at_risk": "AT RISK", "unmatched": "UNMATCHED", "ambiguous": "AMBIGUOUS",
         "no_data": "NO DATA", "ready": "ready", "behind": "BEHIND", "upcoming": "upcoming"}
_MEANING = {"pass": "meets the target", "fail": "misses the target", "unmatched": "no need matches the target",
            "ambiguous": "several needs could be the target's", "no_data": "no data for the metric"}
_KINDS = {"demand_validation": "Demand validation (需求验证卡)", "launch_cadence": "Launch cadence (上市节奏卡)",
          "revenue_bet": "Revenue bet (收入对赌卡)"}
METRIC_NAMES = {
    "respondent_share": "share of respondents who voice it",
    "respondents": "respondents who voice it",
    "accounts": "accounts whose sales notes raise it",
    "sources": "kinds of source it is heard in (2+ items each)",
    "negative_rating_share": "share of its rated feedback that is negative",
    "mention_share": "share of the feedback in the window that mentions it",
    "personas_drafted": "target segments that have a persona",
    "messaging_translated": "target segments that have messaging for the feature",
    "proof_quotes": "proof quotes in the target segment with the fewest",
    "pipeline_value": "value of open deals whose notes raise it",
    "won_value": "value of won deals whose notes raise it",
    "lost_deal_value": "value of lost deals whose notes raise it",
    "deal_value": "value of all deals whose notes raise it",
    "accounts_affected": "accounts whose notes raise it",
    "churn_mentions": "sales notes on it that talk of leaving",
}
_DIRECTIONS = {"min": "at least", "max": "at most"}


def _badge(status: str) -> str:
    return f'<span class="status status-{esc(status)}" title="{esc(_MEANING.get(status, ""))}">{esc(MARKS.get(status, status))}</span>'


def target_counts(card: CardResult) -> str:
    """``5 pass (1 not sure), 1 fail, 1 unmatched``."""
    counts = Counter(t.status for t in card.targets)
    unsure = sum(t.status == "pass" and t.confident is False for t in card.targets)
    parts = [f"{counts[s]} {s.replace('_', ' ')}" + (f" ({unsure} not sure)" if s == "pass" and unsure else "")
             for s in ("pass", "fail", "unmatched", "ambiguous", "no_data") if counts[s]]
    return ", ".join(parts)


def verdicts(scores: CardScores | None) -> str:
    """The first screen's card block: how many pass, are at risk, fail, and why, card by card."""
    if scores is None:
        return ('<div id="verdicts" class="verdicts"><h3>KPI cards</h3><p class="muted">No KPI cards in this run: '
                "run with --cards cards.yaml to score them against the feedback.</p></div>")
    counts = Counter(c.status for c in scores.cards)
    cards = "".join(
        f'<a class="verdict v-{esc(c.status)}" href="#card-{i}">{_badge(c.status)} <b>{esc(c.name)}</b>'
        f'<span class="why">{esc(target_counts(c))}'
        + "".join(f" · {esc(p.name)} behind" for p in c.phases if p.status == "behind") + "</span></a>"
        for i, c in enumerate(scores.cards))
    return (f'<div id="verdicts" class="verdicts"><h3>KPI cards <span class="muted">as of {scores.as_of}</span></h3>'
            '<p class="unfiltered">Not filtered: computed on all feedback.</p>'
            f'<p class="verdict-count"><b>{counts["pass"]} pass</b> · <b>{counts["at_risk"]} at risk</b> · '
            f'<b>{counts["fail"]} fail</b></p><div class="verdict-list">{cards}</div></div>')


def _matched(m: MatchedNeed, by_theme: bool) -> str:
    why = (f" (by meaning, {m.similarity:.2f})" if m.similarity is not None else
           " (" + ", ".join(f"“{k}” on {n} of {m.items} items" for k, n in m.keyword_items.items()) + ")" if m.keyword_items
           else f" (themes {', '.join(map(str, m.theme_ids))})" if by_theme else "")
    return f'<a href="#need-{m.need_id}">{esc(m.name)}</a><span class="muted">{esc(why)}</span>'


def _needs(r: TargetResult) -> str:
    if r.needs:
        return "; ".join(_matched(m, r.match_method == "themes") for m in r.needs)
    if r.candidates:
        return "none close; nearest: " + "; ".join(_matched(m, False) for m in r.candidates[:2])
    return DASH


def _target_row(r: TargetResult, with_baseline: bool) -> str:
    sure = "" if r.confident is None or r.status not in ("pass", "fail") else ("sure" if r.confident else "not sure")
    ci = (f"{format_value(r.metric, r.ci_low)} – {format_value(r.metric, r.ci_high)}"
          if r.ci_low is not None and r.ci_high is not None else DASH)
    baseline = (f'<td class="n" data-label="Before launch">'
                f'{esc(format_value(r.metric, r.baseline)) if r.baseline is not None else DASH}</td>' if with_baseline else "")
    # data-label: on a phone each target is a card, every value under its label
    return (f'<tr class="card-row" data-status="{esc(r.status)}"><td class="target"><b>{esc(r.target)}</b>'
            f'{f"<div class=muted>phase: {esc(r.phase)}</div>" if r.phase else ""}</td>'
            f'<td data-label="Measures">{esc(METRIC_NAMES.get(r.metric, r.metric))}</td>'
            f'<td class="n" data-label="Actual">{esc(format_value(r.metric, r.actual) if r.actual is not None else DASH)}</td>'
            f'<td class="n" data-label="Target">{esc(_DIRECTIONS.get(r.direction, r.direction))} '
            f'{esc(format_value(r.metric, r.target_value))}</td>'
            f'<td data-label="Verdict">{_badge(r.status)} <span class="sure sure-{"yes" if sure == "sure" else "no"}">'
            f'{esc(sure)}</span>{f"<div class=muted>{esc(without_llm(r))}</div>" if r.without_llm else ""}</td>'
            f'<td class="n" data-label="95% interval">{esc(ci)}</td>{baseline}'
            f'<td data-label="Need">{_needs(r)}</td></tr>')


def _details(r: TargetResult) -> str:
    extra = []
    if r.baseline is not None:
        extra.append(f"before launch: {format_value(r.metric, r.baseline)}")
    if r.moscow or r.moscow_evidence:
        extra.append(f"MoSCoW: team says {r.moscow or '-'}, the evidence {r.moscow_evidence or '- (name needs with an LLM)'}"
                     + (" (they disagree)" if r.moscow_disagrees else ""))
    if r.note:
        extra.append(r.note)
    extra += r.llm_changes   # what the LLM's confirmation of the match did or wanted to, with its reasons
    quotes = "".join(f'<blockquote class="quote small"><p>{esc(q.text)}</p><footer>{esc(q.source.value)} · '
                     f"<code>{esc(q.item_id)}</code></footer></blockquote>" for q in r.evidence)
    if not extra and not quotes:
        return ""
    evidence = (f"<details><summary>{len(r.evidence)} evidence quote{'s' if len(r.evidence) != 1 else ''}</summary>"
                f"{quotes}</details>" if quotes else "")
    return f"<li><b>{esc(r.target)}</b>{': ' + esc('; '.join(extra)) if extra else ''}{evidence}</li>"


def _card(i: int, c: CardResult) -> str:
    with_baseline = any(t.baseline is not None for t in c.targets)
    phases = ("<p class=\"phases\">Phases: " + " · ".join(f"{esc(p.name)} from {p.start}: {_badge(p.status)}" for p in c.phases)
              + "</p>" if c.phases else "")
    head = ("<th>Target</th><th>Measures</th><th class=\"n\">Actual</th><th class=\"n\">Target</th><th>Verdict</th>"
            "<th class=\"n\">95% interval</th>" + ("<th class=\"n\">Before launch</th>" if with_baseline else "")
            + "<th>Need (the evidence)</th>")
    details = "".join(_details(r) for r in c.targets)
    return (f'<article class="card-result" id="card-{i}" data-status="{esc(c.status)}"><h3>{esc(c.name)} {_badge(c.status)}</h3>'
            f'<p class="facts">{esc(_KINDS.get(c.kind, c.kind))}{", owner " + esc(c.owner) if c.owner else ""} · '
            f"{esc(target_counts(c))}</p>{phases}"
            f'<div class="scroll"><table class="plain scorecard stack"><thead><tr>{head}</tr></thead><tbody>'
            + "".join(_target_row(r, with_baseline) for r in c.targets) + "</tbody></table></div>"
            + (f'<ul class="target-notes">{details}</ul>' if details else "") + "</article>")


def scorecard_section(scores: CardScores, mixed_currency: bool = False) -> str:
    counts = Counter(c.status for c in scores.cards)
    money = (" Card deal values add the amounts as the exports give them, in whatever currency."
             if mixed_currency else "")
    body = (f'<p class="verdict-count">As of {scores.as_of}: <b>{counts["pass"]} pass</b>, <b>{counts["at_risk"]} at risk'
            f'</b>, <b>{counts["fail"]} fail</b>.</p><div id="scorecard">{"".join(_card(i, c) for i, c in enumerate(scores.cards))}</div>'
            '<p class="note">A card fails when a target fails; it is at risk when a target has no matching need, '
            "no data, or passes without being sure. Shares carry a Wilson 95% interval, deal values a bootstrap 95% "
            "interval; \"sure\" means the whole interval is on the same side of the target, \"not sure\" that it is not"
            f" (counts carry no interval).{money}</p>")
    return section("scorecard", "KPI card scorecard",
                   "Each card a PM or GTM team committed to, with its verdict; each target with what it measures, the "
                   "value the feedback gives, the target, and the need whose feedback is the evidence.", body)


def _growth(g: float | None) -> tuple[str, float | None]:
    """The scorer's growth is a ratio of shares (recent / earlier): 1.5 -> "+50%"."""
    if g is None:
        return DASH, None
    return ("new", math.inf) if g == math.inf else (f"{100 * (g - 1):+.0f}%", g)


def unowned_section(scores: CardScores, report: ThemeReport) -> str:
    known = {n.id for n in report.needs}
    rows = []
    for u in scores.unowned:
        growth, growth_sort = _growth(u.growth)
        name = f'<a href="#need-{u.need_id}">{esc(u.name)}</a>' if u.need_id in known else esc(u.name)
        reasons = ", ".join(u.reasons)
        rows.append(
            f'<tr><td data-sort="{esc(u.name)}">{name}{f"<div class=muted>{esc(reasons)}</div>" if reasons else ""}</td>'
            f'<td class="n" data-sort="{u.respondents}">{num(u.respondents)}</td>'
            f'<td class="n" data-sort="{sort_value(u.respondent_share)}">{pct(u.respondent_share, 1)}</td>'
            f'<td class="n" data-sort="{sort_value(growth_sort)}">{growth}</td>'
            f'<td class="n" data-sort="{sort_value(u.deal_value)}">{num(u.deal_value)}</td>'
            f'<td class="n" data-sort="{sort_value(u.lost_deal_value)}">{num(u.lost_deal_value)}</td></tr>')
    head = "".join(f'<th class="{"t" if k == "text" else "n"}" data-sort-type="{k}"><button type="button">{h}</button></th>'
                   for h, k in (("Need (why listed)", "text"), ("Respondents", "number"), ("Share", "number"),
                                ("Growth vs earlier", "number"), ("Deal value", "number"), ("Lost deals", "number")))
    table = (f'<div class="scroll"><table id="unowned" class="sortable"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}'
             "</tbody></table></div>" if rows else "<p>Every large, growing or deal-losing need is on a card.</p>")
    body = (table + '<p class="note">Listed when large (2%+ of respondents), growing (its share of items in the last 3 '
            "months 1.5x its share before) or costing deals (10%+ of all lost-deal value); praise and small talk never "
            "are. Lost deals: value of lost opportunities whose sales notes raise the need.</p>")
    return section("unowned", "Demand no card owns",
                   "Needs customers voice that no KPI card tracks yet: candidates for a new card or an owner. "
                   "Click a header to sort.", body)
