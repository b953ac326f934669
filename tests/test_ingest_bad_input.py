"""Real-world mess: each gets a typed error naming the file (and row/column), or a ledger entry."""

import json
import os
import resource
from pathlib import Path

import openpyxl
import pytest
from helpers import assert_ledger_complete, reads_denied

import feedbackiq as fiq
from feedbackiq import (
    ColumnError,
    EmptyFileError,
    EncodingError,
    FeedbackIQError,
    IngestError,
    SkipReason,
    UnsupportedFormatError,
)


def test_latin1_file_is_a_clear_encoding_error(tmp_path):
    p = tmp_path / "latin1.csv"
    p.write_bytes("id,comment\n1,The café app\n2,Très lent, désolé, ça plante été\n".encode("latin-1"))
    with pytest.raises(EncodingError) as exc:
        fiq.read_feedback(p)
    msg = str(exc.value)
    assert str(p) in msg and "row 2" in msg and "encoding=" in msg


@pytest.mark.parametrize("encoding", ["gbk", "utf-8"])
def test_bad_bytes_name_the_row_and_column_they_are_in(tmp_path, encoding):
    p = tmp_path / f"{encoding}.csv"
    head = '编号,评论\n1,电池续航太差了，一天要充两次电\n2,"相机夜景模糊\n希望改进"\n3,客服回复很快'
    # row 3 is one row over two lines; the bad byte sits in row 4's second cell
    p.write_bytes(head.encode(encoding) + b"\xff" + "，很满意\n4,界面很好看\n".encode(encoding))
    with pytest.raises(EncodingError) as exc:
        fiq.read_feedback(p)
    assert exc.value.row == 4 and exc.value.column == "评论", str(exc.value)
    assert str(p) in str(exc.value) and "0xff" in str(exc.value)
    # the file is GBK (or UTF-8) but for one byte: say that, not "not UTF-8" at the first Chinese character
    assert {"gbk": "not valid GBK/GB18030", "utf-8": "not valid UTF-8"}[encoding] in exc.value.message


def test_explicit_encoding_reads_what_detection_refuses(tmp_path):
    p = tmp_path / "latin1.csv"
    p.write_bytes("id,comment\n1,\"Très lent, l'app plante\"\n".encode("latin-1"))
    fs = fiq.read_feedback(p, encoding="latin-1", text="comment", source="review")
    assert fs.items[0].text.startswith("Très lent")


def test_shift_jis_is_refused_not_misread_as_gbk(tmp_path):
    p = tmp_path / "sjis.csv"
    p.write_bytes("id,comment\n1,バッテリーがすぐ切れる。カメラも暗い\n".encode("shift_jis"))
    with pytest.raises(EncodingError):
        fiq.read_feedback(p)


def test_ragged_rows_go_to_the_ledger(tmp_path):
    p = tmp_path / "ragged.csv"
    p.write_text("id,comment,rating\n1,Battery dies fast,2\n2,Camera is blurry,3,extra,fields\n3,Too short\n4,,\n", encoding="utf-8")
    fs = fiq.read_feedback(p, text="comment", source="review")
    bad = [e for e in fs.ledger.entries if e.reason == SkipReason.UNPARSEABLE]
    assert [e.row for e in bad] == [3] and "5 fields" in bad[0].detail
    assert [i.text for i in fs.items] == ["Battery dies fast", "Too short"]  # a short row is padded
    assert_ledger_complete(fs)


@pytest.mark.parametrize(("tail", "swallowed"), [
    # never closed: the csv module runs the cell to the end of the file
    ('3,"Battery dies after the update\n4,Camera is blurry at night\n5,Support never answered\n6,Login fails\n',
     [4, 5, 6, 7]),
    # "closed" by the quote that opens a later row's cell: the rows in between would vanish into one text
    ('3,"Battery dies after the update\n4,Camera is blurry at night\n5,"Support, never answered"\n6,Login fails\n',
     [4, 5, 6]),
], ids=["never_closed", "closed_by_a_later_row"])
def test_unterminated_quote_ledgers_the_rows_it_swallows(tmp_path, caplog, tail, swallowed):
    p = tmp_path / "quote.csv"
    # rows as a user counts them: header 1, "1,..." 2, the two-line cell 3, the quote opens in row 4
    p.write_text('id,comment\n1,Checkout is slow\n2,"A cell on\ntwo lines"\n' + tail, encoding="utf-8")
    fs = fiq.read_feedback(p, text="comment", source="review")
    bad = [e for e in fs.ledger.entries if e.reason == SkipReason.UNPARSEABLE]
    assert [e.row for e in bad] == swallowed
    assert all("quote" in e.detail and "row 4" in e.detail for e in bad)
    assert fs.ledger.row_counts()[str(p)]["rows"] == 6
    texts = [it.text for it in fs.items]
    assert texts[:2] == ["Checkout is slow", "A cell on\ntwo lines"]     # a real two-line cell stays one row
    assert not any("Camera" in t or "Battery" in t for t in texts)        # no row hides inside another's text
    assert ("Login fails" in texts) == (7 not in swallowed)
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert any(str(p) in w and "row 4" in w for w in warnings), warnings
    assert_ledger_complete(fs)


def test_a_quote_open_from_the_first_row_is_one_error_naming_it(tmp_path):
    p = tmp_path / "quote.csv"
    p.write_text('id,comment\n1,"Battery dies\n2,Camera is blurry\n3,Support never answers\n', encoding="utf-8")
    with pytest.raises(IngestError) as exc:   # no row left to learn the columns from
        fiq.read_feedback(p)
    assert exc.value.row == 2 and "quote opened in row 2" in str(exc.value)


@pytest.mark.parametrize("content", [b"", b"   \n"])
def test_empty_files(tmp_path, content):
    p = tmp_path / "empty.csv"
    p.write_bytes(content)
    with pytest.raises(EmptyFileError) as exc:
        fiq.read_feedback(p)
    assert str(p) in str(exc.value)


def test_header_only_file(tmp_path):
    p = tmp_path / "header.csv"
    p.write_text("id,comment\n", encoding="utf-8")
    with pytest.raises(EmptyFileError, match="no data rows"):
        fiq.read_feedback(p)


@pytest.mark.parametrize("name", ["garbage.csv", "garbage.xlsx", "garbage.parquet", "garbage.jsonl"])
def test_binary_garbage(tmp_path, name):
    p = tmp_path / name
    p.write_bytes(os.urandom(4096) + b"\x00\x01\x02")
    with pytest.raises(FeedbackIQError) as exc:
        fiq.read_feedback(p)
    assert isinstance(exc.value, (UnsupportedFormatError, EncodingError)) and str(p) in str(exc.value)


def test_unknown_extension(tmp_path):
    p = tmp_path / "notes.docx"
    p.write_bytes(b"PK\x03\x04whatever")
    with pytest.raises(UnsupportedFormatError, match="unsupported file type"):
        fiq.read_feedback(p)


def test_missing_file_and_no_text_column(tmp_path):
    with pytest.raises(IngestError, match="file not found"):
        fiq.read_feedback(tmp_path / "nope.csv")
    p = tmp_path / "numbers.csv"
    p.write_text("id,score\n1,5\n2,3\n", encoding="utf-8")
    with pytest.raises(ColumnError, match="no free-text column"):
        fiq.read_feedback(p)


def _reviews(path):
    path.write_text("id,comment\n1,Battery dies after the update\n2,Camera is blurry at night\n", encoding="utf-8")
    return path


def test_an_unreadable_file_named_explicitly_is_a_clear_error(tmp_path):
    p = _reviews(tmp_path / "locked.csv")
    with reads_denied(p), pytest.raises(IngestError) as exc:
        fiq.read_feedback(p)
    assert exc.value.file == str(p) and "cannot be read: permission denied" in str(exc.value)


def test_files_in_a_folder_that_are_not_exports_are_skipped_with_a_reason(tmp_path, caplog):
    folder = tmp_path / "exports"
    folder.mkdir()
    _reviews(folder / "reviews.csv")
    locked = _reviews(folder / "locked.csv")
    (folder / "notes.txt").write_text("Meeting notes, Q3\nAsk Sam about the CRM columns; rerun Monday.\n"
                                      "Check the dates, the amounts and the stages\n", encoding="utf-8")
    (folder / "todo.txt").write_text("TODO: rerun on Monday\n", encoding="utf-8")
    (folder / "deck.pptx").write_bytes(b"PK\x03\x04slides")
    (folder / "scores.csv").write_text("id,score\n1,5\n2,3\n", encoding="utf-8")
    (folder / "survey.txt").write_text("id\tcomment\n3\tSupport never answers\n", encoding="utf-8")  # Excel's tab text
    with reads_denied(locked):
        fs = fiq.read_feedback(folder, source="review")
    assert [it.text for it in fs.items] == ["Battery dies after the update", "Camera is blurry at night",
                                            "Support never answers"]
    skipped = {Path(s.path).name: s.reason for s in fs.ledger.skipped_files}
    assert set(skipped) == {"locked.csv", "notes.txt", "todo.txt", "deck.pptx", "scores.csv"}
    assert "permission denied" in skipped["locked.csv"] and "unsupported file type" in skipped["deck.pptx"]
    warnings = " ".join(r.getMessage() for r in caplog.records if r.levelname == "WARNING")
    assert all(str(folder / name) in warnings for name in skipped)
    assert "locked.csv" in fs.summary() and "skipped" in fs.summary()
    assert_ledger_complete(fs)
    # named on its own, a file that is not an export is still an error
    with pytest.raises(ColumnError):
        fiq.read_feedback(folder / "notes.txt")


def test_a_folder_with_nothing_readable_is_an_error_naming_the_files(tmp_path):
    (tmp_path / "notes.txt").write_text("TODO: rerun on Monday\n", encoding="utf-8")
    (tmp_path / "deck.pptx").write_bytes(b"PK\x03\x04slides")
    with pytest.raises(IngestError) as exc:
        fiq.read_feedback(tmp_path)
    assert "notes.txt" in str(exc.value) and "deck.pptx" in str(exc.value)


@pytest.mark.parametrize(("header", "rows", "mapping", "candidates"), [
    ("id,comment", ["1,12", "2,40", "3,7.5"], {}, "none"),
    ("id,comment", ["1,12", "2,40", "3,7.5"], {"text": "comment"}, "none"),
    ("id,comment,remark", ["1,12,Battery dies fast", "2,40,Camera is blurry", "3,7,Support is slow"],
     {"text": "comment"}, "'remark'"),
])
def test_a_column_of_numbers_is_not_the_text_column(tmp_path, header, rows, mapping, candidates):
    p = tmp_path / "n.csv"
    p.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    with pytest.raises(ColumnError) as exc:
        fiq.read_feedback(p, **mapping)
    assert exc.value.file == str(p) and exc.value.column == "comment"
    assert "numbers" in str(exc.value) and candidates in str(exc.value)


def test_bad_jsonl_lines_are_ledgered(tmp_path):
    p = tmp_path / "r.jsonl"
    p.write_text('{"id": 1, "comment": "Battery dies fast"}\n{not json\n\n[1,2]\n{"id": 4, "comment": "Camera blurry at night"}\n',
                 encoding="utf-8")
    fs = fiq.read_feedback(p, source="review")
    bad = [e for e in fs.ledger.entries if e.reason == SkipReason.UNPARSEABLE]
    assert [e.row for e in bad] == [3, 5]
    assert len(fs.items) == 2
    assert_ledger_complete(fs)


def test_invalid_json_names_line(tmp_path):
    p = tmp_path / "r.json"
    p.write_text('[{"comment": "ok"},\n{"comment": }]', encoding="utf-8")
    with pytest.raises(IngestError) as exc:
        fiq.read_feedback(p)
    assert "row 2" in str(exc.value)


def test_unparseable_date_keeps_the_text_and_notes_it(tmp_path):
    p = tmp_path / "d.csv"
    p.write_text("id,date,rating,comment\n1,yesterday-ish,4,Great support team\n2,2026-02-03,2,Battery dies\n", encoding="utf-8")
    fs = fiq.read_feedback(p, source="review")
    assert fs.items[0].created_at is None and fs.items[1].created_at.month == 2
    entry = next(e for e in fs.ledger.entries if e.item_id == fs.items[0].id)
    assert "date" in entry.detail and "yesterday-ish" in entry.detail


def test_formula_text_kept_in_memory_escaped_on_write(tmp_path):
    p = tmp_path / "f.csv"
    formula = '=HYPERLINK("http://evil.example","click")'
    p.write_text(f'id,comment\n1,"{formula.replace(chr(34), chr(34) * 2)}"\n2,+cmd|calc\n3,@SUM(1+1)\n', encoding="utf-8")
    fs = fiq.read_feedback(p, text="comment", source="review")
    assert fs.items[0].text == formula
    out = fiq.write_feedback(fs, tmp_path / "out")
    written = out["items"].read_text(encoding="utf-8-sig")
    assert f"'{formula}".replace('"', '""') in written
    for line in written.splitlines()[1:]:
        for cell in line.split(","):
            assert not cell.startswith(("=", "+", "@")), cell
    # JSON keeps the verbatim text, and round-trips exactly
    assert fiq.ingest.load_feedback(tmp_path / "out") == fs


def test_xlsx_output_escapes_formulas(tmp_path):
    import pandas as pd

    from feedbackiq._tabular_out import write_xlsx

    path = write_xlsx(pd.DataFrame({"text": ["=1+1", "fine"]}), tmp_path / "o.xlsx")
    ws = openpyxl.load_workbook(path).active
    assert ws["A2"].value == "'=1+1" and ws["A2"].data_type == "s"


def test_unknown_role_and_layout_are_errors(tmp_path):
    p = tmp_path / "r.csv"
    p.write_text("comment\nBattery dies\n", encoding="utf-8")
    with pytest.raises(FeedbackIQError, match="unknown column role"):
        fiq.read_feedback(p, txet="comment")
    with pytest.raises(ValueError, match="unknown layout"):
        fiq.read_feedback(p, layout="sideways")
    with pytest.raises(ValueError, match="unknown source"):
        fiq.read_feedback(p, source="tweets")


_MEASURE = """
import resource, sys, feedbackiq as fiq
def rss_mb():
    return int(open("/proc/self/statm").read().split()[1]) * resource.getpagesize() / 2**20
base = rss_mb()
fs = fiq.read_feedback(sys.argv[1], source="review")
counts = fs.ledger.row_counts()[sys.argv[1]]
assert counts["rows_unaccounted"] == 0 and counts["rows_used"] + counts["rows_skipped"] == counts["rows"]
print(len(fs.items), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 - base, rss_mb() - base)
"""


@pytest.mark.slow
def test_200mb_csv_streams(tmp_path):
    """A 200 MB export is read in one streaming pass: the peak is what the items keep, never the file held twice."""
    import subprocess
    import sys

    p = tmp_path / "big.csv"
    line = "Battery drains quickly after the update and the camera is blurry at night " * 12
    n = 0
    with p.open("w", encoding="utf-8") as fh:
        fh.write("id,respondent_id,comment\n")
        while fh.tell() < 200 * 2**20:
            fh.write(f"{n},u{n},{line}{n}\n")
            n += 1
    proc = subprocess.run([sys.executable, "-c", _MEASURE, str(p)], capture_output=True, text=True, check=True)
    items, peak_mb, retained_mb = proc.stdout.split()
    assert int(items) == n
    # Loading the whole file (or a DataFrame copy) would push the peak 200+ MB above what is retained.
    assert float(peak_mb) - float(retained_mb) < 100, (peak_mb, retained_mb)
