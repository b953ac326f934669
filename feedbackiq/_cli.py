"""The ``feedbackiq`` command line: batch runs over exports.

Every command is a thin layer over the Python API; a FeedbackIQError prints one
line (no traceback) and exits with status 2 (3 when every LLM call failed).
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.console import Console
from rich.markup import escape

from feedbackiq import __version__
from feedbackiq._errors import FeedbackIQError

__all__ = ["app", "main"]

app = typer.Typer(
    name="feedbackiq",
    help="Turn survey exports, app reviews and CRM notes into need themes and KPI-card evidence.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
err = Console(stderr=True)
out = Console()

# readable=False: a file that may not be read is reported by ingest, in one line, like every input error.
FilesArg = Annotated[list[Path], typer.Argument(help="Input files (CSV/TSV, XLSX, JSON, JSONL, Parquet) or folders.",
                                                readable=False)]
OutOpt = Annotated[Path, typer.Option("--out", "-o", help="Output directory.")]
SourceOpt = Annotated[Optional[str], typer.Option(help="survey | review | sales_note | support_ticket | other (default: detect).")]
LayoutOpt = Annotated[Optional[str], typer.Option(help="survey_wide | review | sales_note | long (default: detect).")]
LlmOpt = Annotated[Optional[str], typer.Option("--llm", help="LLM model for the LLM-written parts (default: $FEEDBACKIQ_LLM_MODEL).")]
LlmUrlOpt = Annotated[Optional[str], typer.Option(help="OpenAI-compatible base URL (default: $OPENAI_BASE_URL), e.g. http://localhost:11434/v1 for Ollama.")]
LangOpt = Annotated[str, typer.Option(help="Language of LLM output: same | en | zh.")]
ByOpt = Annotated[Optional[str], typer.Option(help="Segment column, 'segment' to pick one, 'none' to group respondents by the needs they voice, or 'auto': by needs when that finds distinct groups, else by segment.")]
EngineOpt = Annotated[Optional[str], typer.Option(help="local | ray: embed (and assign) on a Ray cluster, pip install 'feedbackiq[ray]' (default: config, local).")]
RayAddressOpt = Annotated[Optional[str], typer.Option(help="With --engine ray: the cluster, e.g. ray://head:10001 (default: $RAY_ADDRESS, else a local Ray).")]
MapOpt = Annotated[Optional[list[str]], typer.Option("--map", help="Column override ROLE=COLUMN, e.g. --map text=comment (repeatable; segments=a,b).")]
SheetOpt = Annotated[Optional[str], typer.Option(help="XLSX sheet to read, by name (default: the first sheet).")]
NeedsOpt = Annotated[Optional[int], typer.Option("--needs", help="Group the themes into this many needs (default: found from the data).")]
OverridesOpt = Annotated[Optional[Path], typer.Option("--needs-overrides", help="needs.yaml: your splits, moves, merges and renames of the need tree, applied on every run.")]
RetryFailedOpt = Annotated[bool, typer.Option("--retry-failed", help="Send again the LLM calls that failed before (failed calls are stored and otherwise not paid for again).")]
BestEffortOpt = Annotated[bool, typer.Option("--best-effort", help="Exit 0 even when every LLM call failed (default: exit status 3).")]
RegroupOpt = Annotated[bool, typer.Option("--llm-regroup", help="Let the LLM propose a regrouping of the themes into needs (one call); a change is kept only where the embeddings agree.")]


def friendly_errors(fn):
    """Typed errors become one red line and exit code 2; anything else is a real bug and keeps its traceback."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except FeedbackIQError as exc:
            # Escaped: a message is text, not rich markup ("pip install 'feedbackiq[ray]'" lost its "[ray]").
            err.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
            raise typer.Exit(exc.exit_status) from None

    return wrapper


def _version(value: bool) -> None:
    if value:
        out.print(f"feedbackiq {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")] = False,
) -> None:
    """feedbackiq: voice-of-customer text -> need themes, personas, market language, KPI-card evidence."""


def parse_mapping(items: list[str] | None) -> dict[str, Any]:
    mapping: dict[str, Any] = {}
    for item in items or []:
        if "=" not in item:
            raise typer.BadParameter(f"--map expects ROLE=COLUMN, got {item!r}")
        role, col = (x.strip() for x in item.split("=", 1))
        if role == "segments" or (role == "text" and "," in col):
            mapping[role] = [c.strip() for c in col.split(",") if c.strip()]
        else:
            mapping[role] = col
    return mapping


def ingest_files(files: list[Path], source: str | None, layout: str | None, mapping: list[str] | None,
                 sheet: str | None = None):
    from feedbackiq.ingest import read_feedback

    return read_feedback(files, source, layout=layout, sheet=sheet, **parse_mapping(mapping))


@app.command("run")
@friendly_errors
def run_cmd(
    exports: Annotated[list[Path], typer.Argument(help="Survey, review and CRM exports (files or folders).", readable=False)],
    out_dir: OutOpt,
    config: Annotated[Optional[Path], typer.Option("--config", "-c", help="TOML settings (see `feedbackiq config-example`).")] = None,
    cards: Annotated[Optional[Path], typer.Option(help="KPI cards file (YAML/JSON) to score the themes against.")] = None,
    features: Annotated[Optional[Path], typer.Option(help="Features file (YAML/CSV) to translate into each segment's words.")] = None,
    resume: Annotated[bool, typer.Option("--resume", help="Reuse every finished stage whose inputs and settings did not change.")] = False,
    llm: LlmOpt = None,
    llm_base_url: LlmUrlOpt = None,
    language: Annotated[Optional[str], typer.Option(help="Language of LLM output: same | en | zh (default: config).")] = None,
    max_llm_calls: Annotated[Optional[int], typer.Option(help="Hard cap on LLM calls (default: config).")] = None,
    llm_timeout: Annotated[Optional[float], typer.Option(help="Seconds the LLM server may stay silent before a call times out (streamed: per token). Default: config; 600 for a base URL on this machine (a slow local model), else 60.")] = None,
    llm_concurrency: Annotated[Optional[int], typer.Option(help="LLM calls in flight. Default: config; 1 for a base URL on this machine, else 4.")] = None,
    by: Annotated[Optional[str], typer.Option(help="Personas by: 'auto' (by the needs they voice when that finds distinct groups, else by segment), a segment column, 'segment' or 'none' (default: config, 'auto').")] = None,
    seed: Annotated[Optional[int], typer.Option(help="Random seed (default: config, 0).")] = None,
    engine: EngineOpt = None,
    ray_address: RayAddressOpt = None,
    map_: MapOpt = None,
    sheet: Annotated[Optional[str], typer.Option(help="XLSX sheet to read, by name (default: config, the first sheet).")] = None,
    progress: Annotated[str, typer.Option(help="rich | plain | json | quiet (default: rich on a terminal, else plain).")] = "auto",
    needs: NeedsOpt = None,
    needs_overrides: OverridesOpt = None,
    retry_failed: RetryFailedOpt = False,
    best_effort: BestEffortOpt = False,
    llm_regroup: RegroupOpt = False,
) -> None:
    """Everything in one go: ingest -> themes -> names -> personas -> messaging -> card scores -> report.html."""
    from feedbackiq.pipeline import load_config, run

    cfg = load_config(config).with_overrides({
        "llm": {"model": llm, "base_url": llm_base_url, "max_calls": max_llm_calls, "timeout": llm_timeout,
                "max_concurrency": llm_concurrency, "retry_failed": retry_failed or None,
                "best_effort": best_effort or None, "regroup_needs": llm_regroup or None},
        "output": {"language": language},
        "personas": {"by": by},
        "themes": {"seed": seed, "engine": engine, "ray_address": ray_address, "n_needs": needs,
                   "overrides": needs_overrides},
        "ingest": {"columns": parse_mapping(map_) or None, "sheet": sheet},
    })
    if progress == "auto":
        progress = "rich" if sys.stderr.isatty() else "plain"
    if not resume and (out_dir / "manifest.json").exists():
        err.print(f"{out_dir} holds an earlier run: recomputing every stage (pass --resume to reuse finished ones)",
                  highlight=False)
    result = run(exports, out_dir, config=cfg, cards=cards, features=features, resume=resume, progress=progress)
    reused = [s.stage for s in result.manifest.stages if s.status == "reused"]
    if reused:
        err.print(f"reused from checkpoints: {', '.join(reused)}", highlight=False)
    if progress != "quiet" and progress != "json":
        print_themes(result.report, 10)
    print_note(result.report)
    out.print(f"report: {result.report_path}", highlight=False)


@app.command("config-example")
def config_example() -> None:
    """Print a commented feedbackiq.toml to start from."""
    from feedbackiq.pipeline import EXAMPLE_CONFIG

    # Plain text, not rich: rich wraps at the console width (80 when piped), which breaks long
    # comment lines out of their "#" and makes `config-example > feedbackiq.toml` invalid TOML.
    typer.echo(EXAMPLE_CONFIG, nl=False)


@app.command()
@friendly_errors
def ingest(files: FilesArg, out_dir: OutOpt, source: SourceOpt = None, layout: LayoutOpt = None, map_: MapOpt = None,
           sheet: SheetOpt = None) -> None:
    """Read exports into feedback items and write them with the ingest ledger."""
    from feedbackiq.ingest import write_feedback

    fs = ingest_files(files, source, layout, map_, sheet)
    paths = write_feedback(fs, out_dir)
    out.print(fs.summary(), highlight=False)
    out.print(f"wrote {paths['feedback']}, {paths['items'].name}, {paths['ledger'].name} in {out_dir}")


# --- themes command ---


@app.command()
@friendly_errors
def themes(
    files: FilesArg,
    out_dir: OutOpt,
    source: SourceOpt = None,
    layout: LayoutOpt = None,
    map_: MapOpt = None,
    sheet: SheetOpt = None,
    seed: Annotated[int, typer.Option(help="Random seed (same input + seed -> same themes).")] = 0,
    min_cluster_size: Annotated[Optional[int], typer.Option(help="Smallest theme in items (default scales with the data).")] = None,
    no_subthemes: Annotated[bool, typer.Option("--no-subthemes", help="Do not split large themes.")] = False,
    show: Annotated[int, typer.Option(help="Needs to print (0 = none).")] = 15,
    llm: LlmOpt = None,
    llm_base_url: LlmUrlOpt = None,
    language: LangOpt = "same",
    max_llm_calls: Annotated[Optional[int], typer.Option(help="Hard cap on LLM calls; results obtained before it are kept.")] = None,
    engine: EngineOpt = None,
    ray_address: RayAddressOpt = None,
    needs: NeedsOpt = None,
    needs_overrides: OverridesOpt = None,
    retry_failed: RetryFailedOpt = False,
    best_effort: BestEffortOpt = False,
    llm_regroup: RegroupOpt = False,
) -> None:
    """Ingest exports and find need themes: writes themes.json/.md/.csv, assignments.csv and the ledger."""
    from feedbackiq.ingest import write_feedback
    from feedbackiq.pipeline import run_dir_lock
    from feedbackiq.themes import find_themes, write_theme_report

    with run_dir_lock(out_dir):
        fs = ingest_files(files, source, layout, map_, sheet)
        write_feedback(fs, out_dir)
        err.print(fs.summary(), highlight=False)
        report = find_themes(fs, seed=seed, min_cluster_size=min_cluster_size, subthemes=not no_subthemes, progress=True,
                             engine=engine or "local", ray_address=ray_address, n_needs=needs, overrides=needs_overrides)
        report = name_with_llm(report, llm, llm_base_url, language, max_llm_calls, retry_failed, llm_regroup)
        paths = write_theme_report(report, out_dir, with_feedback=False)   # feedback.json is beside it
    if show:
        print_themes(report, show)
    print_note(report)
    out.print(f"needs and themes: {paths['markdown']} (also themes.json, needs.csv, themes.csv, assignments.csv, "
              "items.csv, ledger.csv)")
    check_llm_outcomes([report.llm_outcome], best_effort, out_dir)


def llm_or_hint(model: str | None, base_url: str | None, max_calls: int | None = None, retry_failed: bool = False):
    """The configured LLM, or None after one line that says how to configure one."""
    from feedbackiq.llm import HOW_TO_CONFIGURE, LLM, Budget

    client = LLM.from_env(model=model, base_url=base_url, budget=Budget(max_calls=max_calls), retry_failed=retry_failed)
    if client is None:
        err.print(f"[yellow]{HOW_TO_CONFIGURE}[/]", highlight=False)
    return client


def check_llm_outcomes(outcomes: list, best_effort: bool, where: Path) -> None:
    """Say what failed among a command's LLM calls, what came from the offline path and which claims were dropped;
    when every call failed, stop with exit status 3 unless best effort."""
    from feedbackiq.llm import check_all_failed

    for o in outcomes:
        if o is not None and (summary := o.summary()) is not None:
            err.print(f"[yellow]LLM: {escape(summary)}[/]", highlight=False, soft_wrap=True)
        for line in (o.fallback_summary(), o.claims_summary()) if o is not None else ():
            if line:   # what came from the offline path instead, and the claims kept and dropped
                err.print(f"LLM: {escape(line)}", highlight=False, soft_wrap=True)
    check_all_failed(outcomes, where, best_effort=best_effort)


def name_with_llm(report, model: str | None, base_url: str | None, language: str, max_calls: int | None,
                  retry_failed: bool = False, regroup: bool = False):
    """Name needs with an LLM when one is configured (after its regrouping of the themes, with ``regroup``)."""
    from feedbackiq.llm import regroup_and_name

    client = llm_or_hint(model, base_url, max_calls, retry_failed)
    if client is None:
        return report
    named = regroup_and_name(report, client, regroup=regroup, language=language)
    for note in named.llm_stats.get("regrouping", {}).get("notes", []):
        err.print(f"LLM regrouping: {escape(note)}", highlight=False, soft_wrap=True)
    s = named.llm_stats
    est = s["estimate"]
    err.print(f"LLM estimate before the run: {est['calls']} calls, ~{est['input_tokens'] + est['output_tokens']} tokens"
              + ("" if est["fits"] else " (over the budget: the cap stops the run cleanly)"), highlight=False)
    err.print(f"LLM {client.model}: {s['named']} needs named, {s['failed']} failed, {s['below_privacy_threshold']} below the "
              f"privacy threshold, {s['dropped_citations']} claims dropped; {s['usage']['calls']} calls "
              f"({s['usage']['cache_hits']} from cache, {s['usage']['cached_failures']} of them stored failures)",
              highlight=False)
    return named


def parse_by(by: str | None) -> str | None:
    return None if (by or "").lower() == "none" else by


def print_note(report) -> None:
    """Why there are no themes, when there are none (on stderr, as the other remarks on a run)."""
    if report.note:
        err.print(f"[yellow]{escape(report.note)}[/]", highlight=False, soft_wrap=True)


def print_themes(report, limit: int) -> None:
    """The needs (with how many themes voice each), then the praise set apart and "other"."""
    from rich.table import Table

    table = Table(title=f"{len(report.needs)} needs in {len(report.themes)} themes, {report.n_items} items "
                        f"({report.n_respondents} respondents/accounts)")
    for col, justify in (("#", "right"), ("need", "left"), ("respondents", "right"), ("share", "right"),
                         ("themes", "right"), ("rating", "right")):
        table.add_column(col, justify=justify, overflow="fold")
    for n in report.needs[:limit]:
        table.add_row(str(n.id), n.name, str(n.respondents), f"{100 * n.respondent_share:.1f}%", str(len(n.theme_ids)),
                      f"{n.mean_rating:.1f}" if n.mean_rating is not None else "")
    for n in report.non_needs:
        table.add_row(str(n.id), f"{n.name} (not a need)", str(n.respondents), f"{100 * n.respondent_share:.1f}%",
                      str(len(n.theme_ids)), f"{n.mean_rating:.1f}" if n.mean_rating is not None else "")
    if report.other:
        table.add_row("-", "Other (unassigned)", str(report.other.respondents),
                      f"{100 * report.other.respondent_share:.1f}%", "", "")
    out.print(table)
    for note in report.override_notes:
        err.print(f"needs.yaml: {note}", highlight=False)


@app.command()
@friendly_errors
def personas(
    run_dir: Annotated[Path, typer.Argument(help="A folder written by `feedbackiq themes` (holds themes.json).")],
    by: ByOpt = "segment",
    min_respondents: Annotated[int, typer.Option(help="Smallest group that gets a persona.")] = 5,
    llm: LlmOpt = None,
    llm_base_url: LlmUrlOpt = None,
    language: LangOpt = "same",
    retry_failed: RetryFailedOpt = False,
    best_effort: BestEffortOpt = False,
) -> None:
    """Draft persona cards (computed facts, distinctive needs, verbatim quotes; pains, goals, objections with an LLM)."""
    from feedbackiq.gtm import draft_persona_traits, draft_personas, write_personas
    from feedbackiq.pipeline import load_run_report, run_dir_lock

    with run_dir_lock(run_dir, create=False):
        report = load_run_report(run_dir)
        result = draft_personas(report, by=parse_by(by), min_respondents=min_respondents)
        client = llm_or_hint(llm, llm_base_url, retry_failed=retry_failed)
        if client is not None:
            result = draft_persona_traits(result, report, client, language=language)
        paths = write_personas(result, run_dir)
    if result.note:
        out.print(f"personas {escape(result.note)}", highlight=False)
    for p in result.personas:
        out.print(f"- {p.label}: {p.summary}", highlight=False)
    out.print(f"personas: {paths['markdown']} (one document per persona in {run_dir / 'personas'}, and personas.json)")
    check_llm_outcomes([result.llm_outcome], best_effort, run_dir)


@app.command()
@friendly_errors
def translate(
    run_dir: Annotated[Path, typer.Argument(help="A folder written by `feedbackiq themes` (holds themes.json).")],
    features: Annotated[Path, typer.Option("--features", help="Features file (YAML or CSV: name, description, optional needs or themes ids).")],
    by: ByOpt = "segment",
    llm: LlmOpt = None,
    llm_base_url: LlmUrlOpt = None,
    language: LangOpt = "same",
    retry_failed: RetryFailedOpt = False,
    best_effort: BestEffortOpt = False,
) -> None:
    """Say each feature in each segment's own words, with proof quotes, words to use and jargon to avoid."""
    from feedbackiq.gtm import draft_personas, load_features, translate_features, write_translations
    from feedbackiq.pipeline import load_run_report, run_dir_lock

    with run_dir_lock(run_dir, create=False):
        report = load_run_report(run_dir)
        feats = load_features(features)
        personas_ = draft_personas(report, by=parse_by(by)).by_segment()   # messages are per segment
        client = llm_or_hint(llm, llm_base_url, retry_failed=retry_failed)
        result = translate_features(feats, personas_, report, client, language=language)
        paths = write_translations(result, run_dir, {n.id: n.name for n in report.needs})
    out.print(f"translations: {paths['markdown']} (one document per feature in {run_dir / 'features'}): "
              f"{len(feats)} features x {len(personas_.personas)} segments")
    check_llm_outcomes([t.llm_outcome for t in result], best_effort, run_dir)


@app.command()
@friendly_errors
def score(
    run_dir: Annotated[Path, typer.Argument(help="A folder written by `feedbackiq themes` (holds themes.json).")],
    cards: Annotated[Path, typer.Option("--cards", help="KPI card file (YAML or JSON with a 'cards:' list).")],
    as_of: Annotated[Optional[str], typer.Option(help="Judge phases and open windows at this date (YYYY-MM-DD).")] = None,
    llm: LlmOpt = None,
    llm_base_url: LlmUrlOpt = None,
    retry_failed: RetryFailedOpt = False,
    best_effort: BestEffortOpt = False,
) -> None:
    """Score the KPI cards' targets against the evidence: writes scorecard.md and scorecard.json.

    With an LLM, matches made by meaning are confirmed by it (one call per such target)."""
    from feedbackiq.cards import load_cards, score_cards, write_scorecard
    from feedbackiq.pipeline import load_gtm_outputs, load_run_report, run_dir_lock

    with run_dir_lock(run_dir, create=False):
        report = load_run_report(run_dir)
        card_set = load_cards(cards)
        personas_, translations = load_gtm_outputs(run_dir)
        when = parse_date(as_of, "--as-of")
        scores = score_cards(card_set, report, personas=personas_, translations=translations, as_of=when,
                             llm=llm_or_hint(llm, llm_base_url, retry_failed=retry_failed))
        paths = write_scorecard(scores, run_dir)
    print_scores(scores)
    out.print(f"scorecard: {paths['markdown']} (also scorecard.json)")
    check_llm_outcomes([scores.llm_outcome], best_effort, run_dir)


def parse_date(value: str | None, option: str):
    from datetime import date

    from feedbackiq._errors import InputError

    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InputError(f"{option}: expected a date as YYYY-MM-DD, got {value!r}") from None


def print_scores(scores) -> None:
    from rich.table import Table

    from feedbackiq.cards import format_value

    table = Table(title=f"KPI cards as of {scores.as_of}")
    for col, justify in (("card", "left"), ("target", "left"), ("actual", "right"), ("target", "right"), ("status", "left")):
        table.add_column(col, justify=justify, overflow="fold")
    for c in scores.cards:
        for i, r in enumerate(c.targets):
            op = ">=" if r.direction == "min" else "<="
            table.add_row(f"{c.name}: {c.status}" if i == 0 else "", r.target, format_value(r.metric, r.actual),
                                        f"{op} {format_value(r.metric, r.target_value)}", r.status, end_section=i == len(c.targets) - 1)
    out.print(table)
    if scores.unowned:
        out.print("unowned demand: " + "; ".join(f"#{u.need_id} {u.name} ({u.respondents} respondents, "
                                                 f"lost deals {u.lost_deal_value:,.0f})" for u in scores.unowned[:5]),
                  highlight=False)


def main() -> None:
    """Console entry point."""
    app(prog_name="feedbackiq")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
