"""LLM-drafted persona traits, claim by claim: invented handles, altered quotes, invented numbers and objections
that cite no sales note are dropped alone; a reply is sent back only when too little of it survives."""

import json
import logging

import pytest
from helpers import about, english

import feedbackiq as fiq
from feedbackiq.gtm import draft_persona_traits
from feedbackiq.llm import LLM
from feedbackiq.llm._meaning import MIN_SUPPORT, MeaningChecks
from feedbackiq.testing import OpenAIServer, Reply


def _blocks(body):
    """The evidence records of a persona prompt: (feedback, sales notes), each ``{"ref", "source", "text"}``."""
    user = body["messages"][1]["content"]
    block = user.split("<feedback_data>\n")[1].split("\n</feedback_data>")[0]
    records = [json.loads(line) for line in block.splitlines() if line.strip()]
    return [r for r in records if r["source"] != "sales_note"], [r for r in records if r["source"] == "sales_note"]


def _is_sales_call(body) -> bool:
    return "Sales notes on this persona's accounts" in body["messages"][1]["content"]


def _persona_calls(reqs, first_only=True):
    """The persona calls (not the sales-notes calls), first asks only unless ``first_only`` is False."""
    return [r for r in reqs if not _is_sales_call(r) and (len(r["messages"]) == 2 or not first_only)]


def _claim(rec, lead="They lose time", key="text"):
    return {key: about(rec, lead), "refs": [rec["ref"]], "quotes": [" ".join(rec["text"].split()[:3])]}


DROPPED = {"invented_number": "invented number", "invented_id": "unknown reference",
           "altered_quote": "quote not in the cited item", "objection_invented_id": "unknown reference",
           "unsupported": "not supported by its cited items"}


def scripted(variant, report=None):
    """Persona replies as a model writes them, with one flaw per ``variant`` (``report``: the report an
    ``"unsupported"`` claim is measured in)."""
    def reply(body):
        feedback, sales = (english(records) for records in _blocks(body))
        if _is_sales_call(body):   # shown the sales notes alone
            objections = [_claim(sales[0], "Worried about rollout")]
            if variant == "objection_invented_id":
                objections.append({"text": "Objects to the price", "refs": [999]})
            return Reply.json({"objections": objections, "buying_triggers": []})
        first = feedback[0]
        key = "text_in_english" if variant == "keyed" else "text"   # as the schema asks / as older replies say
        draft = {"label": "Ops lead at a large plant", "summary": "Coordinates production across departments.",
                 "pains": [_claim(first, key=key), _claim(feedback[1], "They wait on other teams", key)],
                 "goals": [_claim(feedback[-1], "Wants one shared view", key)]}
        if variant == "invented_number":
            draft["pains"].append(_claim(first, "Loses 98765 hours a week"))
        elif variant == "invented_id":
            draft["goals"].append({"text": "x", "refs": [999]})
        elif variant == "altered_quote":
            draft["goals"].append({"text": "x", "refs": [first["ref"]], "quotes": [first["text"][:8] + " EXTRA WORDS HERE"]})
        elif variant == "unsupported":   # a real quote of one item under a claim about something else
            draft["goals"].append({**_claim(first), "text": _off_topic(first["text"], report)})
        elif variant == "mostly_uncited":   # what real models did: claims without citations
            draft["pains"] = [{"text": "They lose time"}, {"text": "They wait"}, _claim(first)]
            draft["goals"] = [{"text": "One shared view"}, {"text": "Fewer emails"}]
        return Reply.json(draft)
    return reply


OFF_TOPIC = ["Elephants migrate across the savanna in the dry season", "Volcanic ash darkened the northern sky",
             "Medieval monks copied manuscripts by candlelight", "Penguins huddle together against the Antarctic wind",
             "The tide pools hold starfish and anemones"]


def _off_topic(text: str, report) -> str:
    """The sentence of ``OFF_TOPIC`` least like ``text`` in the report's vector space, well below the support floor
    (cosines differ between CPUs in the last bits, not by this margin)."""
    support = MeaningChecks(report).support
    sims = {claim: support(claim, [text]) for claim in OFF_TOPIC}
    claim = min(sims, key=sims.get)
    assert sims[claim] < MIN_SUPPORT - 0.08, (text, sims)
    return claim


@pytest.fixture(scope="module")
def personas(sample_report):
    _, rep = sample_report
    return fiq.draft_personas(rep, by="company_size"), rep


def _run(personas, tmp_path, variant, language="same"):
    ps, rep = personas
    with OpenAIServer(scripted(variant, rep)) as srv:
        llm = LLM(model="m", base_url=srv.base_url, api_key="k", cache_dir=tmp_path, backoff=0.001, max_concurrency=1)
        return draft_persona_traits(ps, rep, llm, language=language), srv.chat_requests


def _with_notes(out) -> int:
    return sum(bool(p.objections) for p in out.personas)


@pytest.mark.parametrize("variant", ["ok", "keyed"])
def test_grounded_draft_is_kept(personas, tmp_path, variant):
    """Claim text is read under the key the schema names (``text_in_english``) and under plain ``text``."""
    out, reqs = _run(personas, tmp_path, variant)
    assert len(_persona_calls(reqs)) == len(out.personas) and len(reqs) == len(out.personas) + _with_notes(out)
    for p in out.personas:
        assert p.source == "llm" and p.label == "Ops lead at a large plant"
        assert p.pains and p.goals and p.supported_share == 1.0 and p.claims_dropped == 0
    big = next(p for p in out.personas if p.segment == {"company_size": "1000+"})
    assert big.objections, "large accounts have sales notes, so objections can be drafted from them"
    # the computed facts went in as data, unchanged
    facts = reqs[0]["messages"][1]["content"]
    assert '"respondents":' in facts and "share_here" in facts


@pytest.mark.parametrize("language, key", [("en", "text_in_english"), ("zh", "text_in_chinese")])
def test_persona_claims_are_written_after_their_quote_under_a_key_naming_the_language(personas, tmp_path, language, key):
    """A small model that wrote a claim first cited an item about something else; one that copies a quote first
    writes about it, but went on in the quote's language (persona evidence mixes languages). So each claim is
    its ref, its quote, then its text under a key that names the output language, and the language instruction
    ends the prompt too."""
    _, reqs = _run(personas, tmp_path, "ok", language)
    for body in reqs:
        schema = body["response_format"]["json_schema"]["schema"]
        claim = schema["$defs"]["GroundedClaim"]
        assert list(claim["properties"]) == claim["required"] == ["refs", "quotes", key]
        assert body["messages"][1]["content"].rstrip().endswith("in their own language.")


@pytest.mark.parametrize("variant", ["invented_number", "invented_id", "altered_quote", "objection_invented_id",
                                     "unsupported"])
def test_an_ungrounded_claim_is_dropped_alone(personas, tmp_path, variant):
    """One bad claim among good ones: dropped with its reason, the rest of the draft stands, no retry."""
    out, reqs = _run(personas, tmp_path, variant)
    assert all(len(r["messages"]) == 2 for r in reqs)   # no retry
    if variant == "objection_invented_id":   # only personas with sales notes get the sales call
        out.personas = [p for p in out.personas if p.objections]
        assert out.personas
    for p in out.personas:
        assert p.source == "llm" and p.claims_dropped == 1 and p.dropped == {DROPPED[variant]: 1}
        assert 0.5 <= p.supported_share < 1.0 and len(p.pains) == 2 and p.goals
        texts = [c.text for trait in (p.pains, p.goals, p.objections) for c in trait]
        assert not any(t.startswith(("Loses 98765", "Objects to the price")) or t in OFF_TOPIC for t in texts)
    o = out.llm_outcome
    assert o.claims_dropped == {DROPPED[variant]: len(out.personas)} and o.claims - o.claims_kept == len(out.personas)


def test_a_reply_mostly_without_citations_is_sent_back_once_then_what_stands_is_kept(personas, tmp_path):
    out, reqs = _run(personas, tmp_path, "mostly_uncited")
    calls = _persona_calls(reqs, first_only=False)
    assert len(calls) == 2 * len(out.personas)   # fewer than half kept, no goal: sent back once each
    retry = calls[1]["messages"][-1]["content"]
    assert "no citation" in retry and "goals" in retry
    # only the failing parts are asked for again: the label, summary and objections that held are not rewritten
    assert set(calls[1]["response_format"]["json_schema"]["schema"]["properties"]) == {"pains", "goals"}
    for p in out.personas:   # the same reply again: its one cited pain stands, the card is the LLM's
        assert p.source == "llm" and len(p.pains) == 1 and not p.goals and p.dropped["no citation"] == 4


def test_a_retry_rewrites_the_failing_parts_and_keeps_the_rest(personas, tmp_path):
    first = scripted("mostly_uncited")

    def reply(body):
        if len(body["messages"]) == 2 or _is_sales_call(body):
            return first(body)
        feedback = english(_blocks(body)[0])   # the retry: the failing parts only, now cited
        return Reply.json({"pains": [_claim(feedback[0])], "goals": [_claim(feedback[1], "Wants one shared view")]})

    ps, rep = personas
    with OpenAIServer(reply) as srv:
        llm = LLM(model="m", base_url=srv.base_url, api_key="k", cache_dir=tmp_path, backoff=0.001, max_concurrency=1)
        out = draft_persona_traits(ps, rep, llm)
        assert len(_persona_calls(srv.chat_requests, first_only=False)) == 2 * len(out.personas)
    for p in out.personas:
        assert p.source == "llm" and p.label == "Ops lead at a large plant" and p.claims_dropped == 0
        assert [c.text.split(":")[0] for c in p.pains] == ["They lose time"]
        assert [c.text.split(":")[0] for c in p.goals] == ["Wants one shared view"]
    big = next(p for p in out.personas if p.segment == {"company_size": "1000+"})
    assert [c.text.split(":")[0] for c in big.objections] == ["Worried about rollout"]   # from the sales-notes call


def test_objections_and_triggers_come_from_a_call_shown_sales_notes_alone(personas, tmp_path):
    """A small model shown survey answers beside sales notes cites them for objections: the persona call is asked
    for no objection, and a second call, only for personas with sales notes, is shown their notes and nothing else."""
    ps, rep = personas
    out, reqs = _run(personas, tmp_path, "ok")
    sales_calls = [r for r in reqs if _is_sales_call(r)]
    persona_calls = _persona_calls(reqs)
    for body in persona_calls:
        assert not {"objections", "buying_triggers"} & set(body["response_format"]["json_schema"]["schema"]["properties"])
    by_id = {it.id: it for it in rep.feedback.items}
    noted = [p for p in ps.personas
             if any(by_id[i].source.value == "sales_note" for i in by_id if p.segment and all(
                 by_id[i].segments.get(k) == v for k, v in p.segment.items()))]
    assert sales_calls and len(sales_calls) == len(noted) <= len(persona_calls)
    for body in sales_calls:
        feedback, sales = _blocks(body)
        assert sales and not feedback    # notes only
        assert set(body["response_format"]["json_schema"]["schema"]["properties"]) == {"objections", "buying_triggers"}
    big = next(p for p in out.personas if p.segment == {"company_size": "1000+"})
    (cite,) = big.objections[0].citations
    assert by_id[cite.item_id].source.value == "sales_note"


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
    ids_of: dict = {}
    for it in rep.feedback.items:
        ids_of.setdefault(it.text, []).append(it.id)
    reqs = _persona_calls(reqs)
    assert len(reqs) == len(ps.personas)
    for body in reqs:
        user = body["messages"][1]["content"]
        facts = json.loads(user.split("(do not change them):\n")[1].split("\n\nFeedback")[0])
        p = next(p for p in ps.personas if p.segment == facts["segment"])
        assert [n["need"] for n in facts["top_needs"]] == [rep.need(n.need_id).name for n in p.top_needs]
        assert all(rep.need(n.need_id).kind == "need" for n in p.top_needs)
        feedback, _ = _blocks(body)
        top = {n.need_id for n in p.top_needs}
        quoted = {q.item_id for q in p.quotes}   # from the persona's voices (an account's notes may differ in size)
        # Records carry handles, not ids: some item with the record's text must fit.
        assert feedback and all(any(need_of[i] in top and (i in quoted or segment_of[i].get("company_size") ==
                                                           p.segment["company_size"]) for i in ids_of[r["text"]])
                                for r in feedback), p.label
