"""Everything a run writes into its folder, and ``report.md``, the one document to paste into docs.

Outputs are always rewritten from the stage results (cheap), so a resumed run's
folder is the same as a fresh run's.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from feedbackiq.pipeline._config import RunConfig
from feedbackiq.types import StageRecord

__all__ = ["write_run_outputs", "run_markdown", "llm_warnings", "llm_fallbacks", "claims_markdown"]


def write_run_outputs(result: Any, vectors: np.ndarray, cfg: RunConfig, records: list[StageRecord]) -> dict[str, Path]:
    """Every output file of a run; ``vectors`` are the embed stage's, one per distinct text."""
    from feedbackiq.gtm import write_personas, write_translations
    from feedbackiq.ingest import write_feedback
    from feedbackiq.themes import write_theme_report

    out, report = result.run_dir, result.report
    paths: dict[str, Path] = {}
    if report.feedback is not None:
        paths.update({f"feedback_{k}": v for k, v in write_feedback(report.feedback, out).items()})
    # themes.json without the items when feedback.json (just written) holds them.
    paths.update({f"themes_{k}": v for k, v in write_theme_report(report, out, with_feedback=False).items()})
    paths["needs_parquet"] = out / "needs.parquet"
    report.needs_to_pandas().to_parquet(paths["needs_parquet"], index=False)
    paths["themes_parquet"] = out / "themes.parquet"
    report.to_pandas().to_parquet(paths["themes_parquet"], index=False)
    paths["assignments_parquet"] = out / "assignments.parquet"
    report.assignments_to_pandas().to_parquet(paths["assignments_parquet"], index=False)
    if result.personas is not None:
        paths.update({f"personas_{k}": v for k, v in write_personas(result.personas, out).items()})
    if result.translations is not None:
        names = {n.id: n.name for n in report.needs}
        paths.update({f"translations_{k}": v for k, v in write_translations(result.translations, out, names).items()})
    if result.scores is not None:
        from feedbackiq.cards import write_scorecard

        paths.update({f"scorecard_{k}": v for k, v in write_scorecard(result.scores, out).items()})

    # The manifest is finished before the documents that embed it (report.md, report.html) are written:
    # they show its stages and end time, and list themselves and manifest.json among the outputs.
    paths.update(markdown=out / "report.md", html=out / "report.html", manifest=out / "manifest.json")
    manifest = result.manifest
    manifest.stages = list(records)
    manifest.finished_at = datetime.now(timezone.utc)
    manifest.outputs = {k: str(p.relative_to(out)) for k, p in sorted(paths.items()) if p.is_relative_to(out)}
    paths["markdown"].write_text(run_markdown(result, cfg.output.title, cfg), encoding="utf-8")
    _write_html(result, vectors, cfg)
    paths["manifest"].write_text(manifest.model_dump_json(indent=1), encoding="utf-8")
    return paths


def _write_html(result: Any, vectors: np.ndarray, cfg: RunConfig) -> Path:
    from feedbackiq.report import project_2d, write_html_report

    report = result.report
    coords: dict[str, tuple[float, float]] = {}
    if report.feedback is not None and len(report.feedback.items):
        # ``vectors`` has one row per distinct text (the embed stage): items with the same words
        # share a point. Positions only for the items the map draws (an even sample of at most
        # MAX_MAP_POINTS): a million positions were a few hundred MB for 4,000 dots.
        from feedbackiq.pipeline._stages import distinct_texts
        from feedbackiq.report import map_sample

        drawn = {a.item_id for a in map_sample(report.assignments)}
        row = {t: i for i, t in enumerate(distinct_texts(report.feedback))}
        xy = project_2d(np.asarray(vectors, dtype=np.float32))
        coords = {it.id: (float(xy[row[it.text], 0]), float(xy[row[it.text], 1]))
                  for it in report.feedback.items if it.id in drawn}
    return write_html_report(
        report, result.run_dir / "report.html", personas=result.personas, translations=result.translations,
        scorecard=result.scores, coords=coords, manifest=result.manifest, title=cfg.output.title,
        warnings=llm_warnings(result.llm_outcomes) + llm_fallbacks(result.llm_outcomes), currency=cfg.output.currency,
        rates=cfg.output.rates)


def llm_warnings(outcomes: list) -> list[str]:
    """What a reader must know first about the LLM calls: one line per step that had failures, and what it means."""
    from feedbackiq.types import LLMOutcome

    lines = [s for o in outcomes if (s := o.summary())]
    if not lines:
        return []
    if LLMOutcome.merge("LLM calls", outcomes).all_failed():
        lines.append("Every LLM call of this run failed: theme names come from keywords, personas and feature "
                     "messages are extractive.")
    if any(o.failed for o in outcomes):
        lines.append("Failed calls are stored and not paid for again by a rerun; --retry-failed sends them again.")
    return lines


def llm_fallbacks(outcomes: list) -> list[str]:
    """One line per LLM step some of whose outputs (names, personas, messages) came from the offline path, and why."""
    return [s for o in outcomes if (s := o.fallback_summary())]


def claims_markdown(outcomes: list) -> list[str]:
    """The appendix's lines on the LLM's claims: per step, kept of made and the drops by reason; the offline
    outputs by why."""
    from feedbackiq._mdsafe import md_escape
    from feedbackiq.types import LLMOutcome

    steps = [o for o in outcomes if o.claims or o.fallbacks]
    if not steps:
        return []
    lines = ["- LLM claims, each kept or dropped on its own evidence (a claim: a name, a need statement, a pain, a "
             "message line):"]
    for o in [*steps, *([LLMOutcome.merge("all LLM steps", steps)] if len(steps) > 1 else [])]:
        parts = [md_escape(x) for x in (o.claims_summary(), o.fallback_summary()) if x]
        lines.append("  - " + "; ".join(parts))
    return lines


def run_markdown(result: Any, title: str, cfg: RunConfig | None = None) -> str:
    """The whole run as one Markdown document: summary (top needs, card verdicts), scorecard, needs with
    their themes, personas, messaging, and how it was made (inputs, models, LLM use)."""
    from feedbackiq._mdsafe import md_code, md_escape
    from feedbackiq.gtm import personas_to_markdown, translations_to_markdown
    from feedbackiq.report import summary_markdown
    from feedbackiq.themes import report_to_markdown

    report, m = result.report, result.manifest
    fs = report.feedback
    out = cfg.output if cfg is not None else None
    lines = [f"# {md_escape(title)}", ""]
    warnings = llm_warnings(getattr(result, "llm_outcomes", []))
    if warnings:   # reasons quote the server's error messages: escaped like any other outside text
        lines += ["> **LLM calls that failed**", ">", *(f"> - {md_escape(w)}" for w in warnings), ""]
    fallbacks = llm_fallbacks(getattr(result, "llm_outcomes", []))
    if fallbacks:
        lines += ["> **Written by the offline path instead of the LLM**", ">", *(f"> - {md_escape(w)}" for w in fallbacks), ""]
    lines += [summary_markdown(report, result.scores, currency=out.currency if out else None,
                               rates=out.rates if out else None), ""]
    if result.scores is not None:
        from feedbackiq.cards import scorecard_to_markdown

        lines += [_demote(scorecard_to_markdown(result.scores)), ""]
    lines += [_demote(report_to_markdown(report)), ""]
    if result.personas is not None:
        lines += [_demote(personas_to_markdown(result.personas)), ""]
    if result.translations:
        lines += [_demote(translations_to_markdown(result.translations, {n.id: n.name for n in report.needs})), ""]
    lines += ["## How this was made", ""]
    if fs is not None:   # file names, column names: escaped line by line, the lines kept
        lines += ["\n".join(md_escape(line) for line in fs.summary().splitlines()), ""]
    lines += [f"- feedbackiq {m.feedbackiq_version}, Python {m.python}; models: "
              + ", ".join(f"{md_escape(k)} {md_escape(v)}" for k, v in report.model_ids.items())]
    llm = m.llm
    if llm.get("configured"):
        total = llm.get("folder_total") or {}
        lines.append(f"- LLM {md_escape(llm['model'])}: {llm['calls']} calls in this run ({llm['cache_hits']} from cache), "
                     f"{llm['input_tokens'] + llm['output_tokens']} tokens"
                     + (f", cost {llm['cost']:.4f}" if llm.get("cost") is not None else "")
                     + (f"; this folder's call log: {total['calls']} calls, {total['input_tokens'] + total['output_tokens']}"
                        " tokens over every run" if total else ""))
        lines += claims_markdown(getattr(result, "llm_outcomes", []))
    else:
        lines.append("- no LLM: theme names are built from keywords; personas and messages are extractive")
    for f in m.inputs:
        if f.skipped is not None:   # found in a folder, not an export: the reason quotes the file's own headers
            lines.append(f"- input {md_code(Path(f.path).name)}: not read, {md_escape(f.skipped)}")
            continue
        lines.append(f"- input {md_code(Path(f.path).name)}: {f.rows} rows, {f.rows_used} used, {f.rows_skipped} skipped "
                     f"(sha256 {f.sha256[:12]})")
    return "\n".join(lines) + "\n"


def _demote(markdown: str) -> str:
    """Push a document's headings one level down so it nests under the run report's title."""
    return "\n".join("#" + line if line.startswith("#") else line for line in markdown.splitlines())
