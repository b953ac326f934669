"""Feedback items and the ingest ledger."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field

if TYPE_CHECKING:  # pandas is a dependency, but importing it costs ~0.3 s
    import pandas as pd

from feedbackiq.types._base import Language, SkipReason, SourceKind, _Model

__all__ = ["FeedbackItem", "FeedbackSet", "FileRecord", "Ledger", "LedgerEntry", "Origin"]


class Origin(_Model):
    """Where an item was read from: file, 1-based row (header is row 1) and column."""

    file: str
    row: int
    column: str | None = None


class FeedbackItem(_Model):
    """One piece of customer feedback, normalised across survey, review and CRM exports.

    ``id`` is stable across reruns over the same file: it derives from the export's own
    response/row id where one exists, otherwise from file name, row and column.
    ``respondent_id`` is the voice the item counts towards for demand: a survey
    respondent, a reviewer, or the account of a sales note.
    """

    id: str
    text: str
    source: SourceKind
    question: str | None = None
    respondent_id: str | None = None
    segments: dict[str, str] = Field(default_factory=dict)
    created_at: datetime | None = None
    rating: float | None = None
    language: Language = "other"
    deal_value: float | None = None
    deal_stage: str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)
    origin: Origin | None = None


class LedgerEntry(_Model):
    """What happened to one input row (or one survey cell when ``column`` is set)."""

    file: str
    row: int
    column: str | None = None
    outcome: Literal["item", "skipped"]
    item_id: str | None = None
    reason: SkipReason | None = None
    detail: str | None = None


class FileRecord(_Model):
    """One input file: how it was read and how many data rows it had."""

    path: str
    sha256: str
    format: str
    encoding: str | None = None
    layout: str
    source: SourceKind
    rows: int
    columns: dict[str, str] = Field(default_factory=dict)  # role -> header actually used


class Ledger(_Model):
    """Accounts for every input row: used (as one or more items) or skipped with a reason.

    For each file, ``rows_used + rows_skipped == rows`` holds exactly; a row is used
    when at least one of its cells became an item.
    """

    files: list[FileRecord] = Field(default_factory=list)
    entries: list[LedgerEntry] = Field(default_factory=list)

    def row_counts(self) -> dict[str, dict[str, int]]:
        """Per file: ``rows``, ``rows_used``, ``rows_skipped`` and ``items``."""
        out: dict[str, dict[str, int]] = {}
        for rec in self.files:
            used: set[int] = set()
            seen: set[int] = set()
            items = 0
            for e in self.entries:
                if e.file != rec.path:
                    continue
                seen.add(e.row)
                if e.outcome == "item":
                    used.add(e.row)
                    items += 1
            out[rec.path] = {
                "rows": rec.rows,
                "rows_used": len(used),
                "rows_skipped": len(seen - used),
                "rows_unaccounted": rec.rows - len(seen),
                "items": items,
            }
        return out

    def skip_reasons(self) -> Counter[str]:
        """Count of skipped entries by reason."""
        return Counter(e.reason.value for e in self.entries if e.outcome == "skipped" and e.reason)

    def to_pandas(self) -> "pd.DataFrame":
        import pandas as pd

        return pd.DataFrame([e.model_dump(mode="json") for e in self.entries])


class FeedbackSet(_Model):
    """Items plus the ingest ledger that accounts for every input row."""

    items: list[FeedbackItem] = Field(default_factory=list)
    ledger: Ledger = Field(default_factory=Ledger)

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self):  # type: ignore[override]  # iterate items, not pydantic fields
        return iter(self.items)

    def __getitem__(self, i: int) -> FeedbackItem:
        return self.items[i]

    def by_id(self) -> dict[str, FeedbackItem]:
        return {it.id: it for it in self.items}

    def segment_columns(self) -> list[str]:
        cols: dict[str, None] = {}
        for it in self.items:
            cols.update(dict.fromkeys(it.segments))
        return list(cols)

    def to_pandas(self) -> "pd.DataFrame":
        """One row per item; segments become ``segment:<name>`` columns."""
        import pandas as pd

        rows = []
        for it in self.items:
            d = it.model_dump(mode="python", exclude={"segments", "metadata", "origin"})
            d["source"] = it.source.value
            for k, v in it.segments.items():
                d[f"segment:{k}"] = v
            if it.origin:
                d["origin_file"], d["origin_row"], d["origin_column"] = it.origin.file, it.origin.row, it.origin.column
            rows.append(d)
        return pd.DataFrame(rows)

    def summary(self) -> str:
        """A short human-readable account of the set and its ledger."""
        from feedbackiq._summary import feedback_set_summary

        return feedback_set_summary(self)
