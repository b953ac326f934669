"""Feedback items and the set that holds them with their ledger (``_ledger``)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import Field

if TYPE_CHECKING:  # pandas is a dependency, but slow to import: loaded by the methods that use it
    import pandas as pd

from feedbackiq.types._base import Language, SourceKind, _Model, _Result
from feedbackiq.types._ledger import Ledger

__all__ = ["FeedbackItem", "FeedbackSet", "Origin", "SharedSegments"]


class SharedSegments(dict):
    """A read-only ``segments`` dict that ingest shares between items with the same values.

    A million rows of one export carry a handful of distinct segment combinations; one shared
    mapping each saves about 250 bytes a row. Because it is shared, changing it in place would
    change every item that has it, so that raises; assign a new dict to the item instead.

    >>> seg = SharedSegments({"plan": "pro"})
    >>> seg["plan"], seg == {"plan": "pro"}
    ('pro', True)
    >>> seg["plan"] = "free"
    Traceback (most recent call last):
    ...
    TypeError: segments are shared between items: assign a new dict (item.segments = {...}) instead
    """

    __slots__ = ()

    def _read_only(self, *args: Any, **kwargs: Any) -> None:
        raise TypeError("segments are shared between items: assign a new dict (item.segments = {...}) instead")

    __setitem__ = __delitem__ = update = pop = popitem = clear = setdefault = __ior__ = _read_only  # type: ignore[assignment]

    def __reduce__(self):  # pickling and deepcopy rebuild it from a plain dict (not item by item)
        return (type(self), (dict(self),))

    def copy(self) -> dict[str, str]:  # type: ignore[override]
        return dict(self)


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
    respondent, a reviewer, or the account of a sales note. Items read by ``read_feedback``
    share their ``segments`` mapping (:class:`SharedSegments`, read-only) with other rows that
    have the same values.
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


class FeedbackSet(_Result):
    """Items plus the ingest ledger that accounts for every input row."""

    _view_package: ClassVar[str] = "feedbackiq.ingest"

    _json_indent: ClassVar[int | None] = None   # feedback.json is not indented: it holds every item

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
        """One row per item; segments become ``segment:<name>`` columns.

        Built column by column (not a dict per item): a million items would otherwise hold a
        million dicts at once.
        """
        return next(self.iter_pandas(block_rows=max(len(self.items), 1)))

    def iter_pandas(self, block_rows: int = 100_000) -> "Iterator[pd.DataFrame]":
        """:meth:`to_pandas` in blocks of ``block_rows`` rows, every block with the same columns
        (for writing a million rows without holding them all as one table)."""
        import pandas as pd

        plain = [f for f in FeedbackItem.model_fields if f not in ("segments", "metadata", "origin")]
        segment_columns = self.segment_columns()
        with_origin = any(it.origin for it in self.items)
        for start in range(0, max(len(self.items), 1), block_rows):
            items = self.items[start:start + block_rows]
            cols: dict[str, list] = {f: [getattr(it, f) for it in items] for f in plain}
            cols["source"] = [it.source.value for it in items]
            for name in segment_columns:
                cols[f"segment:{name}"] = [it.segments.get(name) for it in items]
            if with_origin:
                cols["origin_file"] = [it.origin.file if it.origin else None for it in items]
                # Nullable integers: a row number stays "3" in every block, with or without gaps.
                cols["origin_row"] = pd.array([it.origin.row if it.origin else None for it in items], dtype="Int64")
                cols["origin_column"] = [it.origin.column if it.origin else None for it in items]
            yield pd.DataFrame(cols)

    def summary(self) -> str:
        """A short human-readable account of the set and its ledger."""
        from feedbackiq.types._summary import feedback_set_summary

        return feedback_set_summary(self)
