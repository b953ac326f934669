"""KPI cards scored on the bundled samples: each target finds its planted need, the planted stories come out,
with honest intervals, and praise is never demand."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import ROOT, majority_truth_by_need
from typer.testing import CliRunner

import feedbackiq as fiq
from feedbackiq._cli import app
from feedbackiq._mdsafe import md_escape
from feedbackiq.cards import scorecard_to_markdown, write_scorecard
from feedbackiq.gtm import load_features, translate_features, write_personas, write_translations

CARDS = ROOT / "datasets" / "cards.yaml"
EXE = Path(sys.executable).with_name("feedbackiq")

# target name -> (status, the planted need every matched need must be, or None when it has no feedback need)
EXPECTED = {
    "Sheet permissions are voiced widely": ("pass", "permissions"),
    "Permissions heard in survey, reviews and sales notes": ("pass", "permissions"),
    "Enterprise accounts ask for supply-chain visibility": ("pass", "supply_chain_visibility"),  # by meaning
    "电池续航问题": ("pass", "battery"),
    "Camera complaints are mostly low ratings": ("pass", "camera"),
    "新用户上手难 (onboarding)": ("pass", "onboarding"),
    "Smartwatch companion app": ("unmatched", None),
    "Personas for the enterprise segments": ("pass", None),
    "Messaging for every segment": ("fail", None),
    "Proof quotes for the enterprise segments": ("pass", None),
    "Battery complaints after launch <= 10% of reviews": ("fail", "battery"),
    "退款/退货 mentions after launch <= 3% of reviews": ("unmatched", None),  # nobody asked for refunds
    "Open pipeline citing permissions": ("pass", "permissions"),
    "Lost deals citing permissions": ("fail", "permissions"),   # by keywords
    "Accounts affected by slow support": ("pass", "support"),
    # the whole pricing need, English and Chinese, carries the churn talk (a fragment of it stayed under the cap)
    "价格导致的流失风险": ("fail", "pricing"),
}


@pytest.fixture(scope="module")
def scored(sample_report):
    fs, report = sample_report
    personas = fiq.draft_personas(report, by="company_size")
    translations = translate_features(load_features(ROOT / "datasets" / "features.yaml"), personas, report)
    scores = fiq.score_cards(fiq.load_cards(CARDS), report, personas=personas, translations=translations)
    return fs, report, personas, translations, scores


def test_sample_cards_score_as_planted(scored):
    fs, report, _, _, scores = scored
    truth = majority_truth_by_need(fs, report, "theme")
    got = {t.target: t for t in scores.targets()}
    assert set(got) == set(EXPECTED)
    for name, (status, need) in EXPECTED.items():
        t = got[name]
        assert t.status == status, (name, t.status, t.note)
        if need:
            assert t.needs and {truth.get(m.need_id) for m in t.needs} == {need}, (name, t.needs)
            for m in t.needs:   # a need counts with all its themes as evidence
                assert m.theme_ids == report.need(m.need_id).theme_ids, name
        if t.match_method == "similarity" and t.status not in ("unmatched", "ambiguous"):
            assert len(t.needs) == 1, (name, t.needs)   # one target, one need
        if t.ci_low is not None:
            assert t.ci_low <= t.actual <= t.ci_high, name
        if t.status in ("pass", "fail"):
            assert t.ratio is not None and (t.ratio >= 1) == (t.status == "pass"), name
        if t.status in ("unmatched", "ambiguous"):
            assert t.actual is None and t.candidates and t.note, name
    assert {c.name: c.status for c in scores.cards} == {
        "Ops suite demand validation FY26": "at_risk", "App 3.2.0 with per-sheet permissions": "fail",
        "Enterprise permissions bet": "fail"}
    launch = next(c for c in scores.cards if c.kind == "launch_cadence")
    assert [(p.name, p.status) for p in launch.phases] == [("presale", "ready"), ("channel roll-out", "behind"), ("ads", "upcoming")]


def test_praise_is_never_matched(scored):
    _, report, *_, scores = scored
    praise = {n.id for n in report.non_needs}
    assert praise   # the samples' praise and small talk are set apart
    assert not praise & {m.need_id for t in scores.targets() for m in (*t.needs, *t.candidates)}


def test_supply_chain_target_matches_the_need_enterprises_voice(scored):
    """Supply-chain visibility is planted as coordination (enterprises) and as cost (small shops); the grouping
    may make one need or two of it. The enterprise target matches by meaning a need of that planted truth,
    and where a need of mostly coordination framing exists, that one."""
    fs, report, *_, scores = scored
    t = next(t for t in scores.targets() if t.target.startswith("Enterprise accounts ask for supply-chain"))
    assert t.match_method == "similarity" and len(t.needs) == 1
    need = t.needs[0].need_id
    assert majority_truth_by_need(fs, report, "theme")[need] == "supply_chain_visibility"
    framing = majority_truth_by_need(fs, report, "framing")
    coordination = {n for n, f in framing.items() if f == "supply_coord"}
    assert not coordination or need in coordination, (need, framing)
    assert t.status == "pass" and t.evidence


def test_launch_battery_complaints_rise_from_the_baseline(scored):
    battery = next(t for t in scored[-1].targets() if t.target.startswith("Battery complaints"))
    # planted: ~8% of reviews before app 3.2.0, ~40% after; the battery need holds most, not all, of
    # the battery reviews (which items land in "other" varies with the floats), so the rise is
    # asserted with a margin, not its planted size
    assert battery.baseline is not None and battery.baseline < 0.15 < battery.actual
    assert battery.actual > 2 * battery.baseline
    assert battery.confident and battery.ci_low > battery.target_value
    assert battery.evidence and all(q.source == fiq.SourceKind.REVIEW for q in battery.evidence)


def test_lost_deals_use_a_bootstrap_interval_and_sales_evidence(scored):
    lost = next(t for t in scored[-1].targets() if t.target == "Lost deals citing permissions")
    assert lost.actual > 200_000 and lost.ci_high > lost.actual and lost.n
    assert lost.evidence and all(q.source == fiq.SourceKind.SALES_NOTE for q in lost.evidence)
    assert lost.match_method == "keywords"


def test_dialect_recognition_is_unowned_demand(scored):
    from feedbackiq.cards import UNOWNED_MIN_SHARE

    fs, report, *_, scores = scored
    truth = majority_truth_by_need(fs, report, "theme")
    owned = {m.need_id for t in scores.targets() if t.status not in ("unmatched", "ambiguous") for m in t.needs}
    assert all(u.need_id not in owned and u.reasons for u in scores.unowned)
    assert {u.need_id for u in scores.unowned} <= {n.id for n in report.needs}
    top = scores.unowned[0]   # the largest lost-deal value of all
    assert truth[top.need_id] == "dialect" and "lost_deals" in top.reasons and top.lost_deal_value > 0
    assert top.theme_ids == report.need(top.need_id).theme_ids and top.name == report.need(top.need_id).name
    # praise is large enough to be listed if it counted as demand, and it is not listed
    assert any(n.respondent_share >= UNOWNED_MIN_SHARE for n in report.non_needs)
    assert not {n.id for n in report.non_needs} & {u.need_id for u in scores.unowned}


def test_team_moscow_is_compared_with_the_evidence(scored):
    _, report, *_ = scored
    named = report.model_copy(deep=True)
    for t in named.themes:
        t.moscow = "could"   # a need's own class wins over its themes'
    for n in named.needs:
        n.moscow = "should"
    cards = fiq.load_cards(CARDS)
    cards.cards = cards.cards[:1]
    got = {t.target: t for t in fiq.score_cards(cards, named).targets()}
    assert got["Sheet permissions are voiced widely"].moscow_disagrees  # team: must, evidence: should
    assert got["Sheet permissions are voiced widely"].moscow_evidence == "should"
    assert not got["新用户上手难 (onboarding)"].moscow_disagrees  # team: should
    for n in named.needs:   # needs not named by an LLM: their themes' classes vote
        n.moscow = None
    got = {t.target: t for t in fiq.score_cards(cards, named).targets()}
    onboarding = got["新用户上手难 (onboarding)"]
    assert onboarding.moscow_evidence == "could" and onboarding.moscow_disagrees


def test_to_pandas_and_scorecard_files(scored, tmp_path):
    scores = scored[-1]
    df = scores.to_pandas()
    assert list(df.columns) == ["card", "kind", "target", "metric", "actual", "target_value", "direction", "status", "ratio",
                                "ci_low", "ci_high", "needs", "need_names"]
    assert len(df) == len(EXPECTED) and set(df["status"]) == {"pass", "fail", "unmatched"}
    battery = df[df["target"] == "电池续航问题"].iloc[0]
    t = next(t for t in scores.targets() if t.target == "电池续航问题")
    assert battery["needs"] == str(t.needs[0].need_id) and battery["need_names"] == t.needs[0].name
    paths = write_scorecard(scores, tmp_path)
    assert fiq.CardScores.model_validate_json(paths["json"].read_text(encoding="utf-8")) == scores
    md = paths["markdown"].read_text(encoding="utf-8")
    assert md == scorecard_to_markdown(scores)
    assert "## Unowned demand" in md and "**UNMATCHED**" in md and "before launch:" in md
    for u in scores.unowned:
        assert f"| #{u.need_id} {md_escape(u.name)} |" in md


def test_score_command(scored, tmp_path):
    _, report, personas, translations, _ = scored
    report.to_json(tmp_path / "themes.json")
    write_personas(personas, tmp_path)
    write_translations(translations, tmp_path)
    res = CliRunner().invoke(app, ["score", str(tmp_path), "--cards", str(CARDS)])
    assert res.exit_code == 0, res.output
    assert "scorecard.md" in res.output and "unowned demand" in res.output
    saved = json.loads((tmp_path / "scorecard.json").read_text(encoding="utf-8"))
    statuses = {t["target"]: t["status"] for c in saved["cards"] for t in c["targets"]}
    assert statuses == {k: v[0] for k, v in EXPECTED.items()}
    # a typed error is one line and exit 2
    bad = tmp_path / "bad.yaml"
    bad.write_text("cards:\n  - kind: demand_validation\n    name: D\n    targets:\n      - {need: x, metric: nps, min: 1}\n")
    proc = subprocess.run([str(EXE), "score", str(tmp_path), "--cards", str(bad)], capture_output=True, text=True)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "line 5, card 1 ('D'), field 'targets.0.metric'" in proc.stderr.replace("\n", "")
    res = CliRunner().invoke(app, ["score", str(tmp_path), "--cards", str(CARDS), "--as-of", "20/11/2026"])
    assert res.exit_code == 2 and "YYYY-MM-DD" in res.output


def test_llm_confirms_matches_and_a_strong_match_it_doubts_stands(scored, tmp_path):
    from feedbackiq.llm import LLM
    from feedbackiq.testing import OpenAIServer, Reply

    fs, report, *_ = scored
    truth = majority_truth_by_need(fs, report, "theme")
    cards = fiq.load_cards(CARDS)
    launch = next(c for c in cards.cards if c.kind == "launch_cadence")
    # battery (the battery need is among the candidates), refunds (unmatched: never sent); camera
    # (matched by meaning, strongly, then doubted by the LLM)
    launch.targets = [t for t in launch.targets if t.metric == "mention_share"]
    demand = next(c for c in cards.cards if c.kind == "demand_validation")
    demand.targets = [t for t in demand.targets if t.name.startswith("Camera")]
    cards.cards = [launch, demand]

    sent = []

    def reply(body):
        user = body["messages"][1]["content"]
        records = [json.loads(line) for line in user.split("<feedback_data>\n")[1].split("\n</feedback_data>")[0].splitlines()]
        sent.extend(records)
        battery = "battery" in user.split("\n")[0]
        return Reply.json({"needs": [{"need_id": r["need_id"], "about": battery and truth.get(r["need_id"]) == "battery",
                                      "reason": "these are about battery" if battery else "night shots, not grainy photos"}
                                     for r in records]})

    with OpenAIServer(reply) as srv:
        llm = LLM(model="m", base_url=srv.base_url, api_key="k", cache_dir=tmp_path, backoff=0.001, max_concurrency=1)
        got = {t.target: t for t in fiq.score_cards(cards, report, llm=llm).targets()}
        assert len(srv.chat_requests) == 2
    battery = got["Battery complaints after launch <= 10% of reviews"]
    camera = got["Camera complaints are mostly low ratings"]
    assert battery.match_method == "llm" and battery.needs and any("LLM confirmed" in x for x in battery.llm_changes)
    assert {truth[m.need_id] for m in battery.needs} == {"battery"} and battery.without_llm is None
    # candidates are needs, never praise, each with a few quotes
    assert sent and not {r["need_id"] for r in sent} & {n.id for n in report.non_needs}
    assert all(1 <= len(r["quotes"]) <= 4 and set(r) == {"need_id", "keywords", "quotes"} for r in sent)
    assert battery.status == "fail"
    assert got["退款/退货 mentions after launch <= 3% of reviews"].status == "unmatched"
    # a strong match is not dropped: the LLM's doubt and its reason are shown beside the verdict
    assert camera.status == "pass" and camera.needs and camera.without_llm is None
    assert any("doubts" in x and "not grainy photos" in x for x in camera.llm_changes)


def test_llm_reply_with_a_need_that_was_not_a_candidate_keeps_the_similarity_match(scored, tmp_path):
    from feedbackiq.llm import LLM
    from feedbackiq.testing import OpenAIServer, Reply

    _, report, *_ = scored
    cards = fiq.load_cards(CARDS)
    cards.cards = [cards.cards[0]]
    cards.cards[0].targets = cards.cards[0].targets[:1]
    made_up = {"needs": [{"need_id": 9999, "about": True, "reason": "made up"}]}
    with OpenAIServer(lambda body: Reply.json(made_up)) as srv:
        llm = LLM(model="m", base_url=srv.base_url, api_key="k", cache_dir=tmp_path, backoff=0.001, max_concurrency=1)
        t = fiq.score_cards(cards, report, llm=llm).targets()[0]
        assert len(srv.chat_requests) == 2  # sent back once with the error
    assert t.match_method == "similarity" and t.status == "pass" and "similarity match stands" in t.note
