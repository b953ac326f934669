"""Market-language translation: the classic supply-chain example, vocabulary checks, grounding, CLI."""

import json
import logging

import pytest
from helpers import ROOT, about, english, majority_truth_by_need, majority_truth_by_theme, truth_by_item
from typer.testing import CliRunner

import feedbackiq as fiq
from feedbackiq import ConfigError
from feedbackiq.gtm import load_features, match_needs, translate_features, word_shares
from feedbackiq.types import Feature
from feedbackiq.llm import LLM
from feedbackiq.testing import OpenAIServer, Reply

FEATURES = ROOT / "datasets" / "features.yaml"


@pytest.fixture(scope="module")
def setup(sample_report):
    fs, rep = sample_report
    personas = fiq.draft_personas(rep, by="company_size")
    feats = load_features(FEATURES)
    return fs, rep, personas, feats


def test_classic_supply_chain_example_is_supported_by_the_data(setup):
    """Large manufacturers hear coordination, small shops hear cost: computed from their own feedback, whether
    the report holds supply-chain visibility as one need or as two (one per framing)."""
    fs, rep, personas, feats = setup
    supply = translate_features(feats[:1], personas, rep)[0]
    planted = majority_truth_by_need(fs, rep, "theme")
    framing = majority_truth_by_theme(fs, rep, "framing")
    by_size = {m.segment["company_size"]: m for m in supply.messages}
    for size, want in (("1000+", "supply_coord"), ("1-10", "supply_cost")):
        m = by_size[size]
        assert m.relevant_needs and planted[m.relevant_needs[0]] == "supply_chain_visibility", size
        # the evidence: the themes of that need this segment voices, its own way of saying it first
        assert m.relevant_themes and framing[m.relevant_themes[0]] == want, size
        assert set(m.relevant_themes) <= {t for n in m.relevant_needs for t in rep.need(n).theme_ids}
    words = {size: {w for phrase in m.words_they_use for w in phrase.split()} for size, m in by_size.items()}
    assert {"production", "purchasing"} & words["1000+"]
    assert {"stock", "shipping", "costs", "money", "inventory"} & words["1-10"]
    assert not {"stock", "money", "costs", "margin"} & words["1000+"]   # each in its own words, not the other's
    # engineering words nobody in the segment uses are flagged
    assert "dashboard" in by_size["1-10"].jargon_to_avoid and "eta" in by_size["1000+"].jargon_to_avoid
    assert by_size["1000+"].proof_points and by_size["1-10"].proof_points


def test_each_segment_message_rests_on_its_own_evidence(setup):
    """Each segment's proof points are its own items in the need it voices most, framed as that segment
    frames it (the same need, or one need per framing)."""
    fs, rep, personas, feats = setup
    supply = translate_features(feats[:1], personas, rep)[0]
    framing = truth_by_item(fs, "framing")
    need_of = {a.item_id: a.need_id for a in rep.assignments}
    for size, want in (("1000+", "supply_coord"), ("201-1000", "supply_coord"), ("1-10", "supply_cost"),
                       ("11-50", "supply_cost")):
        m = next(m for m in supply.messages if m.segment["company_size"] == size)
        own = [it for it in fs.items if it.segments.get("company_size") == size and need_of[it.id] == m.relevant_needs[0]]
        proof = {c.citations[0].item_id for c in m.proof_points}   # each proof quote cites its item
        assert len(proof) == 3 and proof <= {it.id for it in own}, size
        voiced = [framing[it.id] for it in own if it.id in proof and framing.get(it.id)]
        assert voiced and all(f == want for f in voiced), (size, voiced)


def test_praise_is_never_matched(setup, caplog):
    """A feature about delight matches no praise group by meaning; a praise id listed in the file is left out, said."""
    _, rep, _, _ = setup
    praise = {n.id for n in rep.non_needs}
    assert praise
    delight = Feature(name="Delight", description="Great app, love it, thanks, works well, keep it up, nice job")
    assert not set(match_needs(delight, rep)) & praise
    listed = Feature(name="Kudos", description="x", needs=[*praise, rep.needs[0].id])
    with caplog.at_level(logging.WARNING, logger="feedbackiq"):
        assert match_needs(listed, rep) == [rep.needs[0].id]
    assert any("left out" in r.getMessage() and f"need {min(praise)}" in r.getMessage() for r in caplog.records)


def test_listed_needs_and_themes_in_the_features_file(setup, tmp_path):
    """``needs:`` ids are used as given; ``themes:`` ids stand for their needs (files written before needs)."""
    fs, rep, personas, _ = setup
    coord = next(t for t, f in majority_truth_by_theme(fs, rep, "framing").items() if f == "supply_coord")
    need = rep.theme(coord).need_id   # the need voiced as coordination (alone, or with cost)
    theme = rep.need(need).theme_ids[-1]
    path = tmp_path / "features.yaml"
    path.write_text(f"features:\n  - name: By need\n    description: d\n    needs: [{need}]\n"
                    f"  - name: By theme\n    description: d\n    themes: [{theme}]\n", encoding="utf-8")
    by_need, by_theme = translate_features(load_features(path), personas, rep)
    for ft in (by_need, by_theme):
        big = next(m for m in ft.messages if m.segment["company_size"] == "1000+")
        assert big.relevant_needs == [need], ft.feature.name


def test_word_shares():
    assert word_shares("Stop losing money on stock", {"stock", "money", "losing", "stop"}, {"inventory"}) == (1.0, 0.0)
    assert word_shares("Real-time inventory dashboard", {"stock"}, {"real-time", "inventory", "dashboard"}) == (0.0, 1.0)
    assert word_shares("", set(), set()) == (None, None)


def _records(body) -> list[dict]:
    user = body["messages"][1]["content"]
    return [json.loads(x) for x in user.split("<feedback_data>\n")[1].split("\n</feedback_data>")[0].splitlines() if x]


def _cite(rec, text):
    return {"text": about(rec, text), "refs": [rec["ref"]], "quotes": [" ".join(rec["text"].split()[:3])]}


def _reply(variant):
    def reply(body):
        records = _records(body)
        said = english(records)
        evidence = [r for r in said if r["source"] != "sales_note"] or said
        sales = [r for r in said if r["source"] == "sales_note"]
        first = evidence[0]
        proof = [_cite(first, "Teams stop waiting on each other")]
        objections = [_cite(sales[0], "Rollout fits your plants")] if sales else []
        if variant == "invented":
            proof.append({"text": "Saves 4321 dollars", "refs": [999]})
            objections = [_cite(first, "Answers the survey")] if sales else []   # the one objection asked for
        return Reply.json({"headline": "Teams stop waiting on each other",
                           "value_proposition": _cite(first, "Plant and warehouse teams see where each order is."),
                           "proof_points": proof, "objection_handling": objections})
    return reply


@pytest.mark.parametrize("variant", ["ok", "invented"])
def test_llm_messages_are_grounded_and_measured(setup, tmp_path, variant):
    fs, rep, personas, feats = setup
    sales_ids = {it.id for it in fs.items if it.source.value == "sales_note"}
    with OpenAIServer(_reply(variant)) as srv:
        llm = LLM(model="m", base_url=srv.base_url, api_key="k", cache_dir=tmp_path, backoff=0.001)
        out = translate_features(feats[:1], personas, rep, llm, language="en")[0]
        assert all("in English" in r["messages"][0]["content"] for r in srv.chat_requests)
        assert len(srv.chat_requests) == sum(bool(m.relevant_needs) for m in out.messages)   # no retry
    big = next(m for m in out.messages if m.segment["company_size"] == "1000+")
    assert big.source == "llm" and big.headline == "Teams stop waiting on each other" and big.value_proposition
    assert all(c.citations for c in big.proof_points)
    if variant == "ok":
        assert big.objection_handling and all(c.citations[0].item_id in sales_ids for c in big.objection_handling)
    else:
        assert not big.objection_handling
    assert big.claims_dropped == (2 if variant == "invented" else 0)  # invented proof + objection citing a survey answer
    assert big.dropped == ({"unknown reference": 1, "wrong source": 1} if variant == "invented" else {})
    assert "Saves 4321 dollars" not in [c.text for c in big.proof_points]
    assert big.customer_word_share is not None and big.customer_word_share > big.technical_word_share


def test_messages_in_another_language_than_asked_are_dropped(setup, tmp_path):
    """Asked for Chinese, the model writes English (as real models did): every line is dropped for its language
    after one retry, and the messages stay extractive, counted."""
    fs, rep, personas, feats = setup
    with OpenAIServer(_reply("ok")) as srv:
        llm = LLM(model="m", base_url=srv.base_url, api_key="k", cache_dir=tmp_path, backoff=0.001)
        out = translate_features(feats[:1], personas, rep, llm, language="zh")[0]
        assert all("简体中文" in r["messages"][0]["content"] for r in srv.chat_requests)
        asks = [r for r in srv.chat_requests if "Feature, and what it does for the customer" in r["messages"][1]["content"]]
        # said again last: a small model copies a quote and goes on in its language
        assert asks and all("简体中文" in r["messages"][1]["content"] for r in asks)
        retries = [r["messages"][-1]["content"] for r in asks if len(r["messages"]) > 2]
        assert retries and all("in the language the instructions ask for" in m for m in retries)
    sent = [m for m in out.messages if m.relevant_needs]
    assert sent and all(m.source == "template" and "no supported proof point" in m.note for m in sent)   # labelled template
    o = out.llm_outcome
    assert o.fallbacks.get("no supported claim") == len(sent) and set(o.claims_dropped) == {"wrong language"}


def test_message_schema_asks_for_the_customers_words_first_and_the_headline_last(setup, tmp_path):
    """The schema a grammar-following server writes in: proof points, then the value proposition, then headline
    options; each claim's refs, then its copied quotes, then its text (under a key naming the language); refs
    limited to the handles shown, and objection handling to the sales notes'. Of the headline options the first
    in the segment's words is used. The prompt says what the feature does for the customer (its ``benefit``),
    not the engineering description a small model would say again."""
    fs, rep, personas, feats = setup

    def reply(body):
        records = _records(body)
        first = [r for r in english(records) if r.get("source") != "sales_note"][0]
        return Reply.json({"proof_points": [_cite(first, "Teams stop waiting on each other")],
                           "value_proposition": _cite(first, "Plant and warehouse teams see where each order is."),
                           "headlines": ["Real-time dashboard with ETA alerts", "Teams stop waiting on each other"]})

    with OpenAIServer(reply) as srv:
        llm = LLM(model="m", base_url=srv.base_url, api_key="k", cache_dir=tmp_path, backoff=0.001)
        out = translate_features(feats[:1], personas, rep, llm, language="en")[0]
        bodies = list(srv.chat_requests)
    for body in bodies:
        schema = body["response_format"]["json_schema"]["schema"]
        records = _records(body)
        assert schema["required"][:3] == ["proof_points", "value_proposition", "headlines"]
        claim = schema["$defs"]["FeedbackClaim"]
        assert claim["required"] == ["refs", "quotes", "text_in_english"] and claim["properties"]["quotes"]["minItems"] == 1
        user = body["messages"][1]["content"]
        assert feats[0].benefit in user and feats[0].description not in user
        assert claim["properties"]["refs"]["items"]["enum"] == [r["ref"] for r in records]
        sales = [r["ref"] for r in records if r["source"] == "sales_note"]
        if sales:
            assert schema["$defs"]["SalesNoteClaim"]["properties"]["refs"]["items"]["enum"] == sales
        else:
            assert "objection_handling" not in schema["properties"]
    big = next(m for m in out.messages if m.segment["company_size"] == "1000+")
    assert big.source == "llm" and big.headline == "Teams stop waiting on each other" and big.claims_dropped == 0


def test_features_file_errors(tmp_path):
    bad = tmp_path / "f.yaml"
    bad.write_text("features:\n  - name: X\n  - name: Y\n    description: ok\n", encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        load_features(bad)
    assert "feature 1" in str(exc.value) and "description" in str(exc.value)
    csv_file = tmp_path / "f.csv"
    csv_file.write_text("name,description,themes\nSheets,Per-sheet ACL,1;2\n", encoding="utf-8")
    assert load_features(csv_file)[0].themes == [1, 2]
    csv_file.write_text("name,description,needs\nSheets,Per-sheet ACL,3\nASR,Dialects,two\n", encoding="utf-8")
    with pytest.raises(ConfigError) as exc:   # names the file, the row and the column
        load_features(csv_file)
    assert str(csv_file) in str(exc.value) and "row 3" in str(exc.value) and "'needs'" in str(exc.value)
    csv_file.write_text("name,description,needs\nSheets,Per-sheet ACL,3;4\n", encoding="utf-8")
    assert load_features(csv_file)[0].needs == [3, 4]
    with pytest.raises(ConfigError, match="not found"):
        load_features(tmp_path / "missing.yaml")


def test_cli_translate(tmp_path, samples, monkeypatch):
    for var in ("FEEDBACKIQ_LLM_MODEL", "OPENAI_API_KEY", "OPENAI_BASE_URL", "AZURE_OPENAI_API_KEY"):
        monkeypatch.delenv(var, raising=False)
    from feedbackiq._cli import app

    runner = CliRunner()
    assert runner.invoke(app, ["themes", str(samples), "--out", str(tmp_path), "--show", "0"]).exit_code == 0
    res = runner.invoke(app, ["translate", str(tmp_path), "--features", str(FEATURES), "--by", "company_size"])
    assert res.exit_code == 0, res.output
    md = (tmp_path / "translations.md").read_text(encoding="utf-8")
    assert "## Supply-chain visibility" in md and "### Micro " in md and "(1-10 employees" in md and "Jargon to avoid" in md
    # with data-driven personas ("auto"), messages stay per segment
    res = runner.invoke(app, ["translate", str(tmp_path), "--features", str(FEATURES), "--by", "auto"])
    assert res.exit_code == 0 and "x 5 segments" in " ".join(res.output.split()), res.output
    doc = (tmp_path / "features" / "01-supply-chain-visibility.md").read_text(encoding="utf-8")
    assert doc.startswith("# Supply-chain visibility") and doc.count("\n### ") >= 2


def _own_items(fs, message):
    return [it for it in fs.items if all(it.segments.get(k) == v for k, v in message.segment.items())]


def test_jargon_to_avoid_is_never_a_word_the_segment_uses(setup):
    """No segment's "jargon to avoid" holds a word of that segment's own feedback (whole words, any inflection:
    a segment that writes "permissions" uses "permission")."""
    from feedbackiq._terms import TermMatcher

    fs, rep, personas, feats = setup
    checked = 0
    for ft in translate_features(feats, personas, rep):
        for m in ft.messages:
            own = [it.text for it in _own_items(fs, m)]
            assert own, m.persona
            for word in m.jargon_to_avoid:
                matcher = TermMatcher([word])
                said = next((t for t in own if matcher.search(t)), None)
                assert said is None, (ft.feature.name, m.persona, word, said)
                checked += 1
    assert checked >= 20   # the check ran on real lists


def test_words_they_use_come_from_the_features_need_in_that_segment(setup):
    """A segment's words for a feature are mined from its feedback on that feature's needs (against the other
    segments'), so they differ from feature to feature, every one is said in that feedback, and none is a
    number or filler ("five", "team five", "thin already")."""
    from feedbackiq._lang import has_cjk
    from feedbackiq._terms import TermMatcher

    fs, rep, personas, feats = setup
    need_of = {a.item_id: a.need_id for a in rep.assignments}
    filler = {"five", "already", "thin already", "team five", "prospect", "says", "mentioned", "qbr", "demo", "feedback"}
    lists = {}
    for ft in translate_features(feats, personas, rep):
        for m in ft.messages:
            if not m.relevant_needs:
                assert not m.words_they_use, (ft.feature.name, m.persona)   # nothing said about it: no words
                continue
            texts = [it.text for it in _own_items(fs, m) if need_of[it.id] in m.relevant_needs]
            assert m.words_they_use, (ft.feature.name, m.persona)
            for w in m.words_they_use:
                assert not any(ch.isdigit() for ch in w) and w not in filler and not set(w.split()) & filler, w
                if has_cjk(w):
                    assert any(w in t for t in texts), (ft.feature.name, m.persona, w)
                else:
                    assert any(TermMatcher([w]).search(t) for t in texts), (ft.feature.name, m.persona, w)
            lists.setdefault(m.persona, []).append(tuple(m.words_they_use))
    several = {p: ls for p, ls in lists.items() if len(ls) >= 2}
    assert several and all(len(set(ls)) == len(ls) for ls in several.values()), several
