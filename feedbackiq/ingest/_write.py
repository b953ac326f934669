"""Write a FeedbackSet next to the results, and read it back exactly."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from pydantic import TypeAdapter

from feedbackiq._errors import IngestError
from feedbackiq._mdsafe import md_code, md_escape
from feedbackiq._tabular_out import datetime_format, write_csv_blocks
from feedbackiq.types import FeedbackItem, FeedbackSet, LedgerEntry, markdown_view

__all__ = ["write_feedback", "write_feedback_json", "load_feedback", "feedback_to_markdown"]

BLOCK_ROWS = 50_000   # items (and ledger entries) serialised at a time


def write_feedback(fs: FeedbackSet, out_dir: str | Path) -> dict[str, Path]:
    """Write ``feedback.json`` (exact round trip), ``items.csv``, ``ledger.csv`` and ``ledger_summary.json``
    (files read with their row counts, files found in a folder that were skipped, with why, segment values
    counted as another spelling, and respondents whose rows disagreed on a segment value).

    CSV cells that a spreadsheet would run as formulas are escaped; the JSON keeps
    every text verbatim.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {
        "feedback": out / "feedback.json",
        "items": out / "items.csv",
        "ledger": out / "ledger.csv",
        "ledger_summary": out / "ledger_summary.json",
    }
    write_feedback_json(fs, paths["feedback"])
    write_csv_blocks(fs.iter_pandas(BLOCK_ROWS), paths["items"],
                     date_format=datetime_format(it.created_at for it in fs.items))
    entries = fs.ledger.entries
    write_csv_blocks((entries.to_pandas(i, i + BLOCK_ROWS) for i in range(0, max(len(entries), 1), BLOCK_ROWS)),
                     paths["ledger"])
    summary = {
        "files": [f.model_dump(mode="json") for f in fs.ledger.files],
        "row_counts": fs.ledger.row_counts(),
        "skipped_files": [f.model_dump(mode="json") for f in fs.ledger.skipped_files],
        "skip_reasons": dict(fs.ledger.skip_reasons()),
        "segment_values": [m.model_dump(mode="json") for m in fs.ledger.segment_values],
        "segment_conflicts": [c.model_dump(mode="json") for c in fs.ledger.segment_conflicts],
        "items": len(fs.items),
    }
    paths["ledger_summary"].write_text(json.dumps(summary, ensure_ascii=False, indent=1), encoding="utf-8")
    return paths


def write_feedback_json(fs: FeedbackSet, path: str | Path) -> Path:
    """``fs`` as the JSON of ``fs.model_dump_json()``, written a block of items and of ledger entries
    at a time (bytes straight from pydantic-core), so that the whole JSON is never held in memory
    (evals/README.md, "Scale: 1M rows end to end")."""
    path = Path(path)
    items = TypeAdapter(list[FeedbackItem])
    entries = TypeAdapter(list[LedgerEntry])
    ledger = fs.ledger
    with path.open("wb") as fh:
        fh.write(b'{"items":[')
        _write_blocks(fh, fs.items, items.dump_json)
        fh.write(b'],"ledger":')
        head = ledger.__pydantic_serializer__.to_json(ledger, exclude={"entries"})
        fh.write(head[:-1] + (b'"entries":[' if head == b"{}" else b',"entries":['))   # the ledger's other fields
        _write_blocks(fh, ledger.entries, entries.dump_json)
        fh.write(b"]}}")
    return path


def _write_blocks(fh, rows, dump) -> None:
    for start in range(0, len(rows), BLOCK_ROWS):
        if start:
            fh.write(b",")
        fh.write(dump(rows[start:start + BLOCK_ROWS])[1:-1])   # the block's list without its brackets


def load_feedback(path: str | Path) -> FeedbackSet:
    """Load a FeedbackSet written by :func:`write_feedback` (a directory or its ``feedback.json``)."""
    p = Path(path)
    if p.is_dir():
        p = p / "feedback.json"
    if not p.exists():
        raise IngestError("no feedback.json here; write one with `feedbackiq ingest ... --out DIR`", file=str(p))
    return FeedbackSet.model_validate_json(p.read_text(encoding="utf-8"))


@markdown_view(FeedbackSet)
def feedback_to_markdown(fs: FeedbackSet) -> str:
    """What was read, as Markdown: each file's rows used and skipped (every row is one or the other), the
    reasons rows were skipped, files not read and why, and the items by source and language.

    >>> from feedbackiq.types import FeedbackItem
    >>> print(feedback_to_markdown(FeedbackSet(items=[FeedbackItem(id="a", text="Slow.", source="review")])).splitlines()[2])
    1 items from 0 files.
    """
    counts = fs.ledger.row_counts()
    lines = ["# Feedback read", "", f"{len(fs.items)} items from {len(counts)} files.", ""]
    if counts:
        lines += ["| file | rows | used | skipped | items |", "|---|---:|---:|---:|---:|"]
        lines += [f"| {md_code(Path(path).name)} | {c['rows']} | {c['rows_used']} | {c['rows_skipped']} | {c['items']} |"
                  for path, c in counts.items()]
        lines.append("")
    reasons = fs.ledger.skip_reasons()
    if reasons:
        lines += ["Skipped cells and rows, by reason:", ""] + [f"- {md_escape(why)}: {n}" for why, n in reasons.most_common()] + [""]
    if fs.ledger.skipped_files:
        lines += ["Files not read:", ""] + [f"- {md_code(Path(f.path).name)}: {md_escape(f.reason)}"
                                            for f in fs.ledger.skipped_files] + [""]
    by_kind = Counter((it.source.value, it.language) for it in fs.items)
    if by_kind:
        lines += ["| source | language | items |", "|---|---|---:|"]
        lines += [f"| {source} | {language} | {n} |" for (source, language), n in sorted(by_kind.items())]
        lines.append("")
    return "\n".join(lines)
