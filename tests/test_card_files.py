"""KPI card files and the statistics under the scores: every bad input names the card, field and line."""

import json
import textwrap

import numpy as np
import pytest
from conftest import ROOT

import feedbackiq as fiq
from feedbackiq import CardError, ConfigError, InputError
from feedbackiq.cards import (AMBIGUOUS_MARGIN, MATCH_BAND, MATCH_MIN_SIMILARITY, bootstrap_sum, load_cards, match_targets,
                              scorecard_to_markdown,
                              score_cards, wilson_interval)
from feedbackiq.embed import Embedder
from feedbackiq.types import Assignment, Card, CardTarget, FeedbackItem, FeedbackSet, SourceKind, Theme, ThemeReport

CARDS = ROOT / "datasets" / "cards.yaml"


def test_wilson_interval_known_values():
    assert [round(x, 4) for x in wilson_interval(5, 10)] == [0.2366, 0.7634]
    assert [round(x, 4) for x in wilson_interval(0, 20)] == [0.0, 0.1611]
    assert [round(x, 4) for x in wilson_interval(10, 10)] == [0.7225, 1.0]
    lo, hi = wilson_interval(300, 1000)
    assert lo < 0.3 < hi and hi - lo < 0.06
    with pytest.raises(ValueError):
        wilson_interval(0, 0)


def test_bootstrap_sum_is_seeded_and_contains_the_sum():
    rng = np.random.default_rng(3)
    values = np.where(rng.random(200) < 0.2, rng.integers(10_000, 400_000, 200), 0).astype(float)
    a, b = bootstrap_sum(values, seed=1), bootstrap_sum(values, seed=1)
    assert a == b and bootstrap_sum(values, seed=2) != a
    assert a[0] < values.sum() < a[1]
    assert bootstrap_sum([0.0] * 10) == (0.0, 0.0) and bootstrap_sum([]) == (0.0, 0.0)


def test_sample_card_file_loads_with_chinese_aliases(tmp_path):
    cards = load_cards(CARDS)
    assert [c.kind for c in cards.cards] == ["demand_validation", "launch_cadence", "revenue_bet"]
    assert str(cards.as_of) == "2026-11-20" and cards.source == str(CARDS)
    p = tmp_path / "zh.yaml"
    p.write_text("cards:\n  - kind: 收入对赌卡\n    name: 方言\n    targets:\n      - {need: 方言识别, metric: lost_deal_value, "
                 "max: 100000, source: sales}\n", encoding="utf-8")
    card = load_cards(p).cards[0]
    assert card.kind == "revenue_bet" and card.targets[0].source == [fiq.SourceKind.SALES_NOTE]
    j = tmp_path / "c.json"
    j.write_text(json.dumps({"cards": [{"kind": "需求验证卡", "name": "j", "targets": [
        {"need": "x", "metric": "respondents", "min": 3, "moscow": "必须"}]}]}), encoding="utf-8")
    assert load_cards(j).cards[0].targets[0].moscow == "must"


GOOD_TARGET = "      - {need: battery life, metric: respondent_share, min: 0.1}\n"
BAD_FILES = {
    "yaml_syntax": ("cards:\n  - kind: demand_validation\n    name: [unclosed\n    targets: []\n",
                    ["invalid YAML", "line 4"]),
    "unknown_metric": ("cards:\n  - kind: launch_cadence\n    name: App 3.2\n    launch_date: 2026-06-15\n    targets:\n"
                       "      - need: battery\n        metric: battery_share\n        max: 0.1\n",
                       ["line 7", "card 1 ('App 3.2')", "'targets.0.metric'", "unknown metric 'battery_share'", "mention_share"]),
    "share_above_one": ("cards:\n  - kind: demand_validation\n    name: D\n    targets:\n" + GOOD_TARGET +
                        "      - need: permissions\n        metric: respondent_share\n        min: 5\n",
                        ["line 8", "card 1 ('D')", "'targets.1.min'", "between 0 and 1", "got 5"]),
    "min_and_max": ("cards:\n  - kind: demand_validation\n    name: D\n    targets:\n"
                    "      - {need: x, metric: respondents, min: 3, max: 9}\n",
                    ["line 5", "'targets.0'", "exactly one of 'min' or 'max'", "not both"]),
    "neither_min_nor_max": ("cards:\n  - kind: demand_validation\n    name: D\n    targets:\n      - {need: x, metric: respondents}\n",
                            ["line 5", "not neither"]),
    "bad_date": ("cards:\n  - kind: 上市节奏卡\n    name: L\n    launch_date: 15/06/2026\n    targets:\n" + GOOD_TARGET,
                 ["line 4", "card 1 ('L')", "'launch_date'", "expected a date as YYYY-MM-DD, got '15/06/2026'"]),
    "bad_window_date": ("cards:\n  - kind: demand_validation\n    name: D\n    targets:\n      - need: x\n        metric: respondents\n"
                        "        min: 1\n        window: {after: 2026-13-01}\n",
                        ["line 8", "'targets.0.window.after'", "YYYY-MM-DD", "2026-13-01"]),
    "typo_field": ("cards:\n  - kind: demand_validation\n    name: D\n    targets:\n      - need: x\n        metrc: respondents\n",
                   ["line 6", "unknown field 'metrc'"]),
    "unknown_kind": ("cards:\n  - kind: okr\n    name: D\n    targets:\n" + GOOD_TARGET, ["line 2", "unknown card kind 'okr'", "需求验证卡"]),
    "missing_targets": ("cards:\n  - kind: demand_validation\n    name: D\n", ["line 2", "card 1 ('D')", "missing required field 'targets'"]),
    "undefined_phase": ("cards:\n  - kind: launch_cadence\n    name: L\n    launch_date: 2026-06-15\n    phases: [{name: presale, start: 2026-05-01}]\n"
                        "    targets:\n      - {metric: personas_drafted, segments: {plan: Pro}, min: 1, phase: ads}\n",
                        ["line 7", "'targets.0.phase'", "no phase 'ads'", "presale"]),
    "launch_window_without_date": ("cards:\n  - kind: demand_validation\n    name: D\n    targets:\n"
                                   "      - {need: x, metric: respondents, min: 1, window: {after: launch}}\n",
                                   ["'targets.0.window'", "launch_date"]),
    "second_card": ("cards:\n  - kind: demand_validation\n    name: ok\n    targets:\n" + GOOD_TARGET +
                    "  - kind: revenue_bet\n    name: Bet\n    targets:\n      - {need: x, metric: pipeline_value, min: -5}\n",
                    ["line 9", "card 2 ('Bet')", "cannot be negative"]),
    "no_cards": ("as_of: 2026-01-01\n", ["expected a top-level 'cards:' list"]),
    "bad_as_of": ("as_of: tomorrow\ncards:\n  - kind: demand_validation\n    name: D\n    targets:\n" + GOOD_TARGET,
                  ["line 1", "'as_of'", "YYYY-MM-DD"]),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_card_files_name_card_field_and_line(tmp_path, case):
    text, expected = BAD_FILES[case]
    p = tmp_path / "cards.yaml"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(CardError) as info:
        load_cards(p)
    msg = str(info.value)
    assert str(p) in msg
    for part in expected:
        assert part in msg, (part, msg)
    assert isinstance(info.value, (ConfigError, InputError, ValueError))


def test_json_card_file_errors_carry_lines(tmp_path):
    p = tmp_path / "cards.json"
    p.write_text('{"cards": [\n  {"kind": "demand_validation", "name": "J",\n   "targets": [}\n]}', encoding="utf-8")
    with pytest.raises(CardError, match=r"line 3.*invalid JSON"):
        load_cards(p)
    p.write_text(json.dumps({"cards": [{"kind": "demand_validation", "name": "J", "targets": [
        {"need": "x", "metric": "respondent_share", "min": 2}]}]}, indent=1), encoding="utf-8")
    with pytest.raises(CardError, match=r"line 10, card 1 \('J'\), field 'targets.0.min'"):
        load_cards(p)


def test_cards_built_in_python_are_checked_too():
    with pytest.raises(ValueError, match="targets.0.metric: unknown metric"):
        Card(kind="revenue_bet", name="x", targets=[CardTarget(need="x", metric="respondents", min=1)])


class _Lookup(Embedder):
    """Fixed vectors: themes A and B are orthogonal; each need text has chosen cosines to them."""

    model_id, dim = "lookup", 3

    def __init__(self, needs):
        self.needs = needs

    def embed_batch(self, texts):
        out = []
        for t in texts:
            a, b = (1.0, 0.0) if t.startswith("alpha") else (0.0, 1.0) if t.startswith("beta") else self.needs[t]
            out.append([a, b, np.sqrt(max(0.0, 1 - a * a - b * b))])
        return np.array(out, dtype=np.float32)


def _report_with_items(texts_by_theme: dict[int, list[str]], keywords: dict[int, list[str]] | None = None) -> ThemeReport:
    items, assignments = [], []
    for tid, texts in texts_by_theme.items():
        for j, text in enumerate(texts):
            items.append(FeedbackItem(id=f"t{tid}i{j}", text=text, source=SourceKind.REVIEW, respondent_id=f"r{tid}{j}"))
            assignments.append(Assignment(item_id=f"t{tid}i{j}", theme_id=tid, probability=0.9))
    themes = [Theme(id=tid, name=f"theme {tid}", keywords=(keywords or {}).get(tid, []), size=len(texts))
              for tid, texts in texts_by_theme.items()]
    return ThemeReport(themes=themes, assignments=assignments, n_items=len(items), feedback=FeedbackSet(items=items))


def test_matching_statuses_by_similarity_ids_and_keywords():
    report = _report_with_items({0: ["battery dies", "battery is weak"], 1: ["camera is blurry", "the camera lags"]},
                                {0: ["battery"], 1: ["camera"]})
    report.themes[0].name, report.themes[1].name = "alpha", "beta"
    t = MATCH_MIN_SIMILARITY
    needs = {"both": (t + 0.2, t + 0.05), "strong_one": (0.9, t + 0.01), "near": (t - AMBIGUOUS_MARGIN / 2, 0.05),
             "far": (t - AMBIGUOUS_MARGIN - 0.05, 0.0)}
    assert 0.9 - MATCH_BAND > t + 0.01  # the second theme of "strong_one" is outside the band
    targets = [CardTarget(need=n, metric="respondents", min=1) for n in needs]
    targets += [CardTarget(need="far", match={"themes": [1]}, metric="respondents", min=1),
                CardTarget(match={"keywords": ["CAMERA"]}, metric="respondents", min=1),
                CardTarget(need="far", match={"keywords": ["gps"]}, metric="respondents", min=1)]
    got = match_targets(targets, report, _Lookup(needs))
    assert [(m.status, [x.theme_id for x in m.themes]) for m in got] == [
        ("matched", [0, 1]), ("matched", [0]), ("ambiguous", []), ("unmatched", []),
        ("matched", [1]), ("matched", [1]), ("unmatched", [])]
    assert [x.theme_id for x in got[2].candidates] == [0, 1] and "just below" in got[2].note
    assert got[3].candidates and "nobody asked" in got[3].note
    assert got[4].method == "themes" and got[5].method == "keywords" and "gps" in got[6].note


def test_keywords_match_whole_words_on_a_real_share_of_a_themes_items():
    camera = ["the camera can't focus in dim warehouses"] + [f"photos are blurry at night {i}" for i in range(9)]
    supply = [f"purchasing and the warehouse cannot see orders {i}" for i in range(6)] + ["shipping is slow"] * 4
    zh = ["各部门信息不通", "部门之间交接出错", "库存看不到", "用信用卡付款失败"]
    # theme 0's keyword list holds "dim warehouses" (as c-TF-IDF may give on some machine), yet only
    # one of its ten items says "warehouse": no demand for the supply-chain target there.
    report = _report_with_items({0: camera, 1: supply, 2: zh, 3: ["the warehousing module", "warehousing rules"] * 3},
                                {0: ["camera", "dim warehouses", "blurry"], 1: ["purchasing"], 2: ["部门"], 3: ["warehousing"]})
    targets = [CardTarget(match={"keywords": ["warehouse", "部门"]}, metric="respondents", min=1),
               CardTarget(match={"keywords": ["卡"]}, metric="respondents", min=1),
               CardTarget(match={"keywords": ["warehouse"], "min_share": 0.05}, metric="respondents", min=1)]
    strict, card, loose = match_targets(targets, report)
    assert strict.status == "matched" and [m.theme_id for m in strict.themes] == [1, 2]
    assert strict.themes[0].keyword_items == {"warehouse": 6} and strict.themes[0].items == 10
    assert strict.themes[1].keyword_items == {"部门": 2} and strict.themes[1].items == 4
    assert card.status == "unmatched" and "whole words" in card.note    # 卡 is not a token of 信用卡
    assert [m.theme_id for m in loose.themes] == [1]   # one item of ten is below 2 items, whatever the share
    md = scorecard_to_markdown(fiq.score_cards(fiq.types.CardSet(cards=[
        Card(kind="demand_validation", name="c", targets=[targets[0]])]), report))
    assert "#1 (warehouse 6/10)" in md and "#2 (部门 2/4)" in md


def _write(tmp_path, text):
    p = tmp_path / "cards.yaml"
    p.write_text(textwrap.dedent(text), encoding="utf-8")
    return load_cards(p)


@pytest.mark.parametrize("segment, expected", [
    ("{region: EMEA}", ["line 7", "card 1 ('Seg')", "'targets.0.segment.region'", "no segment column 'region'", "company_size"]),
    ("{plan: Gold}", ["line 7", "'targets.0.segment.plan'", "no 'plan' value 'Gold'", "Enterprise, Free, Pro"]),
])
def test_segment_that_the_data_lack_is_an_error_at_scoring(tmp_path, sample_report, segment, expected):
    _, report = sample_report
    cards = _write(tmp_path, f"""\
        cards:
          - kind: demand_validation
            name: Seg
            targets:
              - need: battery life
                metric: respondent_share
                segment: {segment}
                min: 0.1
        """)
    with pytest.raises(CardError) as info:
        score_cards(cards, report)
    for part in expected:
        assert part in str(info.value), (part, str(info.value))


def test_unknown_theme_id_is_an_error_at_scoring(tmp_path, sample_report):
    _, report = sample_report
    cards = _write(tmp_path, """\
        cards:
          - kind: revenue_bet
            name: Ids
            targets:
              - {match: {themes: [9999]}, metric: deal_value, min: 1}
        """)
    with pytest.raises(CardError, match=r"line 5, card 1 \('Ids'\), field 'targets.0.match.themes': no theme 9999"):
        score_cards(cards, report)


@pytest.mark.parametrize("direction, target, actual, ci, status, ratio, confident", [
    ("min", 0.10, 0.12, (0.11, 0.14), "pass", 1.2, True),
    ("min", 0.10, 0.12, (0.08, 0.15), "pass", 1.2, False),   # the interval reaches below the target
    ("min", 0.10, 0.05, (0.03, 0.08), "fail", 0.5, True),
    ("max", 0.10, 0.40, (0.30, 0.50), "fail", 0.25, True),
    ("max", 0.10, 0.08, (0.05, 0.12), "pass", 1.25, False),
    ("max", 5.0, 0.0, None, "pass", None, True),              # a count: no interval, nothing to divide
])
def test_judge_status_ratio_and_confidence(direction, target, actual, ci, status, ratio, confident):
    from feedbackiq.cards._metrics import judge
    from feedbackiq.types import TargetResult

    r = TargetResult(card="c", kind="demand_validation", target="t", metric="m", direction=direction, target_value=target,
                     actual=actual, ci_low=ci and ci[0], ci_high=ci and ci[1], status="no_data")
    judge(r)
    assert (r.status, r.ratio, r.confident) == (status, ratio, confident)


def test_windows_resolve_launch_and_days():
    from datetime import date

    from feedbackiq.cards._score import resolve_window
    from feedbackiq.types import CardWindow

    launch, as_of = date(2026, 6, 15), date(2026, 11, 20)
    assert resolve_window(CardWindow(after="launch", days=30), launch, as_of) == (launch, date(2026, 7, 15))
    assert resolve_window(CardWindow(before="launch", days=15), launch, as_of) == (date(2026, 5, 31), launch)
    assert resolve_window(CardWindow(days=20), launch, as_of) == (date(2026, 11, 1), date(2026, 11, 21))
    assert resolve_window(None, launch, as_of) == (None, None)
