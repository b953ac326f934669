"""Write a FeedbackSet next to the results, and read it back exactly."""

from __future__ import annotations

import json
from pathlib import Path

from feedbackiq._errors import IngestError
from feedbackiq._tabular_out import write_csv
from feedbackiq.types import FeedbackSet

__all__ = ["write_feedback", "load_feedback"]


def write_feedback(fs: FeedbackSet, out_dir: str | Path) -> dict[str, Path]:
    """Write ``feedback.json`` (exact round trip), ``items.csv``, ``ledger.csv`` and ``ledger_summary.json``.

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
    # Bytes straight from pydantic-core: no str and encoded copy of a GB-sized text at 1M items.
    paths["feedback"].write_bytes(type(fs).__pydantic_serializer__.to_json(fs))
    write_csv(fs.to_pandas(), paths["items"])
    write_csv(fs.ledger.to_pandas(), paths["ledger"])
    summary = {
        "files": [f.model_dump(mode="json") for f in fs.ledger.files],
        "row_counts": fs.ledger.row_counts(),
        "skip_reasons": dict(fs.ledger.skip_reasons()),
        "items": len(fs.items),
    }
    paths["ledger_summary"].write_text(json.dumps(summary, ensure_ascii=False, indent=1), encoding="utf-8")
    return paths


def load_feedback(path: str | Path) -> FeedbackSet:
    """Load a FeedbackSet written by :func:`write_feedback` (a directory or its ``feedback.json``)."""
    p = Path(path)
    if p.is_dir():
        p = p / "feedback.json"
    if not p.exists():
        raise IngestError("no feedback.json here; write one with `feedbackiq ingest ... --out DIR`", file=str(p))
    return FeedbackSet.model_validate_json(p.read_text(encoding="utf-8"))
