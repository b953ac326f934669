"""Theme reports for people: a Markdown summary, plus JSON and CSV files."""

from __future__ import annotations

from pathlib import Path

from feedbackiq._mdsafe import md_code, md_escape
from feedbackiq._tabular_out import write_csv, write_csv_blocks
from feedbackiq.types import Need, Theme, ThemeReport, markdown_view

__all__ = ["report_to_markdown", "write_theme_report"]


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def _counts(pairs) -> str:
    return ", ".join(f"{md_escape(k)} {v}" for k, v in pairs)


def _facts(t: Theme | Need) -> str:
    facts = [f"{t.respondents} respondents/accounts ({_pct(t.respondent_share)})", f"{t.size} items"]
    if t.mean_rating is not None:
        facts.append(f"mean review rating {t.mean_rating:.2f}")
    if t.deal_value:
        facts.append(f"deal value {t.deal_value:,.0f}")
    return "- " + ", ".join(facts)


def _evidence(t: Theme | Need) -> list[str]:
    lines = ["- keywords: " + ", ".join(md_escape(k) for k in t.keywords[:10]),
             "- sources: " + _counts(sorted(t.by_source.items(), key=lambda kv: -kv[1]))]
    if t.by_sentiment:
        lines.append("- sentiment: " + _counts(sorted(t.by_sentiment.items())))
    for col, vals in t.by_segment.items():
        lines.append(f"- {md_escape(col)}: " + _counts(sorted(vals.items(), key=lambda kv: -kv[1])[:4]))
    lines += ["", "Quotes:"]
    lines += [f"> {md_escape(q.text)}  \n> — {q.source.value}, item {md_code(q.item_id)}" + "\n" for q in t.quotes]
    return lines


def _theme_section(t: Theme, level: str = "####") -> list[str]:
    lines = [f"{level} Theme {t.id}. {md_escape(t.name)}", ""]
    lines += _llm_lines(t)
    lines += [_facts(t), *_evidence(t)]
    if t.subthemes:
        lines.append("Sub-themes: " + "; ".join(f"{md_escape(s.name)} ({s.size})" for s in t.subthemes))
        lines.append("")
    return lines


def _llm_lines(g: Theme | Need) -> list[str]:
    """The need statement, the MoSCoW hint and why the group kept its offline name (when it did)."""
    lines = []
    if g.need_statement:
        lines += [f"**Need:** {md_escape(g.need_statement)}", ""]
    if g.moscow:
        lines += [f"_Priority hint (from the evidence): {md_escape(g.moscow)}"
                  + (f", {md_escape(g.moscow_rationale)}" if g.moscow_rationale else "") + "._", ""]
    if g.label_note:
        lines += [f"_Name: {md_escape(g.label_note)}._", ""]
    return lines


def _need_section(n: Need, themes: dict[int, Theme]) -> list[str]:
    label = "Need" if n.kind == "need" else "Not a need (praise and small talk)"
    lines = [f"### {label} {n.id}. {md_escape(n.name)}", ""]
    lines += _llm_lines(n)
    members = [themes[i] for i in n.theme_ids if i in themes]
    lines += [_facts(n) + f", {len(members)} themes", *_evidence(n)]
    for t in members:
        lines += _theme_section(t)
    return lines


@markdown_view(ThemeReport)
def report_to_markdown(report: ThemeReport, max_themes: int | None = None) -> str:
    """A Markdown summary: overview, the need table, then each need with its evidence and its themes
    (``max_themes`` limits the needs shown)."""
    unassigned = report.other.size if report.other else 0
    apart = sum(n.size for n in report.non_needs)
    lines = [
        "# Customer needs",
        "",
        f"{report.n_items} feedback items from {report.n_respondents} respondents/accounts; "
        f"{len(report.needs)} needs voiced in {len(report.themes)} themes; {apart} items of praise and small talk "
        f"set apart; {unassigned} items ({_pct(unassigned / max(report.n_items, 1))}) in \"other\". "
        f"Embedding model: {md_escape(report.model_ids.get('embedding', '?'))}.",
        "",
    ]
    if report.note:
        lines += [f"**{md_escape(report.note)}**", ""]
    outcome = report.llm_outcome
    for line in (outcome.fallback_summary(), outcome.claims_summary()) if outcome is not None else ():
        if line:   # how many names the LLM did not write, and why; its claims kept and dropped
            lines += [f"**{md_escape(line)}**", ""]
    shown = report.needs[:max_themes] if max_themes else report.needs
    if shown:
        lines += ["| # | need | respondents | share | items | themes | rating | deal value |",
                  "|---|---|---:|---:|---:|---:|---:|---:|"]
    for n in shown:
        rating = f"{n.mean_rating:.2f}" if n.mean_rating is not None else ""
        deal = f"{n.deal_value:,.0f}" if n.deal_value else ""
        lines.append(f"| {n.id} | {md_escape(n.name)} | {n.respondents} | {_pct(n.respondent_share)} | {n.size} | "
                     f"{len(n.theme_ids)} | {rating} | {deal} |")
    lines.append("")
    themes = {t.id: t for t in report.themes}
    for n in [*shown, *report.non_needs]:
        lines += _need_section(n, themes)
    loose = [t for t in report.themes if t.need_id is None]   # reports made before needs existed
    for t in loose:
        lines += _theme_section(t, "###")
    if report.other:
        lines += _theme_section(report.other, "###")
    return "\n".join(lines)


def write_theme_report(report: ThemeReport, out_dir: str | Path, *, with_feedback: bool = True) -> dict[str, Path]:
    """Write ``themes.json`` (exact round trip), ``themes.md``, ``needs.csv``, ``themes.csv`` and
    ``assignments.csv``.

    ``with_feedback=False`` leaves the items out of ``themes.json`` when ``feedback.json`` is written
    to the same folder (:func:`feedbackiq.ingest.write_feedback`): ``ThemeReport.from_json`` attaches
    them from there, and a million items are not written (and held as JSON) twice.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"json": out / "themes.json", "markdown": out / "themes.md", "needs": out / "needs.csv",
             "themes": out / "themes.csv", "assignments": out / "assignments.csv"}
    if with_feedback or report.feedback is None:
        report.to_json(paths["json"])
    else:
        paths["json"].write_bytes(type(report).__pydantic_serializer__.to_json(report, indent=1, exclude={"feedback"}))
    paths["markdown"].write_text(report_to_markdown(report), encoding="utf-8")
    write_csv(report.needs_to_pandas(), paths["needs"])
    write_csv(report.to_pandas(), paths["themes"])
    write_csv_blocks(_assignment_blocks(report), paths["assignments"])
    return paths


def _assignment_blocks(report: ThemeReport, block_rows: int = 100_000):
    """The assignments with each item's text, a block at a time (a million rows as one table with
    their texts held a few hundred MB more for a moment)."""
    items = report.feedback.items if report.feedback is not None else None
    in_order = report.assignments_in_item_order()
    texts = None if items is None or in_order else {it.id: it.text for it in items}
    for start in range(0, max(len(report.assignments), 1), block_rows):
        df = report.assignments_to_pandas(start, start + block_rows)
        if in_order:
            df["text"] = [it.text for it in items[start:start + block_rows]]
        elif texts is not None:
            df["text"] = df["item_id"].map(texts)
        yield df
