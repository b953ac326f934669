"""write_feedback / load_feedback: feedback.json, items.csv and ledger.csv written a block at a time are the
files a one-piece write gives, and read back exactly."""

import json

import pandas as pd

import feedbackiq as fiq
from feedbackiq._tabular_out import write_csv
from feedbackiq.ingest import _write
from feedbackiq.types import FeedbackSet


def test_feedback_files_written_in_blocks_equal_one_piece(tmp_path, monkeypatch, samples):
    fs = fiq.read_feedback(samples)
    monkeypatch.setattr(_write, "BLOCK_ROWS", 7)            # many blocks, a short last one
    paths = _write.write_feedback(fs, tmp_path)
    assert json.loads(paths["feedback"].read_bytes()) == json.loads(fs.model_dump_json())
    assert _write.load_feedback(tmp_path) == fs
    write_csv(fs.to_pandas(), tmp_path / "items_whole.csv")
    write_csv(fs.ledger.to_pandas(), tmp_path / "ledger_whole.csv")
    assert paths["items"].read_bytes() == (tmp_path / "items_whole.csv").read_bytes()
    assert paths["ledger"].read_bytes() == (tmp_path / "ledger_whole.csv").read_bytes()
    assert paths["items"].read_bytes().startswith(b"\xef\xbb\xbf") and paths["items"].read_bytes().count(b"\xef\xbb\xbf") == 1


def test_an_empty_feedback_set_is_written_and_read_back(tmp_path):
    paths = fiq.write_feedback(FeedbackSet(), tmp_path)   # the pair exported together
    assert fiq.load_feedback(tmp_path) == FeedbackSet()
    assert list(pd.read_csv(paths["items"], encoding="utf-8-sig").columns) == list(FeedbackSet().to_pandas().columns)


def test_feedback_set_has_only_the_fields_the_block_writer_writes():
    # write_feedback_json spells out items and ledger; a new field must be added there too.
    assert set(FeedbackSet.model_fields) == {"items", "ledger"}


def test_item_dates_keep_one_format_across_blocks(tmp_path, monkeypatch):
    from datetime import datetime

    from feedbackiq.types import FeedbackItem, SourceKind

    days = [datetime(2026, 3, 5), datetime(2026, 3, 6), datetime(2026, 3, 7, 9, 30)]   # block 1: midnights only
    fs = FeedbackSet(items=[FeedbackItem(id=f"i{k}", text="t", source=SourceKind.REVIEW, created_at=d)
                            for k, d in enumerate(days)])
    monkeypatch.setattr(_write, "BLOCK_ROWS", 2)
    paths = _write.write_feedback(fs, tmp_path)
    got = pd.read_csv(paths["items"], encoding="utf-8-sig", dtype=str)["created_at"].tolist()
    assert got == ["2026-03-05 00:00:00", "2026-03-06 00:00:00", "2026-03-07 09:30:00"]
