"""KPI card files and the statistics under the scores: every bad input names the card, field and line."""

import json
import textwrap

import numpy as np
import pytest
from helpers import ROOT

import feedbackiq as fiq
from feedbackiq import CardError, ConfigError, InputError
from feedbackiq.cards import (AMBIGUOUS_MARGIN, MATCH_MIN_SIMILARITY, TIE_MARGIN, bootstrap_sum, load_cards,
                              match_targets, scorecard_to_markdown, score_cards, wilson_interval)
from feedbackiq.embed import Embedder
from feedbackiq.types import Assignment, Card, CardTarget, FeedbackItem, FeedbackSet, Need, SourceKind, Theme, ThemeReport

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
    """Fixed vectors: documents starting with "alpha", "beta" or "gamma" are three orthogonal axes; each
    target text has chosen cosines to them."""

    model_id, dim = "lookup", 4
    AXES = ("alpha", "beta", "gamma")

    def __init__(self, needs):
        self.needs = needs

    def embed_batch(self, texts):
        out = []
        for t in texts:
            axis = next((i for i, a in enumerate(self.AXES) if t.startswith(a)), None)
            v = [float(i == axis) for i in range(3)] if axis is not None else list(self.needs[t])
            out.append([*v, np.sqrt(max(0.0, 1 - sum(x * x for x in v)))])
        return np.array(out, dtype=np.float32)


def _report_with_items(texts_by_theme: dict[int, list[str]], keywords: dict[int, list[str]] | None = None,
                       needs: dict[int, list[int]] | None = None, praise: tuple[int, ...] = (),
                       names: dict[int, str] | None = None) -> ThemeReport:
    """Themes of these texts, grouped into ``needs`` (need id -> theme ids; default one need per theme, of
    the same id); the groups in ``praise`` are non-needs. ``names``: theme names (default "theme <id>"),
    which also name their needs."""
    items, assignments = [], []
    for tid, texts in texts_by_theme.items():
        for j, text in enumerate(texts):
            items.append(FeedbackItem(id=f"t{tid}i{j}", text=text, source=SourceKind.REVIEW, respondent_id=f"r{tid}{j}"))
            assignments.append(Assignment(item_id=f"t{tid}i{j}", theme_id=tid, probability=0.9))
    names = names or {}
    themes = [Theme(id=tid, name=names.get(tid, f"theme {tid}"), keywords=(keywords or {}).get(tid, []), size=len(texts),
                    respondents=len(texts)) for tid, texts in texts_by_theme.items()]
    groups = needs or {tid: [tid] for tid in texts_by_theme}
    built = [Need(id=nid, name=names.get(tids[0], f"need {nid}"), theme_ids=tids, kind="praise" if nid in praise else "need",
                  size=sum(len(texts_by_theme[t]) for t in tids), respondents=sum(len(texts_by_theme[t]) for t in tids))
             for nid, tids in groups.items()]
    for n in built:
        for t in themes:
            if t.id in n.theme_ids:
                t.need_id = n.id
    for a in assignments:
        a.need_id = next(n.id for n in built if a.theme_id in n.theme_ids)
    return ThemeReport(themes=themes, needs=[n for n in built if n.kind == "need"],
                       non_needs=[n for n in built if n.kind != "need"], assignments=assignments, n_items=len(items),
                       feedback=FeedbackSet(items=items))


def test_matching_statuses_by_similarity_ids_and_keywords():
    # need 0 "alpha" (theme 0), need 1 "beta" (themes 1 and 2), praise 2 "gamma" (theme 3)
    report = _report_with_items({0: ["battery dies", "battery is weak"], 1: ["camera is blurry", "the camera lags"],
                                 2: ["photos are grainy", "the camera is dark"], 3: ["great app", "love the camera"]},
                                {0: ["battery"], 1: ["camera"], 2: ["photos"], 3: ["great"]},
                                needs={0: [0], 1: [1, 2], 2: [3]}, praise=(2,),
                                names={0: "alpha", 1: "beta", 2: "beta photos", 3: "gamma"})
    t = MATCH_MIN_SIMILARITY
    needs = {"strong": (0.55, 0.2, 0.75),   # praise is closest, but the closest need is the match
             "tie": (t + 0.1, t + 0.1 - TIE_MARGIN / 2, 0.0), "near": (t - AMBIGUOUS_MARGIN / 2, 0.05, 0.0),
             "far": (t - AMBIGUOUS_MARGIN - 0.05, 0.0, 0.0), "praise only": (0.1, 0.05, 0.9)}
    targets = [CardTarget(need=n, metric="respondents", min=1) for n in needs]
    targets += [CardTarget(need="far", match={"needs": [1]}, metric="respondents", min=1),
                CardTarget(need="far", match={"themes": [2]}, metric="respondents", min=1),
                CardTarget(match={"keywords": ["CAMERA"]}, metric="respondents", min=1),
                CardTarget(need="far", match={"keywords": ["gps"]}, metric="respondents", min=1)]
    got = match_targets(targets, report, _Lookup(needs))
    assert [(m.status, [(x.need_id, x.theme_ids) for x in m.needs]) for m in got] == [
        ("matched", [(0, [0])]), ("ambiguous", []), ("ambiguous", []), ("unmatched", []), ("unmatched", []),
        ("matched", [(1, [1, 2])]), ("matched", [(1, [2])]), ("matched", [(1, [1, 2])]), ("unmatched", [])]
    assert [x.need_id for x in got[1].candidates] == [0, 1] and "about equally close" in got[1].note
    assert [x.need_id for x in got[2].candidates] == [0, 1] and "just below" in got[2].note
    assert got[3].candidates and "nobody asked" in got[3].note
    assert all(x.need_id != 2 for m in got for x in (*m.needs, *m.candidates, *m.nearest))   # praise: never
    assert [m.method for m in got[5:]] == ["needs", "themes", "keywords", "keywords"] and "gps" in got[8].note
    assert got[7].needs[0].keyword_items == {"CAMERA": 3} and got[7].needs[0].items == 4


def test_keywords_match_whole_words_on_a_real_share_of_a_needs_items():
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
    assert strict.status == "matched" and [m.need_id for m in strict.needs] == [1, 2]
    assert strict.needs[0].keyword_items == {"warehouse": 6} and strict.needs[0].items == 10
    assert strict.needs[1].keyword_items == {"部门": 2} and strict.needs[1].items == 4
    assert card.status == "unmatched" and "whole words" in card.note    # 卡 is not a token of 信用卡
    assert [m.need_id for m in loose.needs] == [1]   # one item of ten is below 2 items, whatever the share
    md = scorecard_to_markdown(fiq.score_cards(fiq.types.CardSet(cards=[
        Card(kind="demand_validation", name="c", targets=[targets[0]])]), report))
    assert "#1 need 1 (warehouse 6/10)" in md and "#2 need 2 (部门 2/4)" in md


def test_keyword_share_is_of_the_whole_need_and_praise_is_never_matched():
    # need 0: a theme where 6 of 10 items say "export", and one of 20 items that never do (6/30 = 20%);
    # praise (need 1): every item says "export", and it is still no demand
    report = _report_with_items({0: [f"export to excel fails {i}" for i in range(6)] + ["slow sync"] * 4,
                                 1: [f"the map view is empty {i}" for i in range(20)],
                                 2: [f"love the export, great app {i}" for i in range(8)]},
                                needs={0: [0, 1], 1: [2]}, praise=(1,))
    at = lambda share: CardTarget(match={"keywords": ["export"], "min_share": share}, metric="respondents", min=1)  # noqa: E731
    enough, too_few = match_targets([at(0.2), at(0.25)], report)
    assert [(m.need_id, m.items, m.keyword_items) for m in enough.needs] == [(0, 30, {"export": 6})]
    assert too_few.status == "unmatched" and "25%" in too_few.note
    scores = fiq.score_cards(fiq.types.CardSet(cards=[Card(kind="demand_validation", name="c", targets=[at(0.2)])]), report)
    assert scores.targets()[0].actual == 30   # every respondent of the need counts, not only the keyword's
    assert all(u.need_id != 1 for u in scores.unowned)


def test_unowned_demand_is_needs_not_praise_nor_sentiment():
    # Three needs of 30 respondents; a feature request voiced in 5-star reviews is demand, a praise group is not.
    texts = {0: [f"battery dies {i}" for i in range(30)], 1: [f"please add dark mode, great app {i}" for i in range(30)],
             2: [f"great app, love it {i}" for i in range(30)]}
    report = _report_with_items(texts, praise=(2,))
    for n in (*report.needs, *report.non_needs):
        n.respondent_share = n.respondents / 90
    for it in report.feedback.items:
        it.rating = 1.0 if it.id.startswith("t0") else 5.0
    report.themes[1].by_sentiment = {"positive": 30}
    owned = {0}
    from feedbackiq.cards import find_unowned

    got = find_unowned(report, owned)
    assert [(u.need_id, u.reasons, u.theme_ids) for u in got] == [(1, ["large"], [1])]


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


@pytest.mark.parametrize("kind", ["needs", "themes"])
def test_need_or_theme_ids_of_praise_or_unknown_are_errors_at_scoring(tmp_path, sample_report, kind):
    _, report = sample_report
    praise = report.non_needs[0]
    ids = {"needs": praise.id, "themes": praise.theme_ids[0]}
    cards = _write(tmp_path, f"""\
        cards:
          - kind: demand_validation
            name: Ids
            targets:
              - {{match: {{needs: [{report.needs[0].id}]}}, metric: respondents, min: 1}}
              - {{match: {{{kind}: [{ids[kind]}]}}, metric: respondents, min: 1}}
        """)
    with pytest.raises(CardError, match=rf"line 6, card 1 \('Ids'\), field 'targets.1.match.{kind}': .* not a need"):
        score_cards(cards, report)
    cards.cards[0].targets[1].match = fiq.types.CardMatch(needs=[9999])
    with pytest.raises(CardError, match=r"no need 9999 in the report; need ids: 0\.\."):
        score_cards(cards, report)
    cards.cards[0].targets = cards.cards[0].targets[:1]
    got = score_cards(cards, report).targets()[0]
    assert got.match_method == "needs" and [m.need_id for m in got.needs] == [report.needs[0].id]
    assert got.actual == report.needs[0].respondents


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
