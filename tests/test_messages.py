"""A message per feature x segment: the offline template, proof quotes without CRM lead-ins, LLM glosses."""

import json

import pytest
from helpers import ROOT, truth_by_item

import feedbackiq as fiq
from feedbackiq._lang import has_cjk
from feedbackiq._terms import TermMatcher
from feedbackiq.gtm import load_features, translate_features, translations_to_markdown
from feedbackiq.llm import LLM
from feedbackiq.testing import OpenAIServer, Reply

FEATURES = ROOT / "datasets" / "features.yaml"
LEAD_INS = ("prospect says", "qbr note", "champion mentioned", "demo feedback", "call with", "拜访记录", "采购负责人表示",
            "客户反馈")


@pytest.fixture(scope="module")
def setup(sample_report):
    fs, rep = sample_report
    personas = fiq.draft_personas(rep, by="company_size")
    feats = load_features(FEATURES)
    return fs, rep, personas, feats, translate_features(feats, personas, rep)


def _said(phrase, text):
    return phrase in text if has_cjk(phrase) else TermMatcher([phrase]).search(text) is not None


def test_without_an_llm_each_message_is_a_labelled_template_from_the_segments_pain(setup):
    """Headline and value proposition from the segment's top pain phrase (a clause of its own feedback on the
    feature's needs, in the document's language, holding its words) and the feature's benefit, labelled."""
    fs, rep, personas, feats, out = setup
    by_id = fs.by_id()
    need_of = {a.item_id: a.need_id for a in rep.assignments}
    framing = truth_by_item(fs, "framing")
    written = 0
    for ft in out:
        assert ft.feature.benefit, ft.feature.name
        for m in ft.messages:
            if not m.relevant_needs:
                assert m.headline is None and m.pain is None, (ft.feature.name, m.persona)
                continue
            assert m.source == "template" and m.pain is not None, (ft.feature.name, m.persona)
            (cite,) = m.pain.citations
            item = by_id[cite.item_id]
            assert all(item.segments.get(k) == v for k, v in m.segment.items()) and need_of[item.id] in m.relevant_needs
            assert m.pain.text == cite.quote and cite.quote in item.text
            if has_cjk(m.pain.text):   # in the document's language (English) when the segment says it in English
                own = [it for it in fs.items if all(it.segments.get(k) == v for k, v in m.segment.items())
                       and need_of[it.id] in m.relevant_needs]
                assert all(has_cjk(it.text) for it in own), (m.persona, m.pain.text)
            size = len(m.pain.text) if has_cjk(m.pain.text) else len(m.pain.text.split())
            assert not m.pain.text.lower().startswith(LEAD_INS) and 2 <= size <= 30, m.pain.text
            assert any(_said(w, m.pain.text) for w in m.words_they_use), (m.pain.text, m.words_they_use)
            assert m.pain.text in m.headline and len(m.headline) <= 120 and ft.feature.name in m.headline
            assert ft.feature.benefit[1:] in m.value_proposition and m.pain.text in m.value_proposition
            written += 1
        supply = {m.segment["company_size"]: m for m in ft.messages if ft.feature.name == "Supply-chain visibility"}
        for size, want in (("1000+", "supply_coord"), ("1-10", "supply_cost")):   # each in its own framing
            if supply:
                assert framing.get(supply[size].pain.citations[0].item_id) == want, (size, supply[size].pain)
    assert written >= 10
    md = translations_to_markdown(out)
    assert md.count("Template, not LLM-written") == written


def test_a_feature_without_a_benefit_falls_back_to_its_description(setup):
    fs, rep, personas, feats, _ = setup
    bare = feats[0].model_copy(update={"benefit": None})
    (ft,) = translate_features([bare], personas, rep)
    m = next(m for m in ft.messages if m.pain)
    assert bare.description.split(",")[0][1:] in m.value_proposition


def test_proof_quotes_drop_crm_lead_ins_and_cite_the_item(setup):
    fs, rep, personas, feats, out = setup
    by_id = fs.by_id()
    stripped = 0
    for ft in out:
        for m in ft.messages:
            for c in m.proof_points:
                (cite,) = c.citations
                item = by_id[cite.item_id]
                assert c.text == cite.quote and cite.quote in item.text and c.text.strip()
                assert not c.text.lower().startswith(LEAD_INS), c.text
                stripped += item.text.lower().startswith(LEAD_INS)
    assert stripped >= 3   # the samples' sales notes open with lead-ins: the check ran on real ones


def _blocks(user):
    return [[json.loads(x) for x in block.split("\n</feedback_data>")[0].splitlines() if x]
            for block in user.split("<feedback_data>\n")[1:]]


def _gloss_server(wrong_language=False):
    """Feature messages fail (invalid output, so the template stays); gloss requests get a gloss per quote,
    in the language the prompt asks for (or, with ``wrong_language``, in the quote's own)."""
    def reply(body):
        system, user = body["messages"][0]["content"], body["messages"][1]["content"]
        if "gloss" not in system.lower():
            return Reply.text("not json")
        to_zh = "简体中文" in system
        quotes = _blocks(user)[0]
        return Reply.json({"glosses": [
            {"id": q["id"], "gloss": q["text"][:20] if wrong_language else ("译文：" + q["id"] if to_zh else f"Gloss of {q['id']}")}
            for q in quotes]})
    return reply


@pytest.mark.parametrize("language", ["en", "zh"])
def test_quotes_in_the_other_language_get_a_marked_gloss(setup, tmp_path, language):
    fs, rep, personas, feats, _ = setup
    with OpenAIServer(_gloss_server()) as srv:
        llm = LLM(model="m", base_url=srv.base_url, api_key="k", cache_dir=tmp_path, backoff=0.001, validation_retries=0)
        out = translate_features(feats, personas, rep, llm, language=language)
        glossing = [r for r in srv.chat_requests if "gloss" in r["messages"][0]["content"].lower()]
    assert glossing
    foreign = same = 0
    for ft in out:
        for m in ft.messages:
            for c in [*m.proof_points, *m.objection_handling, *([m.pain] if m.pain else [])]:
                if has_cjk(c.text) != (language == "zh"):
                    foreign += 1
                    assert c.gloss and has_cjk(c.gloss) == (language == "zh"), (c.text, c.gloss)
                else:
                    same += 1
                    assert c.gloss is None, c.text
    assert foreign >= 3 and same >= 3
    md = translations_to_markdown(out)
    assert md.count("translation by an LLM") == foreign
    assert sum(o.calls for o in [ft.llm_outcome for ft in out]) >= len(glossing)


def test_a_gloss_in_the_wrong_language_is_not_kept(setup, tmp_path):
    fs, rep, personas, feats, _ = setup
    with OpenAIServer(_gloss_server(wrong_language=True)) as srv:
        llm = LLM(model="m", base_url=srv.base_url, api_key="k", cache_dir=tmp_path, backoff=0.001, validation_retries=0)
        out = translate_features(feats[:1], personas, rep, llm, language="en")
    assert all(c.gloss is None for ft in out for m in ft.messages for c in m.proof_points)
    assert out[0].llm_outcome.failed.get("invalid output", 0) >= 1
