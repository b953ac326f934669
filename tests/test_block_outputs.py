"""Run outputs written a block at a time are the files a one-piece write gives."""

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


def test_assignment_texts_right_whether_or_not_assignments_follow_the_items(tmp_path):
    from feedbackiq.themes._markdown import write_theme_report
    from feedbackiq.types import Assignment, FeedbackItem, SourceKind, ThemeReport

    items = [FeedbackItem(id=f"i{k}", text=f"text {k}", source=SourceKind.REVIEW) for k in range(3)]
    rows = [Assignment(item_id=f"i{k}", theme_id=0, probability=0.5) for k in range(3)]
    for assignments, in_order in ((rows, True), (rows[::-1], False)):
        report = ThemeReport(assignments=assignments, feedback=FeedbackSet(items=items))
        assert report.assignments_in_item_order() is in_order
        df = pd.read_csv(write_theme_report(report, tmp_path)["assignments"], encoding="utf-8-sig")
        assert dict(zip(df["item_id"], df["text"])) == {it.id: it.text for it in items}
    assert ThemeReport(assignments=rows).assignments_in_item_order() is False


def test_escaped_columns_equal_escaping_every_cell(tmp_path):
    """The vectorised escape writes what mapping escape_formula over every cell wrote."""
    from datetime import datetime

    import pandas as pd

    from feedbackiq._tabular_out import _escaped, escape_formula

    df = pd.DataFrame({
        "text": ["=HYPERLINK(\"x\")", "fine", None, "+1 more", "-", "@me", "\tindent", "plain"],
        "mixed": ["=1+1", 3, None, 2.5, "ok", {"a": 1}, "-x", float("nan")],
        "ints_as_objects": pd.Series([1, 2, 3, 4, 5, 6, 7, 8], dtype=object),
        "dates": pd.Series([datetime(2026, 1, 1)] * 8, dtype=object),
        "none": [None] * 8,
        "=header": ["a"] * 8,
        "number": range(8),
    })
    slow = df.copy()
    for col in slow.columns:
        if slow[col].dtype == object or str(slow[col].dtype).startswith("str"):   # pandas 3: text is "str"
            slow[col] = slow[col].map(escape_formula)
    slow.columns = [escape_formula(c) for c in slow.columns]
    fast = _escaped(df)
    assert fast.to_csv(index=False) == slow.to_csv(index=False)
    assert [fast["text"][i] for i in (0, 1, 3)] == ["'=HYPERLINK(\"x\")", "fine", "'+1 more"]
    assert df["text"][0] == "=HYPERLINK(\"x\")"    # the caller's frame is not changed
