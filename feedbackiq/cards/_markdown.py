"""The scorecard as Markdown a PM or GTM lead reads as it is, and as JSON for tools."""

from __future__ import annotations

from pathlib import Path

from feedbackiq._mdsafe import md_code, md_escape
from feedbackiq._paths import result_file
from feedbackiq.types import CardResult, CardScores, MatchedNeed, TargetResult, markdown_view

__all__ = ["scorecard_to_markdown", "write_scorecard", "load_scorecard", "format_value", "without_llm"]

_MARK = {"pass": "PASS", "fail": "FAIL", "at_risk": "AT RISK", "unmatched": "UNMATCHED", "ambiguous": "AMBIGUOUS",
         "no_data": "NO DATA", "ready": "ready", "behind": "BEHIND", "upcoming": "upcoming"}
_KIND = {"demand_validation": "Demand validation (需求验证卡)", "launch_cadence": "Launch cadence (上市节奏卡)",
         "revenue_bet": "Revenue bet (收入对赌卡)"}
_SHARES = {"respondent_share", "negative_rating_share", "mention_share", "personas_drafted", "messaging_translated"}


def format_value(metric: str, v: float | None) -> str:
    """Shares as percentages, money with thousands separators, counts as integers.

    >>> format_value("mention_share", 0.4123), format_value("lost_deal_value", 1250000.0), format_value("respondents", 12.0)
    ('41.2%', '1,250,000', '12')
    """
    if v is None:
        return "-"
    if metric in _SHARES:
        return f"{100 * v:.1f}%"
    return f"{v:,.0f}"


def _target_row(r: TargetResult) -> str:
    op = ">=" if r.direction == "min" else "<="
    ci = f"{format_value(r.metric, r.ci_low)} - {format_value(r.metric, r.ci_high)}" if r.ci_low is not None else ""
    needs = ", ".join(_matched(m, by_theme=r.match_method == "themes") for m in r.needs)
    if not needs and r.candidates:
        needs = "nearest: " + ", ".join(f"#{m.need_id} {md_escape(m.name)}"
                                        + ("" if m.similarity is None else f" ({m.similarity:.2f})") for m in r.candidates)
    sure = "" if r.confident is None else (" (sure)" if r.confident else " (not sure)")
    verdict = f"**{_MARK[r.status]}**{sure}" + (f" ({without_llm(r)})" if r.without_llm else "")
    return (f"| {md_escape(r.target)} | {md_escape(r.metric)} | {format_value(r.metric, r.actual)} | {op} {format_value(r.metric, r.target_value)} | "
            f"{verdict} | {'' if r.ratio is None else f'{r.ratio:.2f}'} | {ci} | {needs} |")


def without_llm(r: TargetResult) -> str:
    """The verdict on the similarity match, shown beside the verdict after the LLM's confirmation changed it
    (``""`` when it did not): ``without the LLM: PASS 12.9%, #2``."""
    w = r.without_llm
    if w is None:
        return ""
    needs = ", ".join(f"#{m.need_id}" for m in w.needs)
    return (f"without the LLM: {_MARK[w.status]}" + (f" {format_value(r.metric, w.actual)}" if w.actual is not None else "")
            + (f", {needs}" if needs else ""))


def _matched(m: MatchedNeed, by_theme: bool = False) -> str:
    """``#3 Name (0.45)`` by meaning, ``#3 Name (permission 14/20)`` by keywords: what made the need count;
    ``(themes 4, 7)`` when only some of its themes were listed."""
    head = f"#{m.need_id} {md_escape(m.name)}"
    if m.similarity is not None:
        return f"{head} ({m.similarity:.2f})"
    if m.keyword_items:
        return f"{head} (" + ", ".join(f"{md_escape(k)} {n}/{m.items}" for k, n in m.keyword_items.items()) + ")"
    return f"{head} (themes {', '.join(map(str, m.theme_ids))})" if by_theme else head


def _card(c: CardResult) -> list[str]:
    lines = [f"## {md_escape(c.name)}: {_MARK[c.status]}", "",
             f"{_KIND[c.kind]}" + (f", owner {md_escape(c.owner)}" if c.owner else ""), ""]
    if c.phases:
        lines += ["Phases: " + "; ".join(f"{md_escape(p.name)} from {p.start}: **{_MARK[p.status]}**" for p in c.phases), ""]
    lines += ["| target | metric | actual | target | status | ratio | 95% interval | need |",
              "|---|---|---:|---:|---|---:|---|---|"]
    lines += [_target_row(r) for r in c.targets]
    details = []
    for r in c.targets:
        extra = []
        if r.baseline is not None:
            extra.append(f"before launch: {format_value(r.metric, r.baseline)}")
        if r.moscow or r.moscow_evidence:
            flag = " (disagree)" if r.moscow_disagrees else ""
            extra.append(f"MoSCoW team: {md_escape(r.moscow or '-')}, "
                         f"evidence: {md_escape(r.moscow_evidence or '- (name needs with an LLM)')}{flag}")
        if r.note:
            extra.append(md_escape(r.note))
        extra += [md_escape(x) for x in r.llm_changes]
        if extra or r.evidence:
            details.append(f"- **{md_escape(r.target)}**" + (": " + "; ".join(extra) if extra else ""))
            details += [f"  > {md_escape(q.text[:200])} ({q.source.value}, {md_code(q.item_id)})" for q in r.evidence]
    if details:
        lines += ["", *details]
    return lines + [""]


@markdown_view(CardScores)
def scorecard_to_markdown(scores: CardScores) -> str:
    counts = {s: sum(c.status == s for c in scores.cards) for s in ("pass", "at_risk", "fail")}
    lines = ["# KPI scorecard", "", f"As of {scores.as_of}: {counts['pass']} cards pass, {counts['at_risk']} at risk, "
             f"{counts['fail']} fail. Shares carry a Wilson 95% interval, deal values a bootstrap 95% interval; "
             "'sure' means the whole interval is on the same side of the target.", ""]
    for c in scores.cards:
        lines += _card(c)
    lines += ["## Unowned demand", ""]
    if not scores.unowned:
        lines += ["Every large, growing or deal-losing need is on a card.", ""]
    else:
        lines += ["Needs no card covers that are large, growing or costing deals:", "",
                  "| need | respondents | share | growth | deal value | lost-deal value | why |",
                  "|---|---:|---:|---:|---:|---:|---|"]
        lines += [f"| #{u.need_id} {md_escape(u.name)} | {u.respondents} | {100 * u.respondent_share:.1f}% | "
                  f"{'' if u.growth is None else f'{u.growth:.1f}x'} | {u.deal_value:,.0f} | {u.lost_deal_value:,.0f} | "
                  f"{md_escape(', '.join(u.reasons))} |" for u in scores.unowned]
        lines.append("")
    return "\n".join(lines)


def write_scorecard(scores: CardScores, out_dir: str | Path) -> dict[str, Path]:
    """``scorecard.md`` and ``scorecard.json`` (the full :class:`CardScores`) in ``out_dir``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"markdown": out / "scorecard.md", "json": out / "scorecard.json"}
    paths["markdown"].write_text(scorecard_to_markdown(scores), encoding="utf-8")
    paths["json"].write_text(scores.model_dump_json(indent=1), encoding="utf-8")
    return paths


def load_scorecard(path: str | Path) -> CardScores:
    """The CardScores :func:`write_scorecard` wrote (a folder, or its ``scorecard.json``)."""
    return CardScores.from_json(result_file(path, "scorecard.json", "write one with `feedbackiq score`"))
