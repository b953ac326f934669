"""Survey (Qualtrics, SurveyMonkey, plain wide), review and CRM layouts, and column overrides."""

import csv

import openpyxl
import pytest
from helpers import assert_ledger_complete

import feedbackiq as fiq
from feedbackiq import ColumnError, SkipReason, SourceKind


def test_qualtrics_sample_three_header_rows(samples):
    fs = fiq.read_feedback(samples / "survey_export.csv")
    rec = fs.ledger.files[0]
    assert (rec.layout, rec.source, rec.encoding) == ("survey_wide", SourceKind.SURVEY, "utf-8-sig")
    header_rows = [e for e in fs.ledger.entries if e.reason == SkipReason.HEADER_ROW]
    assert [e.row for e in header_rows] == [2, 3]
    questions = {i.question for i in fs.items}
    assert "What is the biggest problem you face with our product?" in questions
    assert not any(i.text.startswith('{"ImportId"') for i in fs.items)
    item = fs.items[0]
    assert item.respondent_id.startswith("R_") and set(item.segments) == {"company_size", "industry", "plan"}
    assert item.rating is not None  # the NPS column
    assert_ledger_complete(fs)


def test_qualtrics_each_answer_is_one_item_with_its_question(samples):
    fs = fiq.read_feedback(samples / "survey_export.csv")
    with (samples / "survey_export.csv").open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))[3:]
    answers = {(r[3], col): r[9 + k] for r in rows for k, col in enumerate(["Q5", "Q6", "Q7"])}
    for it in fs.items:
        raw = answers[(it.respondent_id, it.metadata["question_column"])]
        assert it.text.split()[0] in raw  # cleaning keeps the words
    # exact duplicate rows (same respondent, same answers) are collapsed, never counted twice
    dups = [e for e in fs.ledger.entries if e.reason == SkipReason.DUPLICATE]
    assert dups and all(e.detail.startswith("duplicate of f") for e in dups)


def test_surveymonkey_gbk_two_row_header(samples):
    raw = (samples / "survey_export_zh.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    fs = fiq.read_feedback(samples / "survey_export_zh.csv")
    rec = fs.ledger.files[0]
    assert rec.encoding == "gb18030" and rec.layout == "survey_wide"
    assert [e.row for e in fs.ledger.entries if e.reason == SkipReason.HEADER_ROW] == [2]
    assert {i.question for i in fs.items} == {"您在使用中遇到的最大问题是什么？", "您最希望我们改进或增加什么？"}
    assert all(i.language == "zh" for i in fs.items)
    # the checkbox question spans merged header cells: kept as metadata, named "question - option"
    assert any(k.startswith("您使用哪些模块？ - ") for i in fs.items for k in i.metadata)
    # 公司规模 / 行业 / 套餐 are the English exports' segments (tests/test_ingest_segments.py)
    assert set(fs.items[0].segments) == {"company_size", "industry", "plan"}
    assert_ledger_complete(fs)


def test_crm_notes_xlsx(samples):
    fs = fiq.read_feedback(samples / "crm_notes.xlsx")
    assert fs.ledger.files[0].source == SourceKind.SALES_NOTE
    assert all(i.respondent_id.startswith("ACC-") for i in fs.items)
    stages = {i.deal_stage for i in fs.items}
    assert stages <= {"won", "lost", "open"} and len(stages) == 3
    values = [i.deal_value for i in fs.items]
    assert all(v is not None and v > 0 for v in values)  # "$12,000" and "1.2万" strings parse too
    assert all("account_name" in i.metadata for i in fs.items)
    assert_ledger_complete(fs)


def test_app_reviews(samples):
    fs = fiq.read_feedback(samples / "app_reviews.csv")
    assert fs.ledger.files[0].source == SourceKind.REVIEW
    assert all(1 <= i.rating <= 5 for i in fs.items)
    assert {i.metadata["locale"] for i in fs.items} == {"en_US", "zh_CN"}
    assert {i.language for i in fs.items} == {"en", "zh"}
    assert_ledger_complete(fs)


def test_plain_wide_survey_with_chinese_headers(tmp_path):
    p = tmp_path / "wide.csv"
    p.write_text(
        "用户ID,行业,您最不满意的地方是什么,您有什么建议\n"
        "u1,电商,运费太贵了，利润都被吃掉了,希望能便宜一点的套餐\n"
        "u2,制造业,部门之间协同太难，大家互相等,无\n"
        "u3,电商,,\n", encoding="utf-8")
    fs = fiq.read_feedback(p, source="survey")
    assert fs.ledger.files[0].layout == "survey_wide"
    assert [(i.respondent_id, i.question) for i in fs.items] == [
        ("u1", "您最不满意的地方是什么"), ("u1", "您有什么建议"), ("u2", "您最不满意的地方是什么")]
    assert fs.items[0].segments == {"industry": "e-commerce"}
    reasons = fs.ledger.skip_reasons()
    assert reasons == {"non_answer": 1, "empty": 2}
    assert_ledger_complete(fs)


def test_explicit_mapping_overrides_detection(tmp_path):
    p = tmp_path / "notes.csv"
    p.write_text("who,remark,next_step\nacme,Dialect recognition is missing for drivers,Send the Cantonese demo next week\n"
                 "beta,Price is too high for a small shop,Offer the annual discount to the owner\n", encoding="utf-8")
    with pytest.raises(ColumnError) as exc:
        fiq.read_feedback(p)
    assert "ambiguous text column" in str(exc.value) and str(p) in str(exc.value)
    fs = fiq.read_feedback(p, text="remark", respondent_id="who")
    assert [i.text for i in fs.items][0].startswith("Dialect") and fs.items[0].respondent_id == "acme"


def test_mapping_naming_a_missing_column_is_a_clear_error(tmp_path):
    p = tmp_path / "r.csv"
    p.write_text("comment\nBattery dies\n", encoding="utf-8")
    with pytest.raises(ColumnError) as exc:
        fiq.read_feedback(p, text="body")
    msg = str(exc.value)
    assert str(p) in msg and "'body'" in msg and "comment" in msg
    assert isinstance(exc.value, KeyError) and isinstance(exc.value, ValueError)


def test_xlsx_merged_header_cells_fill_across(tmp_path):
    p = tmp_path / "merged.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["respondent_id", "What should we improve?", None])
    ws.append(["r1", "Sheet permissions are too coarse", "Support is slow"])
    ws.append(["r2", "Onboarding was confusing", ""])
    ws.merge_cells("B1:C1")
    wb.save(p)
    fs = fiq.read_feedback(p, source="survey")
    assert {i.question for i in fs.items} == {"What should we improve?"}
    assert len(fs.items) == 3
    assert_ledger_complete(fs)


def test_cleaning_html_whitespace_emoji_non_answers(tmp_path):
    p = tmp_path / "c.csv"
    p.write_text('id,comment\n1,"<p>The <b>sheet</b>&nbsp;permissions   are coarse</p>"\n2,N/A\n3,"  -  "\n'
                 '4,Battery 🔋 dies 😡\n5,不知道\n6,\n', encoding="utf-8")
    fs = fiq.read_feedback(p, source="review")
    assert [i.text for i in fs.items] == ["The sheet permissions are coarse", "Battery 🔋 dies 😡"]
    assert fs.ledger.skip_reasons() == {"non_answer": 3, "empty": 1}
    assert_ledger_complete(fs)
