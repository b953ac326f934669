"""The appendix: what the report was computed from (sources, files, models) and the finished run manifest."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from typing import Any

from feedbackiq.report._claims import claims_block
from feedbackiq.report._html import DASH, esc, num, pct, section
from feedbackiq.types import LLMOutcome, ThemeReport

__all__ = ["appendix_section"]

_SOURCE_NAMES = {"survey": "survey answers", "review": "app reviews", "sales_note": "sales notes",
                 "support_ticket": "support tickets", "other": "other"}
_LANGUAGE_NAMES = {"en": "English", "zh": "Chinese", "other": "other"}


def _counts(counter: Counter, names: dict[str, str]) -> str:
    return ", ".join(f"{esc(names.get(k, k))} {num(v)}" for k, v in counter.most_common()) or DASH


def _files_table(report: ThemeReport) -> str:
    fs = report.feedback
    if fs is None or not fs.ledger.files:
        return ""
    counts = fs.ledger.row_counts()
    rows = "".join(
        f"<tr><td>{esc(f.path)}</td><td>{esc(f.source.value)}</td><td>{esc(f.layout)}</td>"
        f'<td class="n">{num(f.rows)}</td><td class="n">{num(counts[f.path]["rows_used"])}</td>'
        f'<td class="n">{num(counts[f.path]["rows_skipped"])}</td><td class="n">{num(counts[f.path]["items"])}</td></tr>'
        for f in fs.ledger.files)
    skipped = "".join(f"<li>{esc(f.path)}: {esc(f.reason)}</li>" for f in fs.ledger.skipped_files)
    return ('<h3>Input files</h3><div class="scroll"><table class="plain"><thead><tr><th>file</th><th>source</th><th>layout</th>'
            '<th class="n">rows</th><th class="n">used</th><th class="n">skipped</th><th class="n">items</th></tr>'
            f"</thead><tbody>{rows}</tbody></table></div>"
            + (f"<p>Files in the input folders not read as feedback:</p><ul>{skipped}</ul>" if skipped else ""))


def _flatten(value: Any, prefix: str = "") -> list[tuple[str, Any]]:
    if isinstance(value, dict) and value:
        return [kv for k, v in value.items() for kv in _flatten(v, f"{prefix}.{k}" if prefix else str(k))]
    return [(prefix, value)]


def _stages(stages: list) -> str:
    """The run's stages as a table: what each did, how, in how long."""
    rows = "".join(f"<tr><td>{esc(s.get('stage'))}</td><td>{esc(s.get('status'))}</td>"
                   f'<td class="n">{esc(s.get("seconds"))}</td><td>{esc(s.get("detail"))}</td></tr>'
                   for s in stages if isinstance(s, dict))
    return ('<h3>Stages of the run</h3><div class="scroll"><table class="plain" id="stages"><thead><tr><th>stage</th>'
            f'<th>status</th><th class="n">seconds</th><th>detail</th></tr></thead><tbody>{rows}</tbody></table></div>')


def _manifest(manifest: dict | None) -> str:
    if not manifest:
        return ""
    stages = manifest.get("stages")
    rest = {k: v for k, v in manifest.items() if k != "stages" or not isinstance(stages, list)}
    rows = "".join(f"<tr><th>{esc(k)}</th><td>{esc(v if isinstance(v, str) else json.dumps(v, ensure_ascii=False, default=str))}</td></tr>"
                   for k, v in _flatten(rest))
    return ((_stages(stages) if isinstance(stages, list) and stages else "")
            + '<details class="manifest"><summary>Run manifest (versions, parameters, inputs, timings)</summary>'
            f'<div class="scroll"><table class="kv">{rows}</table></div></details>')


def _names_fact(report: ThemeReport) -> str:
    named = [f"{n} of {len(groups)} {what}" for what, groups in (("needs", report.needs), ("themes", report.themes))
             if (n := sum(g.label_source == "llm" for g in groups))]
    offline = "needs by their most typical quote, themes by keywords"
    if named:
        return f"{' and '.join(named)} named by an LLM (checked against quotes); the rest offline: {offline}"
    if report.llm_outcome is not None and (why := report.llm_outcome.summary()):
        return f"offline, no LLM name: {esc(why)}; {offline}"
    return f"offline (no LLM in this run): {offline}"


def appendix_section(report: ThemeReport, manifest: dict | None, outcomes: Sequence[LLMOutcome | None] = ()) -> str:
    """What the report was made from; ``outcomes``: the LLM steps' (their claims and fallbacks are tabled)."""
    items = report.feedback.items if report.feedback else []
    sources = Counter(it.source.value for it in items)
    languages = Counter(it.language for it in items)
    dates = sorted(it.created_at for it in items if it.created_at is not None)
    other = report.other.size if report.other else 0
    facts = [
        ("Feedback", f"{num(report.n_items)} items from {num(report.n_respondents)} respondents/accounts; "
                     f"{num(len(report.needs))} needs in {num(len(report.themes))} themes; "
                     f"{pct(other / report.n_items if report.n_items else None, 1)} of the items in no theme (\"other\")"),
        ("Sources", _counts(sources, _SOURCE_NAMES)),
        ("Languages", _counts(languages, _LANGUAGE_NAMES)),
        ("Dates", f"{dates[0]:%Y-%m-%d} to {dates[-1]:%Y-%m-%d} ({num(len(dates))} items dated)" if dates else DASH),
        ("Models", ", ".join(f"{esc(k)}: {esc(v)}" for k, v in report.model_ids.items()) or DASH),
        ("Names", _names_fact(report)),
    ]
    body = ('<table class="kv">' + "".join(f"<tr><th>{esc(k)}</th><td>{v}</td></tr>" for k, v in facts)
            + f"</table>{_files_table(report)}{claims_block(outcomes)}{_manifest(manifest)}")
    return section("appendix", "Appendix: what this report was made from",
                   "A respondent is one survey respondent, one reviewer or one sales account; needs are counted in "
                   "respondents, so one loud customer counts once. The manifest records versions, settings, input "
                   "file hashes, the time of each stage and the LLM calls of the run.", body)
