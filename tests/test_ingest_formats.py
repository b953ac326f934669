"""Every format and encoding reads to the same items."""

import json

import pandas as pd
import pytest
from helpers import assert_ledger_complete

import feedbackiq as fiq

ROWS = [
    {"review_id": "r1", "date": "2026-03-01", "rating": 2, "title": "Battery", "body": "Battery drains in two hours", "app_version": "3.2.0"},
    {"review_id": "r2", "date": "2026-03-02", "rating": 5, "title": "", "body": "Great camera, smooth app", "app_version": "3.1.0"},
    {"review_id": "r3", "date": "2026年3月5日", "rating": 1, "title": "电池", "body": "电池续航太差了，一天充三次", "app_version": "3.2.0"},
    {"review_id": "r4", "date": "2026-03-06", "rating": 3, "title": "", "body": "n/a", "app_version": "3.2.0"},
]


def _texts(fs):
    return sorted(i.text for i in fs.items)


EXPECTED = sorted(["Battery drains in two hours", "Great camera, smooth app", "电池续航太差了，一天充三次"])  # body already starts with its title


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_csv_encodings(tmp_path, encoding):
    p = tmp_path / "reviews.csv"
    pd.DataFrame(ROWS).to_csv(p, index=False, encoding=encoding)
    fs = fiq.read_feedback(p)
    assert _texts(fs) == EXPECTED
    assert fs.ledger.files[0].encoding in {encoding, "gb18030"} if encoding.startswith("gb") else fs.ledger.files[0].encoding == encoding
    assert_ledger_complete(fs)


@pytest.mark.parametrize("fmt", ["tsv", "xlsx", "json", "json_wrapped", "jsonl", "parquet"])
def test_other_formats(tmp_path, fmt):
    df = pd.DataFrame(ROWS)
    if fmt == "tsv":
        p = tmp_path / "r.tsv"
        df.to_csv(p, sep="\t", index=False)
    elif fmt == "xlsx":
        p = tmp_path / "r.xlsx"
        df.to_excel(p, index=False)
    elif fmt == "json":
        p = tmp_path / "r.json"
        p.write_text(json.dumps(ROWS, ensure_ascii=False), encoding="utf-8")
    elif fmt == "json_wrapped":
        p = tmp_path / "r.json"
        p.write_text(json.dumps({"data": ROWS}, ensure_ascii=False), encoding="utf-8")
    elif fmt == "jsonl":
        p = tmp_path / "r.jsonl"
        p.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in ROWS), encoding="utf-8")
    else:
        p = tmp_path / "r.parquet"
        df.astype({"rating": "int64"}).to_parquet(p)
    fs = fiq.read_feedback(p)
    assert _texts(fs) == EXPECTED
    items = {i.metadata["source_id"]: i for i in fs.items}
    assert items["r1"].rating == 2 and items["r1"].source == fiq.SourceKind.REVIEW
    assert items["r3"].created_at.day == 5 and items["r3"].language == "zh"
    assert items["r1"].metadata["app_version"] == "3.2.0"
    assert_ledger_complete(fs)
    assert fs.ledger.skip_reasons()["non_answer"] == 1


def test_ids_stable_across_reruns_and_unique_across_files(tmp_path):
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    pd.DataFrame(ROWS).to_csv(a, index=False)
    pd.DataFrame(ROWS).to_csv(b, index=False)
    ids1 = [i.id for i in fiq.read_feedback(a).items]
    ids2 = [i.id for i in fiq.read_feedback(a).items]
    assert ids1 == ids2
    both = fiq.read_feedback([a, b])
    # The same export read twice: same review ids and texts, so b's rows are repeats of a's.
    assert [i.id for i in both.items] == ids1
    dups = [e for e in both.ledger.entries if e.reason == fiq.SkipReason.DUPLICATE]
    assert len(dups) == 3 and all(e.file == str(b) for e in dups)
    assert {e.detail.split()[-1] for e in dups} == set(ids1)
    assert_ledger_complete(both)


def test_same_text_from_different_respondents_is_kept(tmp_path):
    p = tmp_path / "s.csv"
    p.write_text("respondent_id,comment\nu1,Battery dies fast\nu2,Battery dies fast\nu1,Battery dies fast\n", encoding="utf-8")
    fs = fiq.read_feedback(p, source="review")
    assert [i.respondent_id for i in fs.items] == ["u1", "u2"]  # two voices count twice
    assert fs.ledger.skip_reasons() == {"duplicate": 1}
    assert_ledger_complete(fs)


def test_directory_input_reads_every_supported_file(samples):
    fs = fiq.read_feedback(samples)
    assert {f.path.rsplit("/", 1)[-1] for f in fs.ledger.files} == {
        "survey_export.csv", "survey_export_zh.csv", "app_reviews.csv", "crm_notes.xlsx"}
    assert_ledger_complete(fs)


def test_deal_amounts_keep_the_currency_they_name(tmp_path):
    # "$12,000" and "1.2万" are both 12000 as numbers; the report must not add them up as one currency.
    path = tmp_path / "crm.csv"
    pd.DataFrame({"note_id": ["N1", "N2", "N3", "N4", "N5", "N6"], "account_id": ["A1", "A2", "A3", "A4", "A5", "A6"],
                  "deal_amount": ["$12,000", "1.2万", "¥30,000", "12000", "EUR 5k", "RMB 5万元"],
                  "stage": ["open"] * 6,
                  "note": [f"customer {k} says exports keep failing" for k in range(6)]}).to_csv(path, index=False)
    fs = fiq.read_feedback(path)
    by_text = {it.text: it for it in fs.items}
    items = [by_text[f"customer {k} says exports keep failing"] for k in range(6)]
    assert [it.deal_value for it in items] == [12000.0, 12000.0, 30000.0, 12000.0, 5000.0, 50000.0]
    assert [it.metadata.get("deal_currency") for it in items] == ["USD", "CNY", "CNY", None, "EUR", "CNY"]
