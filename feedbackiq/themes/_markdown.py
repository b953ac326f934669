"""Theme reports for people: a Markdown summary, plus JSON and CSV files."""

from __future__ import annotations

from pathlib import Path

from feedbackiq._mdsafe import md_code, md_escape
from feedbackiq._tabular_out import write_csv, write_csv_blocks
from feedbackiq.types import Theme, ThemeReport

__all__ = ["report_to_markdown", "write_theme_report"]


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def _counts(pairs) -> str:
    return ", ".join(f"{md_escape(k)} {v}" for k, v in pairs)


def _theme_section(t: Theme, level: str = "###") -> list[str]:
    lines = [f"{level} {t.id}. {md_escape(t.name)}", ""]
    if t.need_statement:
        lines += [f"**Need:** {md_escape(t.need_statement)}", ""]
    facts = [f"{t.respondents} respondents/accounts ({_pct(t.respondent_share)})", f"{t.size} items"]
    if t.mean_rating is not None:
        facts.append(f"mean review rating {t.mean_rating:.2f}")
    if t.deal_value:
        facts.append(f"deal value {t.deal_value:,.0f}")
    lines.append("- " + ", ".join(facts))
    lines.append("- keywords: " + ", ".join(md_escape(k) for k in t.keywords[:10]))
    lines.append("- sources: " + _counts(sorted(t.by_source.items(), key=lambda kv: -kv[1])))
    if t.by_sentiment:
        lines.append("- sentiment: " + _counts(sorted(t.by_sentiment.items())))
    for col, vals in t.by_segment.items():
        lines.append(f"- {md_escape(col)}: " + _counts(sorted(vals.items(), key=lambda kv: -kv[1])[:4]))
    lines += ["", "Quotes:"]
    lines += [f"> {md_escape(q.text)}  \n> — {q.source.value}, item {md_code(q.item_id)}" + "\n" for q in t.quotes]
    if t.subthemes:
        lines.append("Sub-themes: " + "; ".join(f"{md_escape(s.name)} ({s.size})" for s in t.subthemes))
        lines.append("")
    return lines


def report_to_markdown(report: ThemeReport, max_themes: int | None = None) -> str:
    """A Markdown summary: overview, theme table, then each theme with its evidence."""
    unassigned = report.other.size if report.other else 0
    lines = [
        "# Need themes",
        "",
        f"{report.n_items} feedback items from {report.n_respondents} respondents/accounts; "
        f"{len(report.themes)} themes; {unassigned} items ({_pct(unassigned / max(report.n_items, 1))}) in \"other\". "
        f"Embedding model: {md_escape(report.model_ids.get('embedding', '?'))}.",
        "",
    ]
    if report.note:
        lines += [f"**{md_escape(report.note)}**", ""]
    shown = report.themes[:max_themes] if max_themes else report.themes
    if shown:
        lines += ["| # | theme | respondents | share | items | rating | deal value |", "|---|---|---:|---:|---:|---:|---:|"]
    for t in shown:
        rating = f"{t.mean_rating:.2f}" if t.mean_rating is not None else ""
        deal = f"{t.deal_value:,.0f}" if t.deal_value else ""
        lines.append(f"| {t.id} | {md_escape(t.name)} | {t.respondents} | {_pct(t.respondent_share)} | {t.size} | {rating} | {deal} |")
    lines.append("")
    for t in shown:
        lines += _theme_section(t)
    if report.other:
        lines += _theme_section(report.other)
    return "\n".join(lines)


def write_theme_report(report: ThemeReport, out_dir: str | Path, *, with_feedback: bool = True) -> dict[str, Path]:
    """Write ``themes.json`` (exact round trip), ``themes.md``, ``themes.csv`` and ``assignments.csv``.

    ``with_feedback=False`` leaves the items out of ``themes.json`` when ``feedback.json`` is written
    to the same folder (:func:`feedbackiq.ingest.write_feedback`): ``ThemeReport.from_json`` attaches
    them from there, and a million items are not written (and held as JSON) twice.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"json": out / "themes.json", "markdown": out / "themes.md", "themes": out / "themes.csv",
             "assignments": out / "assignments.csv"}
    if with_feedback or report.feedback is None:
        report.to_json(paths["json"])
    else:
        paths["json"].write_bytes(type(report).__pydantic_serializer__.to_json(report, indent=1, exclude={"feedback"}))
    paths["markdown"].write_text(report_to_markdown(report), encoding="utf-8")
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
