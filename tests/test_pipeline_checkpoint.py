"""Checkpoints of FeedbackSets and ThemeReports: per-row lists in Parquet columns, read back exactly."""

from datetime import datetime, timezone

import numpy as np
import pytest

from feedbackiq._errors import CheckpointError
from feedbackiq.pipeline import CheckpointStore
from feedbackiq.pipeline import _columnar
from feedbackiq.types import (Assignment, FeedbackItem, FeedbackSet, Ledger, LedgerEntry, Origin, SharedSegments,
                              SkipReason, SourceKind, ThemeReport)


def _odd_items():
    """Every field's edge cases: naive and aware dates, microseconds, no origin, nested metadata, zh text."""
    shared = SharedSegments({"plan": "pro", "区域": "华东"})
    return [
        FeedbackItem(id="a", text="电池续航太差了", source=SourceKind.REVIEW, segments=shared, rating=1.0, language="zh",
                     created_at=datetime(2026, 3, 5, 12, 30, 1, 250), origin=Origin(file="x/a.csv", row=2, column="text")),
        FeedbackItem(id="b", text="=HYPERLINK(\"x\")", source=SourceKind.SALES_NOTE, respondent_id="acct 1", deal_value=1e6,
                     deal_stage="lost", created_at=datetime(2026, 3, 5, tzinfo=timezone.utc),
                     metadata={"source_id": "7", "nested": {"k": [1, 2.5, None]}}, segments=shared,
                     origin=Origin(file="x/a.csv", row=3)),
        FeedbackItem(id="c", text="fine", source=SourceKind.SURVEY, question="What would you change?", language="en"),
    ]


def _ledger():
    return Ledger(entries=[LedgerEntry(file="x/a.csv", row=2, column="text", outcome="item", item_id="a"),
                           LedgerEntry(file="x/a.csv", row=3, outcome="item", item_id="b", detail="rating: bad"),
                           LedgerEntry(file="x/a.csv", row=4, outcome="skipped", reason=SkipReason.EMPTY),
                           LedgerEntry(file="x/b.csv", row=1, outcome="skipped", reason=SkipReason.DUPLICATE,
                                       detail="duplicate of a")])


def test_items_round_trip_every_field(tmp_path, monkeypatch):
    monkeypatch.setattr(_columnar, "BLOCK_ROWS", 2)    # several blocks: values shared across them too
    items = _odd_items()
    _columnar.write_items(tmp_path / "i.parquet", items)
    back = _columnar.read_items(tmp_path / "i.parquet")
    assert [it.model_dump() for it in back] == [it.model_dump() for it in items]
    assert back == items
    assert back[0].segments is back[1].segments and isinstance(back[0].segments, SharedSegments)
    assert back[1].created_at.tzinfo is not None and back[0].created_at.tzinfo is None


def test_items_from_the_samples_round_trip(sample_report, tmp_path):
    fs = sample_report[0]
    _columnar.write_items(tmp_path / "i.parquet", fs.items)
    assert _columnar.read_items(tmp_path / "i.parquet") == fs.items
    _columnar.write_entries(tmp_path / "e.parquet", fs.ledger.entries)
    back = _columnar.read_entries(tmp_path / "e.parquet", item_ids=[it.id for it in fs.items])
    assert list(back) == list(fs.ledger.entries)
    # Entries share the items' id strings rather than holding copies.
    first = next(e for e in back if e.item_id is not None)
    assert any(first.item_id is it.id for it in fs.items)


def test_store_keeps_a_feedback_set_in_columns_and_reads_it_back(tmp_path):
    fs = FeedbackSet(items=_odd_items(), ledger=_ledger())
    store = CheckpointStore(tmp_path)
    path = store.save_model("ingest", "k" * 64, fs)
    assert b'"items"' not in path.read_bytes() and b"HYPERLINK" not in path.read_bytes()
    assert store.path("ingest", "k" * 64, "items.parquet").exists()
    back = store.load_model("ingest", "k" * 64, FeedbackSet)
    assert back.model_dump() == fs.model_dump()
    assert back.ledger.row_counts() == fs.ledger.row_counts()


def test_store_keeps_assignments_in_columns(tmp_path):
    report = ThemeReport(assignments=[Assignment(item_id="a", theme_id=0, probability=0.75, subtheme_id=1, need_id=3),
                                      Assignment(item_id="b", theme_id=-1, probability=0.0)], n_items=2,
                         feedback=FeedbackSet(items=_odd_items()[:2]))
    store = CheckpointStore(tmp_path)
    store.save_model("themes", "t" * 64, report, exclude={"feedback"})
    back = store.load_model("themes", "t" * 64, ThemeReport)
    assert back.feedback is None
    assert back.assignments == report.assignments and back.n_items == 2


def test_a_damaged_column_file_is_a_checkpoint_error(tmp_path):
    store = CheckpointStore(tmp_path)
    store.save_model("ingest", "d" * 64, FeedbackSet(items=_odd_items(), ledger=_ledger()))
    store.path("ingest", "d" * 64, "items.parquet").write_bytes(b"not parquet")
    with pytest.raises(CheckpointError, match="unreadable checkpoint"):
        store.load_model("ingest", "d" * 64, FeedbackSet)


def test_an_empty_set_round_trips(tmp_path):
    store = CheckpointStore(tmp_path)
    store.save_model("ingest", "e" * 64, FeedbackSet())
    assert store.load_model("ingest", "e" * 64, FeedbackSet) == FeedbackSet()


def test_a_truncated_embedding_checkpoint_is_a_checkpoint_error(tmp_path):
    store = CheckpointStore(tmp_path)
    path = store.save_array("embed", "v" * 64, np.ones((50, 8), dtype=np.float32))
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])   # a copy, or a disk, that stopped short
    with pytest.raises(CheckpointError, match="unreadable checkpoint") as exc:
        store.load_array("embed", "v" * 64)
    assert str(path) in str(exc.value)
