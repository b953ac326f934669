"""Checkpoints of a million rows: items, ledger entries and assignments as Parquet columns.

Why not JSON for these three: at a million review rows writing the ingest checkpoint as JSON held
the whole text in memory, and reading it back rebuilt every item with its own segments dict, origin
and fields set, so a resumed run peaked far above a fresh one (evals/README.md, "Scale: 1M rows end
to end"; ``evals/bench_scale.py --run --resume``). In columns, each block of rows is written and read on
its own, and values that repeat (segments, dates, source, language, file names) are decoded once
and shared between items, as ingest shares them.

Round trip: ``read(write(x)) == x`` for every field (``tests/test_pipeline_checkpoint.py``);
``metadata`` goes through JSON, as it did in the JSON checkpoint.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from pydantic_core import to_json

from feedbackiq.types import Assignment, FeedbackItem, LedgerEntries, Origin, SharedSegments, SourceKind, construct_trusted

__all__ = ["write_items", "read_items", "write_entries", "read_entries", "write_assignments", "read_assignments"]

BLOCK_ROWS = 100_000   # rows converted at a time: bounds the temporary Python lists and Arrow buffers

_ITEM_FIELDS = set(FeedbackItem.model_fields)
_ORIGIN_FIELDS = set(Origin.model_fields)
_ASSIGNMENT_FIELDS = set(Assignment.model_fields)
_STR = pa.string()
_SHARED = pa.dictionary(pa.int32(), pa.string())   # repeated values: stored and decoded once

_ITEM_SCHEMA = pa.schema([
    ("id", _STR), ("text", _STR), ("source", _SHARED), ("question", _SHARED), ("respondent_id", _STR),
    ("segments", _SHARED), ("created_at", _SHARED), ("rating", pa.float64()), ("language", _SHARED),
    ("deal_value", pa.float64()), ("deal_stage", _SHARED), ("metadata", _STR),
    ("origin_file", _SHARED), ("origin_row", pa.int64()), ("origin_column", _SHARED),
])
_ENTRY_SCHEMA = pa.schema([("file", _SHARED), ("row", pa.int64()), ("column", _SHARED), ("kind", pa.uint8()),
                           ("item_id", _STR), ("detail", _STR)])
_ASSIGNMENT_SCHEMA = pa.schema([("item_id", _STR), ("theme_id", pa.int64()), ("probability", pa.float64()),
                                ("subtheme_id", pa.int64()), ("need_id", pa.int64())])


# -- writing ------------------------------------------------------------------------------------------
def _write(path: Path, schema: pa.Schema, blocks: Iterator[dict[str, list]]) -> None:
    with pq.ParquetWriter(path, schema, compression="zstd") as writer:
        wrote = False
        for cols in blocks:
            writer.write_table(pa.table({f.name: pa.array(cols[f.name], type=f.type) for f in schema}, schema=schema))
            wrote = True
        if not wrote:
            writer.write_table(schema.empty_table())


def _shared_json(value: dict, memo: dict[int, str]) -> str:
    """JSON of a mapping that many items share (the same object): encoded once per object."""
    key = id(value)
    text = memo.get(key)
    if text is None:
        text = memo[key] = to_json(value).decode("utf-8") if value else "{}"
    return text


def write_items(path: Path, items: Sequence[FeedbackItem]) -> None:
    """``items`` as Parquet, ``BLOCK_ROWS`` at a time (``read_items`` reads them back)."""
    def blocks() -> Iterator[dict[str, list]]:
        seg_memo: dict[int, str] = {}   # by id(): the items keep every mapping alive while this runs
        for start in range(0, len(items), BLOCK_ROWS):
            part = items[start:start + BLOCK_ROWS]
            yield {
                "id": [it.id for it in part], "text": [it.text for it in part],
                "source": [it.source.value for it in part], "question": [it.question for it in part],
                "respondent_id": [it.respondent_id for it in part],
                "segments": [_shared_json(it.segments, seg_memo) for it in part],
                "created_at": [None if it.created_at is None else it.created_at.isoformat() for it in part],
                "rating": [it.rating for it in part], "language": [it.language for it in part],
                "deal_value": [it.deal_value for it in part], "deal_stage": [it.deal_stage for it in part],
                "metadata": [to_json(it.metadata).decode("utf-8") if it.metadata else None for it in part],
                "origin_file": [it.origin.file if it.origin else None for it in part],
                "origin_row": [it.origin.row if it.origin else None for it in part],
                "origin_column": [it.origin.column if it.origin else None for it in part],
            }

    _write(path, _ITEM_SCHEMA, blocks())


def write_entries(path: Path, entries: LedgerEntries) -> None:
    """The ledger's entries as Parquet (their stored columns, no model built per entry)."""
    names, file, row, column, kind, item_id, detail = entries.columns()

    def blocks() -> Iterator[dict[str, list]]:
        for start in range(0, len(row), BLOCK_ROWS):
            stop = min(start + BLOCK_ROWS, len(row))
            yield {"file": [names[i] for i in file[start:stop]], "row": row[start:stop].tolist(),
                   "column": [names[i] for i in column[start:stop]], "kind": kind[start:stop].tolist(),
                   "item_id": item_id[start:stop], "detail": [detail.get(i) for i in range(start, stop)]}

    _write(path, _ENTRY_SCHEMA, blocks())


def write_assignments(path: Path, assignments: Sequence[Assignment]) -> None:
    def blocks() -> Iterator[dict[str, list]]:
        for start in range(0, len(assignments), BLOCK_ROWS):
            part = assignments[start:start + BLOCK_ROWS]
            yield {"item_id": [a.item_id for a in part], "theme_id": [a.theme_id for a in part],
                   "probability": [a.probability for a in part], "subtheme_id": [a.subtheme_id for a in part],
                   "need_id": [a.need_id for a in part]}

    _write(path, _ASSIGNMENT_SCHEMA, blocks())


# -- reading ------------------------------------------------------------------------------------------
def _batches(path: Path, schema: pa.Schema) -> Iterator[pa.RecordBatch]:
    shared = [f.name for f in schema if pa.types.is_dictionary(f.type)]
    yield from pq.ParquetFile(path, read_dictionary=shared).iter_batches(batch_size=BLOCK_ROWS)


def _decoded(column: pa.Array, decode, memo: dict) -> list:
    """A dictionary column as Python values, each distinct value decoded once (``memo`` spans batches)."""
    if not pa.types.is_dictionary(column.type):
        column = column.dictionary_encode()
    values = []
    for v in column.dictionary.to_pylist():
        if v not in memo:
            memo[v] = decode(v)
        values.append(memo[v])
    values.append(None)   # index -1: a null row
    indices = column.indices.fill_null(-1).to_numpy(zero_copy_only=False)
    return [values[i] for i in indices.tolist()]


def _same(v):
    return v


def read_items(path: Path) -> list[FeedbackItem]:
    """Items written by :func:`write_items`, sharing repeated segments, dates and names between them."""
    memos: dict[str, dict] = {name: {} for name in ("source", "question", "segments", "created_at", "language",
                                                    "deal_stage", "origin_file", "origin_column")}
    decode = {"source": SourceKind, "segments": lambda s: SharedSegments(json.loads(s)),
              "created_at": datetime.fromisoformat}
    items: list[FeedbackItem] = []
    for batch in _batches(path, _ITEM_SCHEMA):
        col = {name: batch.column(name) for name in batch.schema.names}
        shared = {name: _decoded(col[name], decode.get(name, _same), memo) for name, memo in memos.items()}
        plain = {name: col[name].to_pylist() for name in ("id", "text", "respondent_id", "rating", "deal_value",
                                                         "metadata", "origin_row")}
        for i, item_id in enumerate(plain["id"]):
            meta = plain["metadata"][i]
            file = shared["origin_file"][i]
            origin = None if file is None else construct_trusted(Origin, _ORIGIN_FIELDS, {
                "file": file, "row": plain["origin_row"][i], "column": shared["origin_column"][i]})
            items.append(construct_trusted(FeedbackItem, _ITEM_FIELDS, {
                "id": item_id, "text": plain["text"][i], "source": shared["source"][i],
                "question": shared["question"][i], "respondent_id": plain["respondent_id"][i],
                "segments": shared["segments"][i], "created_at": shared["created_at"][i], "rating": plain["rating"][i],
                "language": shared["language"][i], "deal_value": plain["deal_value"][i],
                "deal_stage": shared["deal_stage"][i], "metadata": {} if meta is None else json.loads(meta),
                "origin": origin}))
    return items


def read_entries(path: Path, item_ids: Sequence[str] | None = None) -> LedgerEntries:
    """Entries written by :func:`write_entries`. ``item_ids``, the items' ids in order, lets entries
    share the items' id strings (ingest writes an item's entry in item order) instead of a second copy."""
    entries = LedgerEntries()
    memo_file: dict = {}
    memo_col: dict = {}
    j = 0   # the next item whose id an entry may share
    for batch in _batches(path, _ENTRY_SCHEMA):
        ids = batch.column("item_id").to_pylist()
        if item_ids is not None:
            for i, item_id in enumerate(ids):
                if item_id is not None and j < len(item_ids) and item_ids[j] == item_id:
                    ids[i] = item_ids[j]
                    j += 1
        entries.extend_columns(_decoded(batch.column("file"), _same, memo_file), batch.column("row").to_pylist(),
                               _decoded(batch.column("column"), _same, memo_col), batch.column("kind").to_pylist(),
                               ids, batch.column("detail").to_pylist())
    return entries


def read_assignments(path: Path) -> list[Assignment]:
    """Assignments written by :func:`write_assignments`."""
    out: list[Assignment] = []
    for batch in _batches(path, _ASSIGNMENT_SCHEMA):
        ids = batch.column("item_id").to_pylist()
        # Files written before needs existed have no need column: their items are in no need.
        needs = batch.column("need_id").to_pylist() if "need_id" in batch.schema.names else [None] * len(ids)
        for item_id, theme, p, sub, need in zip(ids, batch.column("theme_id").to_pylist(),
                                                batch.column("probability").to_pylist(),
                                                batch.column("subtheme_id").to_pylist(), needs):
            out.append(construct_trusted(Assignment, _ASSIGNMENT_FIELDS, {"item_id": item_id, "theme_id": theme,
                                                                          "probability": p, "subtheme_id": sub,
                                                                          "need_id": need}))
    return out
