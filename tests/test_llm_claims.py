"""The LLM steps meet replies as real models write them: near-verbatim quotes, missing citations, the wrong
language, the prompt's example name, a need statement that turns the evidence around, praise made a need, two
needs with one name, every need "must", messages for segments that voice nothing of the feature, jargon in
headlines, and card confirmations that add weak needs or drop strong ones. Each claim is kept or dropped on its
own; what was dropped, and what came from the offline path, is counted and shown."""

import json
import math

import pytest
from helpers import BATTERY, ROOT, about, english, first_record, make_report, naming, scripted_naming
from typer.testing import CliRunner

import feedbackiq as fiq
from feedbackiq._cli import app
from feedbackiq.cards._confirm import MatchConfirmation, decide
from feedbackiq.cards._match import MATCH_MIN_SIMILARITY, TargetMatch, match_targets
from feedbackiq.gtm import draft_persona_traits, load_features, translate_features
from feedbackiq.llm import LLM, load_prompt, name_themes
from feedbackiq.llm import ClaimChecker, EvidenceSet, GroundedClaim, MeaningChecks
from feedbackiq.llm._meaning import prompt_examples
from feedbackiq.testing import OpenAIServer, Reply
from feedbackiq.types import FeedbackItem, MatchedNeed

FEATURES = ROOT / "datasets" / "features.yaml"
ONBOARDING = ["onboarding was confusing", "I didn't know where to start after signing up",
              "the setup wizard is confusing", "new users get lost in the menus"]


def llm_for(srv, tmp_path):
    return LLM(model="m", base_url=srv.base_url, api_key="k", cache_dir=tmp_path, backoff=0.001, max_concurrency=1)


def by_theme(replies: dict):
    """A script answering each theme's naming by the first word of its first evidence text."""
    def reply(body):
        text = first_record(body)["text"]
        return Reply.json(next(r for key, r in replies.items() if text.startswith(key)))
    return reply


# -- quotes as models copy them ---------------------------------------------------------------------------------
@pytest.mark.parametrize("texts, quote, shown", [
    (BATTERY, "Battery dies by lunch.", "Battery dies by lunch"),                           # a trailing period
    (["Prospect says: battery dies by lunch", *BATTERY[1:]], "battery dies by lunch", "battery dies by lunch"),  # prefix dropped
    (["Prospect says: battery dies by lunch", *BATTERY[1:]], "Prospect says battery dies", "Prospect says: battery dies"),
    (["电池续航太差了。一天都撑不住", "一天要充三次电", "不到中午就没电了"], "电池续航太差了...", "电池续航太差了"),   # ... for 。
])
def test_a_near_verbatim_quote_keeps_the_statement_and_shows_the_items_own_text(tmp_path, texts, quote, shown):
    zh = texts[0].startswith("电")
    statement = "用户需要电池续航更长，一天不用充三次电" if zh else "Field workers need a battery that lasts past lunch"
    reply = naming(1, quote, name="更长的续航" if zh else "Battery that lasts a shift", statement=statement)
    with OpenAIServer([Reply.json(reply)]) as srv:
        out = name_themes(make_report({0: texts}), llm_for(srv, tmp_path))
        assert len(srv.chat_requests) == 1
    t = out.themes[0]
    assert t.label_source == "llm" and t.need_statement == statement
    assert t.need_citations[0].item_id == "t0i0" and t.need_citations[0].quote == shown
    assert shown in texts[0]


def test_a_reply_without_refs_is_judged_not_rejected(tmp_path):
    """A model leaves the citations out: the statement is dropped for it, the name stands."""
    reply = {"name": "Battery that lasts a shift", "need_statement": "Field workers need a battery that lasts a shift"}
    with OpenAIServer([Reply.json(reply)]) as srv:
        out = name_themes(make_report({0: BATTERY}), llm_for(srv, tmp_path))
        assert "refs" in srv.chat_requests[0]["response_format"]["json_schema"]["schema"]["required"]
    t = out.themes[0]
    assert t.label_source == "llm" and t.need_statement is None and "no citation" in t.label_note
    assert out.llm_outcome.claims_dropped == {"no citation": 1}


# -- language ---------------------------------------------------------------------------------------------------
def test_chinese_themes_of_an_english_report_are_named_in_english_or_keep_their_offline_name(tmp_path):
    rep = make_report({0: BATTERY, 1: ["语音识别听不懂粤语", "不支持方言识别", "只能识别普通话，方言完全不行"]})
    replies = {"Battery": naming(1, name="Battery that lasts a shift"),
               "语音": naming(1, name="方言语音识别", statement="一线员工需要语音识别支持方言")}
    with OpenAIServer(by_theme(replies)) as srv:
        out = name_themes(rep, llm_for(srv, tmp_path), language="same")
        chinese = [r for r in srv.chat_requests if first_record(r)["text"].startswith("语音")]
    assert all("in English" in r["messages"][0]["content"] for r in srv.chat_requests)   # the run's language
    assert len(chinese) == 2 and "wrong language" in chinese[1]["messages"][-1]["content"]   # sent back once
    t = out.themes[1]
    assert t.label_source == "keywords" and t.name == "kw1" and "wrong language" in t.label_note
    assert out.themes[0].label_source == "llm"
    o = out.llm_outcome
    assert o.fallbacks == {"wrong language": 1} and o.claims_dropped == {"wrong language": 2}
    assert o.fallback_summary() == "theme names: 1 of 2 from the offline path (1 wrong language)"


# -- what a name and a statement mean -------------------------------------------------------------------------
def test_the_prompts_show_no_example_name():
    for name in ("name_need", "name_theme"):
        p = load_prompt(name)
        assert prompt_examples(p.system, p.user) <= {"name", "need statement", "refs", "quotes"}, name


def test_a_name_written_for_another_need_is_dropped(tmp_path):
    """The old prompt's example name on an onboarding theme whose citations are real."""
    rep = make_report({0: BATTERY, 1: ONBOARDING})
    replies = {"Battery": naming(1, name="Battery that lasts a shift"),
               "onboarding": naming(1, "onboarding was confusing", name="Longer battery life",
                                    statement="New users need a clear guide so that they know where to start")}
    with OpenAIServer(by_theme(replies)) as srv:
        out = name_themes(rep, llm_for(srv, tmp_path))
    onboarding = out.themes[1]
    assert onboarding.label_source == "keywords" and "fits another need better" in onboarding.label_note
    assert onboarding.need_statement.startswith("New users need")     # its statement stands on its own
    assert out.themes[0].name == "Battery that lasts a shift"


PERMISSIONS = ["Prospect says: contractors can see every sheet, finance is worried",
               "sharing settings are all or nothing", "I can't restrict who edits a single sheet"]


@pytest.mark.parametrize("statement, kept", [
    ("Contractors need to see every sheet so that they can work", False),          # what they have, made a need
    ("Finance needs per-sheet permissions so that contractors cannot see every sheet", True),
])
def test_a_statement_that_turns_the_evidence_around_is_dropped(tmp_path, statement, kept):
    reply = naming([1, 2], "contractors can see every sheet", name="Per-sheet permissions", statement=statement)
    with OpenAIServer([Reply.json(reply)]) as srv:
        out = name_themes(make_report({0: PERMISSIONS}), llm_for(srv, tmp_path))
    t = out.themes[0]
    assert t.name == "Per-sheet permissions"
    assert (t.need_statement == statement) is kept
    if not kept:
        assert out.llm_outcome.claims_dropped == {"says they need what a cited item says they have": 1}


def test_praise_is_not_made_a_need(tmp_path, sample_report):
    """A praise theme is never named as a need; a statement resting on praise alone is dropped."""
    praise = ["Great app, love the beautiful interface", "Love the design, thanks", "Nice design, keep it up"]
    reply = naming([1, 2], name="Prettier interface", statement="Users want a prettier interface so that work is pleasant")
    with OpenAIServer([Reply.json(reply)]) as srv:
        out = name_themes(make_report({0: praise}), llm_for(srv, tmp_path))
    assert out.themes[0].need_statement is None and "cites only praise" in out.themes[0].label_note
    _, report = sample_report
    praise_themes = {t for n in report.non_needs for t in n.theme_ids}
    assert praise_themes
    with OpenAIServer(lambda body: Reply.json(scripted_naming(body["messages"][1]["content"]))) as srv:
        named = name_themes(report, llm_for(srv, tmp_path / "themes"), level="themes")
        sent = json.dumps(srv.chat_requests, ensure_ascii=False)
    praise_quotes = {q.text for t in report.themes if t.id in praise_themes for q in t.quotes}
    assert not any(json.dumps(q, ensure_ascii=False)[1:-1] in sent for q in praise_quotes)
    assert all(named.theme(t).label_source != "llm" for t in praise_themes)


def test_two_groups_never_share_a_name(tmp_path):
    rep = make_report({0: BATTERY, 1: ["battery drains in two hours", "phone battery is dead by noon", "battery awful"]})
    replies = {"Battery": naming(1, name="Battery life"), "battery": naming(1, name="battery  LIFE.")}
    with OpenAIServer(by_theme(replies)) as srv:
        out = name_themes(rep, llm_for(srv, tmp_path))
    names = [t.name for t in out.themes]
    assert names[0] == "Battery life" and names[1] == "kw1" and "may be one need" in out.themes[1].label_note
    assert out.llm_outcome.fallbacks == {"same name as another theme": 1}


def test_moscow_is_spread_by_the_evidence_not_the_model(sample_report, tmp_path):
    _, report = sample_report

    def reply(body):   # every need "must", as a model said
        return Reply.json({**scripted_naming(body["messages"][1]["content"]), "moscow": "must"})

    with OpenAIServer(reply) as srv:
        out = name_themes(report, llm_for(srv, tmp_path))
    needs = [n for n in out.needs if n.kind == "need"]
    classes = [n.moscow for n in needs]
    assert classes.count("must") == math.ceil(len(needs) / 4) and set(classes) <= {"must", "should", "could"}
    assert all("of respondents" in n.moscow_rationale for n in needs)
    assert all(n.label_source == "llm" for n in needs)     # the scripted names stand on the samples


# -- lengths ----------------------------------------------------------------------------------------------------
def _max_lengths(schema, path=""):
    """Where a schema caps a string's length: the paths of every ``maxLength``."""
    if isinstance(schema, dict):
        found = [path] if "maxLength" in schema else []
        return found + [p for k, v in schema.items() for p in _max_lengths(v, f"{path}/{k}")]
    return [p for i, v in enumerate(schema) for p in _max_lengths(v, path)] if isinstance(schema, list) else []


def test_reply_schemas_cap_no_text_only_quotes_and_text_is_trimmed_at_a_sentence_end(tmp_path):
    from feedbackiq.cards._confirm import MatchConfirmation
    from feedbackiq.gtm import FeatureMessage, PersonaDraft
    from feedbackiq.llm import NeedNaming, NeedRegrouping, ThemeNaming

    for model in (NeedNaming, ThemeNaming, PersonaDraft, FeatureMessage, MatchConfirmation, NeedRegrouping):
        # a grammar that enforces maxLength cuts a text mid-sentence; a quote cut short still aligns
        assert all(p.endswith("/quotes/items") for p in _max_lengths(model.model_json_schema())), model.__name__
    long = ("Field workers need a battery that lasts a shift. " * 6 + "They lose calls in the afternoon when the phone "
            "dies and the dispatch office cannot reach them at all")
    with OpenAIServer([Reply.json(naming(1, name="Battery that lasts a shift", statement=long))]) as srv:
        out = name_themes(make_report({0: BATTERY}), llm_for(srv, tmp_path))
    s = out.themes[0].need_statement
    assert s and s.endswith("shift.") and len(s) <= 300 and long.startswith(s)


# -- personas and messages --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def gtm(sample_report):
    fs, report = sample_report
    return fs, report, fiq.draft_personas(report, by="company_size"), load_features(FEATURES)


def _records(body):
    user = body["messages"][1]["content"]
    return [json.loads(x) for x in user.split("<feedback_data>\n")[1].split("\n</feedback_data>")[0].splitlines() if x]


class _Vectors:
    """An embedder with a fixed unit vector per text."""

    def __init__(self, vectors):
        self.vectors = vectors

    def embed(self, texts):
        return [self.vectors[t] for t in texts]


@pytest.mark.parametrize("claim, kept", [("Battery dies by noon", True), ("Wants a dark theme", False)])
def test_a_claim_far_in_meaning_from_the_item_it_cites_is_dropped(claim, kept):
    """A copied quote proves the item exists, not that the claim says what it does: a small model put a real
    quote of a stock item under a claim about tutorials. Below ``MIN_SUPPORT`` to its cited items, it is dropped."""
    item = FeedbackItem(id="a", text="Battery dies by noon, every day.", source="survey")
    embedder = _Vectors({item.text: [1.0, 0.0], "Battery dies by noon": [0.8, 0.6], "Wants a dark theme": [0.0, 1.0]})
    meaning = MeaningChecks(make_report({0: [item.text]}), embedder=embedder)
    checker = ClaimChecker(EvidenceSet([item]), "en", meaning=meaning)
    _, verdict = checker.claim(GroundedClaim(refs=[1], quotes=["battery dies by noon"], text=claim))
    assert verdict.kept is kept and (kept or verdict.reason == "not supported by its cited items")


def test_a_personas_two_calls_are_counted_as_one_draft(gtm, tmp_path):
    """Pains and goals come from one call, objections from one shown the sales notes alone: their claims, kept and
    dropped, add up on the persona and in the step's outcome."""
    _, report, personas, _ = gtm

    def reply(body):
        first = english(_records(body))[0]
        claim = {"text": about(first, "They lose time"), "refs": [first["ref"]],
                 "quotes": [" ".join(first["text"].split()[:4])]}
        if "Sales notes on this persona's accounts" in body["messages"][1]["content"]:
            return Reply.json({"objections": [{**claim, "text": about(first, "Worried")}, {"text": "Made up", "refs": [999]}],
                               "buying_triggers": [{**claim, "text": about(first, "A deadline")}]})
        return Reply.json({"label": "Operations lead", "summary": "Runs operations.", "pains": [claim, claim],
                           "goals": [claim]})

    with OpenAIServer(reply) as srv:
        out = draft_persona_traits(personas, report, llm_for(srv, tmp_path))
        assert all(len(r["messages"]) == 2 for r in srv.chat_requests)     # 3 of 3, then 2 of 3 kept: no retry
    noted = [p for p in out.personas if p.objections]
    assert noted and all(p.source == "llm" for p in out.personas)
    for p in noted:
        assert [c.text.split(":")[0] for c in p.objections] == ["Worried"] and len(p.buying_triggers) == 1
        assert p.claims_dropped == 1 and p.dropped == {"unknown reference": 1} and p.supported_share == round(5 / 6, 4)
    o = out.llm_outcome
    assert o.claims == 3 * len(out.personas) + 3 * len(noted) and o.claims_dropped == {"unknown reference": len(noted)}


def message(headline: str, claim: str, proofs: int = 1):
    """A message whose every line cites the first English evidence item (and a gloss for each quote glossed)."""
    def reply(body):
        records = _records(body)
        if "ref" not in records[0]:                                   # the gloss of quotes in the other language
            return Reply.json({"glosses": [{"id": r["id"], "gloss": "a translation"} for r in records]})
        first = english(records)[0]
        lines = [{"text": about(first, claim + end), "refs": [first["ref"]]}
                 for end in ("", " today", " every week")]   # distinct: a repeat is dropped
        return Reply.json({"headline": headline, "value_proposition": lines[-1], "proof_points": lines[:proofs]})
    return reply


def test_no_message_is_written_for_a_segment_without_evidence(gtm, tmp_path):
    _, report, personas, feats = gtm
    with OpenAIServer(message("Voice notes that understand your team", "Field teams can use voice notes")) as srv:
        out = translate_features(feats, personas, report, llm_for(srv, tmp_path), language="en")
        asked = {(r["messages"][1]["content"].split("Feature, and what it does for the customer: ")[1].split(":")[0],
                  r["messages"][1]["content"].split("Segment: ")[1].split("\n")[0]) for r in srv.chat_requests
                 if "Feature, and what it does for the customer: " in r["messages"][1]["content"]}
    silent = [(ft, m) for ft in out for m in ft.messages if not m.relevant_needs]
    assert silent    # some segment voices none of some feature's needs (dialects: small shops)
    for ft, m in silent:
        assert (ft.feature.name, m.persona) not in asked
        assert m.note == "no evidence in this segment" and m.headline is None and m.source == "extractive"
    total = fiq.LLMOutcome.merge("feature messages", [ft.llm_outcome for ft in out])
    assert total.fallbacks["no evidence in this segment"] == len(silent)
    assert total.outputs == sum(len(ft.messages) for ft in out)
    md = fiq.gtm.translations_to_markdown(out)
    assert "No LLM message: no evidence in this segment" in md


def test_a_message_prompt_names_its_sales_note_refs_and_asks_no_objection_handling_without_one(gtm, tmp_path):
    _, report, personas, feats = gtm
    with OpenAIServer(message("Voice notes that understand your team", "Field teams can use voice notes")) as srv:
        translate_features(feats, personas, report, llm_for(srv, tmp_path), language="en")
        bodies = [r for r in srv.chat_requests   # first asks (a retry asks for its failing parts only)
                  if "Feature, and what it does for the customer: " in r["messages"][1]["content"] and len(r["messages"]) == 2]
    kinds = set()
    for body in bodies:
        records, user = _records(body), body["messages"][1]["content"]
        sales = [r["ref"] for r in records if r["source"] == "sales_note"]
        asked = set(body["response_format"]["json_schema"]["schema"]["properties"])
        kinds.add(bool(sales))
        if sales:
            assert sales == list(range(len(records) - len(sales) + 1, len(records) + 1))    # the last refs
            assert f"The sales notes are refs [{', '.join(map(str, sales))}]" in user and "objection_handling" in asked
        else:
            assert "There are no sales notes here" in user and "objection_handling" not in asked
    assert True in kinds


def test_a_headline_in_jargon_is_sent_back_then_left_out(gtm, tmp_path):
    _, report, personas, feats = gtm
    jargon = message("Real-time dashboard of purchase orders with ETA alerts", "You see what is arriving", proofs=2)
    with OpenAIServer(jargon) as srv:
        out = translate_features(feats[:1], personas, report, llm_for(srv, tmp_path), language="en")[0]
        retries = [r["messages"][-1]["content"] for r in srv.chat_requests if len(r["messages"]) > 2]
    # the retry names the words to avoid that the headline used, so the model can fix it
    assert retries and all("headlines: uses jargon to avoid (used: " in m and "dashboard" in m for m in retries)
    small = next(m for m in out.messages if m.segment["company_size"] == "1-10")
    assert "dashboard" in small.jargon_to_avoid
    assert small.source == "llm" and small.headline is None and small.dropped == {"uses jargon to avoid": 1}
    assert small.proof_points and small.value_proposition.startswith("You see what is arriving every week: ")


def test_a_line_that_says_the_engineering_description_again_or_repeats_one_is_dropped(gtm, tmp_path):
    """Real models wrote proof points that describe the feature ("... by providing a real-time dashboard of
    purchase orders ...") citing real items: a line with two or more words of the jargon to avoid is dropped
    with the words it used; a line with one stands. A line said twice is kept once."""
    _, report, personas, feats = gtm

    def reply(body):
        first = english(_records(body))[0]
        cite = lambda text: {"refs": [first["ref"]], "text": about(first, text)}   # noqa: E731
        return Reply.json({"proof_points": [cite("Shop owners cannot see what is arriving"),
                                            cite("Shop owners cannot see what is arriving!")],
                           "value_proposition": cite("A real-time dashboard of purchase orders with ETA alerts"),
                           "headlines": ["Stop paying for stock you cannot see"]})

    with OpenAIServer(reply) as srv:
        out = translate_features(feats[:1], personas, report, llm_for(srv, tmp_path), language="en")[0]
        retries = [r["messages"][-1]["content"] for r in srv.chat_requests if len(r["messages"]) > 2]
    small = next(m for m in out.messages if m.segment["company_size"] == "1-10")
    assert {"dashboard", "real-time"} <= set(small.jargon_to_avoid)
    assert small.source == "llm" and [c.text.split(":")[0] for c in small.proof_points] == [
        "Shop owners cannot see what is arriving"]
    assert small.dropped == {"uses jargon to avoid": 1, "repeats another line": 1} and small.value_proposition is None
    assert not retries   # 2 of 4 lines stand: no retry


# -- card confirmation ------------------------------------------------------------------------------------------
def _match(sims: dict[int, float], status="matched") -> TargetMatch:
    ranked = [MatchedNeed(need_id=i, name=f"need {i}", similarity=s, theme_ids=[i]) for i, s in sims.items()]
    return TargetMatch(status, "similarity", ranked[:1] if status == "matched" else [], nearest=ranked,
                       candidates=[] if status == "matched" else ranked[:2])


def _said(*verdicts) -> MatchConfirmation:
    return MatchConfirmation.model_validate({"needs": [{"need_id": i, "about": a, "reason": r} for i, a, r in verdicts]})


def test_a_confirmation_may_not_add_a_weak_need_nor_drop_a_strong_match():
    m = _match({1: 0.55, 2: 0.27})
    decide(m, _said((1, False, "these are about pricing"), (2, True, "about churn")), m.nearest)
    assert [x.need_id for x in m.needs] == [1] and m.status == "matched" and m.before is None
    assert any("doubts #1" in x and "about pricing" in x for x in m.changes)
    assert any("#2" in x and "not added" in x and f"{MATCH_MIN_SIMILARITY:.2f}" in x for x in m.changes)
    m = _match({1: 0.42, 2: 0.30})
    decide(m, _said((1, False, "")), m.nearest)                       # no reason: nothing changes
    assert m.status == "matched" and m.before is None and "without a reason" in m.changes[0]


def test_a_confirmation_may_narrow_or_drop_a_weak_match_and_the_verdict_without_it_is_kept():
    m = _match({1: 0.52, 2: 0.50}, status="ambiguous")
    decide(m, _said((1, True, "the quotes are about sheet permissions"), (2, False, "about pricing tabs")), m.nearest)
    assert m.status == "matched" and [x.need_id for x in m.needs] == [1] and m.before.status == "ambiguous"
    m = _match({1: 0.42, 2: 0.30})
    decide(m, _said((1, False, "these are about pricing")), m.nearest)
    assert m.status == "unmatched" and m.before.status == "matched" and m.before.needs[0].need_id == 1


def test_the_scorecard_shows_a_changed_verdict_beside_the_one_without_the_llm(gtm, tmp_path):
    _, report, *_ = gtm
    cards = fiq.load_cards(ROOT / "datasets" / "cards.yaml")
    cards.cards = [cards.cards[0]]
    cards.cards[0].targets = cards.cards[0].targets[:1]
    before = fiq.score_cards(cards, report).targets()[0]
    assert before.status == "pass"

    def reply(body):   # every candidate is about it
        records = _records(body)
        return Reply.json({"needs": [{"need_id": r["need_id"], "about": True, "reason": "all about sheets"} for r in records]})

    (match,) = match_targets(cards.cards[0].targets, report)
    with OpenAIServer(reply) as srv:
        scores = fiq.score_cards(cards, report, llm=llm_for(srv, tmp_path))
        asked = [r["need_id"] for body in srv.chat_requests for r in _records(body)]
    t = scores.targets()[0]
    assert [m.need_id for m in t.needs] == [m.need_id for m in before.needs] and t.status == "pass"
    assert t.without_llm is None and any("confirmed" in x for x in t.llm_changes)
    # asked only about the needs its answer could act on: the match, and others at or above the threshold
    assert before.needs[0].need_id in asked and len(match.nearest) > len(asked)
    assert all(c.similarity >= MATCH_MIN_SIMILARITY for c in match.nearest if c.need_id in asked)
    t.llm_changes.append(f"LLM named #9 'x' (0.30) too: not added, below the similarity threshold {MATCH_MIN_SIMILARITY:.2f}")
    # a changed verdict: the scorecard puts the verdict without the LLM beside it
    t.without_llm = fiq.TargetVerdict(status="pass", actual=0.129, needs=before.needs)
    t.status = "fail"
    md = fiq.cards.scorecard_to_markdown(scores)
    row = next(line for line in md.splitlines() if line.startswith(f"| {t.target} |"))
    assert "**FAIL**" in row and f"(without the LLM: PASS 12.9%, #{before.needs[0].need_id})" in row
    assert "not added" in md
    from feedbackiq.report._scorecard import scorecard_section
    html = scorecard_section(scores)
    assert f"without the LLM: PASS 12.9%, #{before.needs[0].need_id}" in html and "not added" in html


# -- a run: counted in the manifest, said on the console and at the top of the report ---------------------------
def test_a_run_counts_claims_and_fallbacks_and_says_so(tmp_path):
    from helpers import SAMPLES

    def reply(body):
        user = body["messages"][1]["content"]
        if "NeedNaming" not in json.dumps(body.get("response_format") or {}):
            return Reply.json({})
        named = scripted_naming(user)
        if "battery" in named["name"].lower():   # the battery need gets a Chinese name, twice
            named["name"] = "电池续航"
        return Reply.json(named)

    out = tmp_path / "run"
    with OpenAIServer(reply) as srv:
        res = CliRunner().invoke(app, ["run", str(SAMPLES / "app_reviews.csv"), "--out", str(out), "--llm", "m",
                                                "--llm-base-url", srv.base_url, "--progress", "plain"],
                                 env={"OPENAI_API_KEY": "k"})
    assert res.exit_code == 0, res.output
    assert "need names: 1 of" in res.output and "(1 wrong language" in res.output          # the console
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    names = manifest["claims"]["by_step"]["need names"]
    assert names["fallbacks"]["wrong language"] == 1 and names["claims_dropped"]["wrong language"] >= 1
    assert manifest["claims"]["total"]["claims"] >= names["claims"]
    md = (out / "report.md").read_text(encoding="utf-8")
    top = md.split("## ")[0]
    assert "Written by the offline path instead of the LLM" in top and "1 wrong language" in top
    assert "LLM claims, each kept or dropped" in md.split("## How this was made")[1]
    html = (out / "report.html").read_text(encoding="utf-8")
    first = html.split('class="warnings"')[1].split("</div>")[0]     # "Read this first", above the first section
    assert "need names: 1 of" in first and "1 wrong language" in first
    claims = html.split('id="llm-claims"')[1].split("</table>")[0]   # the appendix's table
    assert "need names" in claims and "wrong language" in claims
    themes_md = (out / "themes.md").read_text(encoding="utf-8")
    assert "need names: 1 of" in themes_md.split("###")[0] and "dropped (wrong language)" in themes_md


# -- a small model's context ------------------------------------------------------------------------------------
def test_evidence_is_cut_to_what_a_small_context_leaves_and_quotes_still_align(tmp_path):
    from feedbackiq.llm._claims import EVIDENCE_MAX_CHARS
    from feedbackiq.llm._context import REPLY_TOKENS, estimate_messages

    long_texts = [f"Battery dies by lunch on day {n}. " + "The phone gets hot and the charge is gone by noon. " * 40
                  for n in range(12)]
    sent = {}
    for context in (2048, 32768):
        reply = naming(1, "Battery dies by lunch on day", name="Battery that lasts a shift",
                       statement="Field workers need a battery that lasts past lunch")
        with OpenAIServer([Reply.json(reply)]) as srv:
            llm = LLM(model="m", base_url=srv.base_url, api_key="k", cache_dir=tmp_path / str(context), backoff=0.001,
                      max_concurrency=1, context_tokens=context)
            out = name_themes(make_report({0: long_texts}), llm)
            body = srv.chat_requests[0]
        records = [json.loads(line) for line in body["messages"][1]["content"].split("<feedback_data>\n")[1]
                   .split("</feedback_data>")[0].splitlines() if line.startswith("{")]
        sent[context] = (records, estimate_messages(body["messages"]))
        assert out.themes[0].label_source == "llm"                      # the handle still resolves, the quote aligns
        assert out.themes[0].need_citations[0].quote.startswith("Battery dies by lunch on day")
    small, large = sent[2048], sent[32768]
    assert 1 <= len(small[0]) < len(large[0]) and all(len(r["text"]) <= EVIDENCE_MAX_CHARS for r in small[0])
    assert small[1] <= 1.05 * (2048 - REPLY_TOKENS)                    # the prompt fits beside the reply
    assert any(len(r["text"]) > EVIDENCE_MAX_CHARS for r in large[0])  # a large context shows items whole
