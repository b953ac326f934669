"""One segment, whatever the language of the export: segment columns and values mapped across English and
Chinese, explicit mappings, and accounts whose rows disagree counted once."""

import json
import logging
from collections import defaultdict

import pytest
from helpers import assert_ledger_complete

import feedbackiq as fiq
from feedbackiq.ingest._segments import size_band
from feedbackiq.pipeline import RunConfig
from feedbackiq.pipeline._stages import ingest_stage
from feedbackiq.themes._breakdowns import segment_voices
from feedbackiq._voice import voice_of

SEGMENTS = {"company_size", "industry", "plan"}


def _zh(fs):
    return [it for it in fs.items if it.origin.file.endswith("survey_export_zh.csv")]


def test_chinese_survey_segments_are_the_english_segments(samples):
    """公司规模 / 行业 / 套餐 are company_size / industry / plan, and their values the English export's values
    (制造业 is manufacturing, 专业版 is Pro): all 150 Chinese respondents are in every segment column."""
    fs = fiq.read_feedback(samples)
    english = defaultdict(set)
    for it in fs.items:
        if it.origin.file.endswith("survey_export.csv"):
            for col, val in it.segments.items():
                english[col].add(val)
    zh = _zh(fs)
    assert zh and all(set(it.segments) == SEGMENTS for it in zh)
    for col in SEGMENTS:
        assert {it.segments[col] for it in zh} <= english[col], col
    assert len({it.respondent_id for it in zh}) == 150
    assert {"制造业", "专业版"} <= {m.written for m in fs.ledger.segment_values}
    assert {(m.written, m.counted_as) for m in fs.ledger.segment_values} >= {("制造业", "manufacturing"), ("专业版", "Pro")}
    rec = next(r for r in fs.ledger.files if r.path.endswith("survey_export_zh.csv"))
    assert "公司规模 -> company_size" in rec.columns["segments"]
    sizes = segment_voices(fs.items)
    zh_voices = {it.respondent_id for it in zh}
    counted = {voice_of(it) for it in fs.items if "company_size" in it.segments}
    assert zh_voices <= counted and sum(sizes["company_size"].values()) == len(counted)
    assert_ledger_complete(fs)


def test_personas_by_company_size_hold_the_chinese_respondents_and_agree_with_the_heatmap(sample_report):
    """Persona sizes are the heatmap's segment sizes (one count of respondents per segment value), and the
    Chinese survey's respondents are in them."""
    from feedbackiq.report._context import build_context
    from feedbackiq.report._money import Currency

    fs, rep = sample_report
    heatmap = build_context(rep, Currency(), filters=False).bind.default.segments   # what the heatmap shows
    sizes = {col: dict(zip(values, counts)) for col, (values, counts, _) in heatmap.items()}
    assert sizes == segment_voices(fs.items)
    for col in SEGMENTS:
        ps = fiq.draft_personas(rep, by=col, min_respondents=1)
        assert {p.segment[col]: p.respondents for p in ps.personas} == sizes[col], col
    zh = {it.respondent_id for it in _zh(fs)}
    ps = fiq.draft_personas(rep, by="company_size")
    assert sum(p.respondents for p in ps.personas) == sum(sizes["company_size"].values())
    voices = defaultdict(set)
    for it in fs.items:
        if "company_size" in it.segments:
            voices[it.segments["company_size"]].add(voice_of(it))
    for p in ps.personas:
        assert voices[p.segment["company_size"]] & zh, p.label   # each size holds Chinese respondents


def test_conflicting_account_values_count_once_by_the_stated_rule(samples, caplog):
    """CRM notes of one account that carry two company sizes count the account once, under the value most
    of its notes carry (a tie: its latest note's); each such case is in the ledger and a warning says so."""
    with caplog.at_level(logging.WARNING, logger="feedbackiq"):
        fs = fiq.read_feedback(samples / "crm_notes.xlsx")
    conflicts = fs.ledger.segment_conflicts
    assert conflicts and any("conflicting segment values" in r.getMessage() for r in caplog.records)
    values = defaultdict(set)
    rows = defaultdict(lambda: defaultdict(list))
    for it in fs.items:
        for col, val in it.segments.items():
            values[(it.respondent_id, col)].add(val)
    assert all(len(v) == 1 for v in values.values())   # one value per account and column
    sizes = segment_voices(fs.items)
    accounts = {it.respondent_id for it in fs.items}
    assert sum(sizes["company_size"].values()) == len(accounts) == 70
    # the rule, checked against the raw file
    import openpyxl

    ws = openpyxl.load_workbook(samples / "crm_notes.xlsx").active
    header = [c.value for c in next(ws.iter_rows(max_row=1))]
    for r in ws.iter_rows(min_row=2, values_only=True):
        rec = dict(zip(header, r))
        for col in ("company_size", "industry"):
            rows[(rec["account_id"], col)][rec[col]].append(rec["date"])
    for c in conflicts:
        by_value = rows[(c.respondent_id, c.column)]
        assert c.rows == {v: len(d) for v, d in by_value.items()}
        most = max(len(d) for d in by_value.values())
        tied = [v for v, d in by_value.items() if len(d) == most]
        want = tied[0] if len(tied) == 1 else max(tied, key=lambda v: max(by_value[v]))
        assert c.chosen == want and values[(c.respondent_id, c.column)] == {want}, c
    assert "conflicting segment values" in fs.summary()


def test_header_synonyms_bands_and_spellings_in_both_languages(tmp_path):
    (tmp_path / "a.csv").write_text(
        "id,Company Size,Industry,Tier,comment\n"
        "a1,1000+,Manufacturing,pro,Teams keep waiting on each other for stock updates\n"
        "a2,1-10,E-commerce,Pro,Shipping costs are eating my margin every month\n"
        "a3,1000+,Manufacturing,Pro,Purchasing cannot see what production is doing\n", encoding="utf-8")
    (tmp_path / "b.csv").write_text(
        "编号,员工人数,所属行业,套餐,评论\n"
        "b1,1000人以上,制造,专业版,部门之间协同太难，大家互相等\n"
        "b2,10人以下,电子商务,免费版,运费太贵了，利润都被吃掉了\n", encoding="utf-8")
    fs = fiq.read_feedback([tmp_path / "a.csv", tmp_path / "b.csv"], source="review")
    seg = {it.metadata["source_id"]: dict(it.segments) for it in fs.items}
    assert seg["b1"] == {"company_size": "1000+", "industry": "Manufacturing", "plan": "Pro"}
    assert seg["b2"] == {"company_size": "1-10", "industry": "E-commerce", "plan": "Free"}
    assert seg["a1"]["plan"] == "Pro"   # the spelling most rows use
    assert size_band("1,000名以上员工") == size_band("more than 1000") == (1000, None)
    assert size_band("11至50人") == (11, 50) and size_band("Enterprise") is None


def test_explicit_segment_names_and_values(tmp_path, caplog):
    path = tmp_path / "c.csv"
    path.write_text("编号,客户等级,行业,评论\nc1,旗舰,机械,设备太多，部门之间看不到库存\nc2,标准,电商,运费太贵了，利润都被吃掉了\n",
                    encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="feedbackiq"):
        fs = fiq.read_feedback(path, source="review", segment_names={"客户等级": "plan", "Region X": "region"},
                               segment_values={"plan": {"旗舰": "Enterprise"}, "industry": {"机械": "manufacturing"}})
    assert [dict(it.segments) for it in fs.items] == [
        {"plan": "Enterprise", "industry": "manufacturing"}, {"plan": "Standard", "industry": "e-commerce"}]
    assert any("'Region X'" in r.getMessage() for r in caplog.records)   # a name that matched no column is said
    cfg = RunConfig.model_validate({"ingest": {"source": "review", "segment_names": {"客户等级": "plan"},
                                               "segment_values": {"plan": {"旗舰": "Enterprise"}}}})
    assert ingest_stage(path, cfg).items[0].segments == {"plan": "Enterprise", "industry": "机械"}   # unknown: as written


def test_ledger_summary_lists_mappings_and_conflicts(samples, tmp_path):
    fs = fiq.read_feedback([samples / "survey_export_zh.csv", samples / "crm_notes.xlsx"])
    paths = fiq.ingest.write_feedback(fs, tmp_path)
    summary = json.loads(paths["ledger_summary"].read_text(encoding="utf-8"))
    assert summary["segment_values"] and summary["segment_conflicts"]
    back = fiq.ingest.load_feedback(tmp_path)
    assert back.ledger.segment_conflicts == fs.ledger.segment_conflicts


@pytest.mark.parametrize("value,band", [("51-200", (51, 200)), ("51~200人", (51, 200)), ("1000+", (1000, None)),
                                        ("1k+", (1000, None)), ("超过1000人", (1000, None)), ("under 10", (1, 10))])
def test_size_bands(value, band):
    assert size_band(value) == band
