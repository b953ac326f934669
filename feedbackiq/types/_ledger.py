"""The ingest ledger: what happened to every input row, stored compactly.

A million-row export makes a million ledger entries. As one pydantic model each they would cost
an object, an attribute dict and GC headers apiece; :class:`LedgerEntries` keeps the same
information in columns (file and column as indexes into small tables, row numbers in an array,
``detail`` only where there is one), a tenth of the memory (evals/README.md, "Scale: 1M rows end to
end"), and builds a :class:`LedgerEntry` when one is read. To the user and to pydantic it is a sequence of entries: iteration, ``len``, indexing,
``append``, validation from a list and JSON serialisation as a list are unchanged.
"""

from __future__ import annotations

from array import array
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field
from pydantic_core import core_schema

if TYPE_CHECKING:
    import pandas as pd

from feedbackiq.types._base import SkipReason, SourceKind, _Model, construct_trusted

__all__ = ["FileRecord", "Ledger", "LedgerEntries", "LedgerEntry", "SegmentConflict", "SegmentValueMap", "SkippedFile"]


class LedgerEntry(_Model):
    """What happened to one input row (or one survey cell when ``column`` is set)."""

    file: str
    row: int
    column: str | None = None
    outcome: Literal["item", "skipped"]
    item_id: str | None = None
    reason: SkipReason | None = None
    detail: str | None = None


_ENTRY_FIELDS = set(LedgerEntry.model_fields)   # shared by the entries construct_trusted builds (only ever read)
_REASONS = list(SkipReason)
# One byte per entry says outcome and reason together.
_ITEM, _SKIPPED_NO_REASON = 0, 1
_KIND = {reason: 2 + i for i, reason in enumerate(_REASONS)}


class LedgerEntries(Sequence[LedgerEntry]):
    """A sequence of :class:`LedgerEntry` stored column-wise (see the module docstring).

    Examples
    --------
    >>> entries = LedgerEntries()
    >>> entries.append(LedgerEntry(file="a.csv", row=2, outcome="item", item_id="f1"))
    >>> entries.add("a.csv", 3, None, "skipped", None, SkipReason.EMPTY, None)
    >>> len(entries), entries[1].reason.value, entries[0].item_id
    (2, 'empty', 'f1')
    """

    __slots__ = ("_names", "_name_index", "_file", "_row", "_column", "_kind", "_item_id", "_detail")

    def __init__(self, entries: Iterable[LedgerEntry] = ()) -> None:
        self._names: list[str | None] = [None]          # file paths and column names, shared table
        self._name_index: dict[str | None, int] = {None: 0}
        self._file = array("I")
        self._row = array("q")
        self._column = array("I")
        self._kind = array("B")
        self._item_id: list[str | None] = []
        self._detail: dict[int, str] = {}               # most entries have none
        for e in entries:
            self.append(e)

    def _name(self, value: str | None) -> int:
        i = self._name_index.get(value)
        if i is None:
            i = self._name_index[value] = len(self._names)
            self._names.append(value)
        return i

    def add(self, file: str, row: int, column: str | None, outcome: str, item_id: str | None,
            reason: SkipReason | None, detail: str | None) -> None:
        """Append one entry from its values (no model is built)."""
        kind = self.kind_code(outcome, reason)
        if detail is not None:
            self._detail[len(self._row)] = detail
        index = self._name_index   # looked up inline: a million rows call this once each
        f, c = index.get(file), index.get(column)
        self._file.append(self._name(file) if f is None else f)
        self._row.append(row)
        self._column.append(self._name(column) if c is None else c)
        self._kind.append(kind)
        self._item_id.append(item_id)

    def append(self, entry: LedgerEntry) -> None:
        self.add(entry.file, entry.row, entry.column, entry.outcome, entry.item_id, entry.reason, entry.detail)

    def extend(self, entries: Iterable[LedgerEntry]) -> None:
        for e in entries:
            self.append(e)

    def columns(self) -> tuple[list[str | None], array, array, array, array, list[str | None], dict[int, str]]:
        """The stored columns, read-only: ``(names, file, row, column, kind, item_id, detail)`` where
        ``file`` and ``column`` index ``names``, ``kind`` is :meth:`kind_code`'s, and ``detail`` maps
        an entry's index to its detail (for writing entries without building a model each)."""
        return self._names, self._file, self._row, self._column, self._kind, self._item_id, self._detail

    @staticmethod
    def kind_code(outcome: str, reason: SkipReason | None) -> int:
        """The one-byte code that stores an entry's outcome and reason together."""
        if outcome == "item":
            return _ITEM
        if outcome == "skipped":
            return _SKIPPED_NO_REASON if reason is None else _KIND[SkipReason(reason)]
        raise ValueError(f"outcome must be 'item' or 'skipped', got {outcome!r}")

    def extend_columns(self, file: Sequence[str], row: Sequence[int], column: Sequence[str | None],
                       kind: Sequence[int], item_id: Sequence[str | None], detail: Sequence[str | None]) -> None:
        """Append entries given column by column, ``kind`` as :meth:`columns` stores it."""
        if not len(file) == len(row) == len(column) == len(kind) == len(item_id) == len(detail):
            raise ValueError("ledger columns differ in length")
        if any(k > len(_REASONS) + 1 for k in kind):
            raise ValueError("unknown ledger entry kind")
        offset = len(self._row)
        self._file.extend(self._name(f) for f in file)
        self._row.extend(row)
        self._column.extend(self._name(c) for c in column)
        self._kind.extend(kind)
        self._item_id.extend(item_id)
        self._detail.update((offset + i, d) for i, d in enumerate(detail) if d is not None)

    def __len__(self) -> int:
        return len(self._row)

    def _entry(self, i: int) -> LedgerEntry:
        # construct_trusted, not model_construct: writing a 1M-row ledger (ledger.csv, feedback.json)
        # builds every entry, and model_construct's per-call loop is the slower (evals/README.md,
        # "Scale: 1M rows end to end").
        kind = self._kind[i]
        return construct_trusted(LedgerEntry, _ENTRY_FIELDS, {
            "file": self._names[self._file[i]], "row": self._row[i], "column": self._names[self._column[i]],
            "outcome": "item" if kind == _ITEM else "skipped", "item_id": self._item_id[i],
            "reason": _REASONS[kind - 2] if kind >= 2 else None, "detail": self._detail.get(i)})

    def __getitem__(self, i):  # type: ignore[override]
        if isinstance(i, slice):
            return [self._entry(j) for j in range(*i.indices(len(self)))]
        n = len(self)
        if not -n <= i < n:
            raise IndexError("ledger entry index out of range")
        return self._entry(i % n)

    def __iter__(self) -> Iterator[LedgerEntry]:
        return (self._entry(i) for i in range(len(self)))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence) or isinstance(other, str) or len(other) != len(self):
            return NotImplemented if not isinstance(other, Sequence) else False
        return all(a == b for a, b in zip(self, other))

    def __repr__(self) -> str:
        return f"LedgerEntries({len(self)} entries)"

    def rows(self) -> Iterator[tuple[str, int, bool]]:
        """``(file, row, is_item)`` per entry, without building models (for counting)."""
        names, kind = self._names, self._kind
        return ((names[f], r, kind[i] == _ITEM) for i, (f, r) in enumerate(zip(self._file, self._row)))

    def reasons(self) -> Counter[str]:
        """Count of skipped entries by reason."""
        return Counter(_REASONS[k - 2].value for k in self._kind if k >= 2)

    def to_pandas(self, start: int = 0, stop: int | None = None) -> "pd.DataFrame":
        """One row per entry (of ``start:stop``), the columns of :class:`LedgerEntry`, built from the
        stored columns."""
        import pandas as pd

        names = self._names
        stop = len(self) if stop is None else min(stop, len(self))
        kind = self._kind[start:stop]
        return pd.DataFrame({
            "file": [names[i] for i in self._file[start:stop]],
            "row": list(self._row[start:stop]),
            "column": [names[i] for i in self._column[start:stop]],
            "outcome": ["item" if k == _ITEM else "skipped" for k in kind],
            "item_id": self._item_id[start:stop],
            "reason": [_REASONS[k - 2].value if k >= 2 else None for k in kind],
            "detail": [self._detail.get(i) for i in range(start, max(start, stop))],
        }, columns=list(LedgerEntry.model_fields))

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: Any) -> core_schema.CoreSchema:
        # Validates from a list of entries (JSON, dicts) or takes an instance as it is; always
        # serialises as a plain list, so files written before and after this class look the same.
        as_list = handler.generate_schema(list[LedgerEntry])
        return core_schema.union_schema(
            [core_schema.is_instance_schema(cls), core_schema.no_info_after_validator_function(cls, as_list)],
            serialization=core_schema.plain_serializer_function_ser_schema(list, return_schema=as_list),
        )

    @classmethod
    def __get_pydantic_json_schema__(cls, schema: Any, handler: Any) -> dict:
        return handler(core_schema.list_schema(core_schema.model_schema(LedgerEntry, LedgerEntry.__pydantic_core_schema__)))


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


class SkippedFile(_Model):
    """A file found in an input folder and not read: not a feedback export, or not readable."""

    path: str
    reason: str


class SegmentValueMap(_Model):
    """A segment value counted as another spelling of the same value (``制造业`` as ``manufacturing``)."""

    column: str
    written: str
    counted_as: str
    items: int


class SegmentConflict(_Model):
    """A respondent or account whose rows carry different values of one segment column: it counts once,
    under ``chosen`` (by ``rule``); ``rows`` says how many of its rows carry each value."""

    respondent_id: str
    column: str
    rows: dict[str, int]
    chosen: str
    rule: str

    def text(self) -> str:
        """``ACC-1004 company_size: 1000+ (2 rows), 201-1000 (1 row) -> 1000+``."""
        rows = ", ".join(f"{v} ({n} row{'s' if n != 1 else ''})" for v, n in self.rows.items())
        return f"{self.respondent_id} {self.column}: {rows} -> {self.chosen}"


class Ledger(_Model):
    """Accounts for every input row: used (as one or more items) or skipped with a reason.

    For each file, ``rows_used + rows_skipped == rows`` holds exactly; a row is used
    when at least one of its cells became an item. Files found in a folder that were
    not read at all are in ``skipped_files``, each with its reason. Segment values counted as another
    spelling of one value are in ``segment_values``; respondents whose rows disagree on a segment value,
    and the one value each counts under, in ``segment_conflicts``.
    """

    files: list[FileRecord] = Field(default_factory=list)
    entries: LedgerEntries = Field(default_factory=LedgerEntries)
    skipped_files: list[SkippedFile] = Field(default_factory=list)
    segment_values: list[SegmentValueMap] = Field(default_factory=list)
    segment_conflicts: list[SegmentConflict] = Field(default_factory=list)

    def row_counts(self) -> dict[str, dict[str, int]]:
        """Per file: ``rows``, ``rows_used``, ``rows_skipped`` and ``items``."""
        used: dict[str, set[int]] = {rec.path: set() for rec in self.files}
        seen: dict[str, set[int]] = {rec.path: set() for rec in self.files}
        items: Counter[str] = Counter()
        for file, row, is_item in self.entries.rows():
            if file not in seen:
                continue
            seen[file].add(row)
            if is_item:
                used[file].add(row)
                items[file] += 1
        return {rec.path: {
            "rows": rec.rows,
            "rows_used": len(used[rec.path]),
            "rows_skipped": len(seen[rec.path] - used[rec.path]),
            "rows_unaccounted": rec.rows - len(seen[rec.path]),
            "items": items[rec.path],
        } for rec in self.files}

    def skip_reasons(self) -> Counter[str]:
        """Count of skipped entries by reason."""
        return self.entries.reasons()

    def to_pandas(self) -> "pd.DataFrame":
        import pandas as pd

        return self.entries.to_pandas()
