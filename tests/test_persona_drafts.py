"""LLM-drafted persona traits are evidence-locked: invented ids, altered quotes and invented numbers are rejected."""

import json
import logging

import pytest

import feedbackiq as fiq
from feedbackiq.gtm import draft_persona_traits
from feedbackiq.llm import LLM
from feedbackiq.testing import OpenAIServer, Reply


def _blocks(body):
    user = body["messages"][1]["content"]
    blocks = [b.split("\n</feedback_data>")[0] for b in user.split("<feedback_data>\n")[1:]]
    return [[json.loads(line) for line in b.splitlines() if line.strip()] for b in blocks]


def _claim(rec, text="They lose time", n=8):
    return {"text": text, "citations": [{"item_id": rec["id"], "quote": rec["text"][:n]}]}


def scripted(variant):
    def reply(body):
        feedback, sales = _blocks(body)
        first = feedback[0]
        draft = {"label": "Ops lead at a large plant", "summary": "Coordinates production across departments.",
                 "pains": [_claim(first)], "goals": [_claim(feedback[-1], "Wants one shared view")],
                 "objections": [_claim(sales[0], "Worried about rollout")] if sales else [], "buying_triggers": []}
        if variant == "invented_number":
            draft["pains"].append(_claim(first, "Loses 98765 hours a week"))
        elif variant == "invented_id":
            draft["goals"].append({"text": "x", "citations": [{"item_id": "nope", "quote": "x"}]})
        elif variant == "altered_quote":
            draft["goals"].append({"text": "x", "citations": [{"item_id": first["id"], "quote": first["text"][:8] + " EXTRA"}]})
        elif variant == "objection_from_survey":
            draft["objections"].append(_claim(first, "Objects to the price"))
        return Reply.json(draft)
    return reply


@pytest.fixture(scope="module")
def personas(sample_report):
    _, rep = sample_report
    return fiq.draft_personas(rep, by="company_size"), rep


def _run(personas, tmp_path, variant):
    ps, rep = personas
    with OpenAIServer(scripted(variant)) as srv:
        llm = LLM(model="m", base_url=srv.base_url, api_key="k", cache_dir=tmp_path, backoff=0.001, max_concurrency=1)
        return draft_persona_traits(ps, rep, llm), srv.chat_requests


def test_grounded_draft_is_kept(personas, tmp_path):
    out, reqs = _run(personas, tmp_path, "ok")
    assert len(reqs) == len(out.personas)
    for p in out.personas:
        assert p.source == "llm" and p.label == "Ops lead at a large plant"
        assert p.pains and p.goals and p.supported_share == 1.0 and p.claims_dropped == 0
    big = next(p for p in out.personas if p.segment == {"company_size": "1000+"})
    assert big.objections, "large accounts have sales notes, so objections can be drafted from them"
    # the computed facts went in as data, unchanged
    facts = reqs[0]["messages"][1]["content"]
    assert '"respondents":' in facts and "share_here" in facts


@pytest.mark.parametrize("variant", ["invented_number", "invented_id", "altered_quote", "objection_from_survey"])
def test_ungrounded_claims_are_retried_then_dropped(personas, tmp_path, variant):
    out, reqs = _run(personas, tmp_path, variant)
    assert len(reqs) == 2 * len(out.personas)  # each persona: one retry with the problem stated
    assert "Your reply was invalid" in reqs[1]["messages"][-1]["content"]
    for p in out.personas:
        assert p.claims_dropped == 1 and p.supported_share < 1.0
        texts = [c.text for trait in (p.pains, p.goals, p.objections) for c in trait]
        assert "Loses 98765 hours a week" not in texts and "Objects to the price" not in texts


def test_without_llm_cards_stay_extractive(personas, monkeypatch, caplog):
    for var in ("FEEDBACKIQ_LLM_MODEL", "OPENAI_API_KEY", "OPENAI_BASE_URL", "AZURE_OPENAI_API_KEY"):
        monkeypatch.delenv(var, raising=False)
    ps, rep = personas
    with caplog.at_level(logging.WARNING, logger="feedbackiq"):
        out = draft_persona_traits(ps, rep)
    assert out == ps and len(caplog.records) == 1 and "FEEDBACKIQ_LLM_MODEL" in caplog.records[0].getMessage()


def test_chinese_output_is_requested(personas, tmp_path):
    ps, rep = personas
    with OpenAIServer(scripted("ok")) as srv:
        llm = LLM(model="m", base_url=srv.base_url, api_key="k", cache_dir=tmp_path, backoff=0.001, max_concurrency=1)
        draft_persona_traits(ps, rep, llm, language="zh")
        assert all("简体中文" in r["messages"][0]["content"] for r in srv.chat_requests)


def test_evidence_is_the_personas_own_voice_on_its_needs(personas, tmp_path):
    """Each prompt names the persona's top needs (as the report names them; never praise) with their shares,
    and the feedback it sends is the persona's own items on those needs."""
    ps, rep = personas
    _, reqs = _run(personas, tmp_path, "ok")
    need_of = {a.item_id: a.need_id for a in rep.assignments}
    segment_of = {it.id: it.segments for it in rep.feedback.items}
    assert len(reqs) == len(ps.personas)
    for body in reqs:
        user = body["messages"][1]["content"]
        facts = json.loads(user.split("(do not change them):\n")[1].split("\n\nFeedback from")[0])
        p = next(p for p in ps.personas if p.segment == facts["segment"])
        assert [n["need"] for n in facts["top_needs"]] == [rep.need(n.need_id).name for n in p.top_needs]
        assert all(rep.need(n.need_id).kind == "need" for n in p.top_needs)
        feedback, _ = _blocks(body)
        top = {n.need_id for n in p.top_needs}
        assert feedback and all(need_of[r["id"]] in top for r in feedback), p.label
        quoted = {q.item_id for q in p.quotes}   # from the persona's voices (an account's notes may differ in size)
        assert all(r["id"] in quoted or segment_of[r["id"]].get("company_size") == p.segment["company_size"]
                   for r in feedback)
