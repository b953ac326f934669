"""LLM-drafted persona traits, claim by claim.

The LLM writes words, never numbers or facts: the facts (sizes, shares, deal sums) are computed by code
and passed in. Two calls per persona: one shown the persona's own feedback on its top needs writes the
label, summary, pains and goals; one shown its sales notes alone writes the objections and buying
triggers (which must rest on sales notes: a model shown survey answers beside the notes cites them
anyway, so it is shown nothing else; a persona without sales notes gets no such call). Evidence is shown
under short handles; every claim cites one handle, then words copied from that item (aligned to its own
text), then says what it claims (the text under a key naming the output language), and
is kept or dropped on its own (:func:`~feedbackiq.llm._evidence.judge_claim`: a known handle, a quote
that is words of the cited item, no number found neither in the facts nor in the cited items, a sales
note for objections and triggers; the run's output language; a text near in meaning to the items it
cites, ``MIN_SUPPORT``). A reply is asked again for its failing
parts once when fewer than half its claims survive or no pain or no goal does
(:mod:`feedbackiq.llm._claims`); then whatever survives is kept, and a persona with no pain and no goal
left keeps its extractive card (counted, with why, in the step's outcome). The label and the summary
are checked for their language and their numbers; one that fails leaves the extractive one in place.
"""

from __future__ import annotations

import json
import logging

from pydantic import BaseModel

from feedbackiq.llm import (LLM, MAX_NAME_CHARS, ClaimChecker, EvidenceSet, GroundedClaim, Judgement, MeaningChecks,
                            Outbound, at_most, capped, claims_in, evidence_set, fallback_reason, fit_evidence,
                            judged_generate, language_instruction, map_calls, no_llm_hint, output_language, tally)
from feedbackiq.types import Claim, FeedbackItem, Persona, PersonaSet, SourceKind, ThemeReport

__all__ = ["PersonaDraft", "SalesTraits", "draft_persona_traits"]

log = logging.getLogger("feedbackiq")
TRAITS = ("pains", "goals", "objections", "buying_triggers")
REQUIRED_TRAITS = ("pains", "goals")
EVIDENCE_ITEMS = 12
SALES_ITEMS = 8
SALES_PROMPT = "draft_sales_traits"
NO_SUPPORTED_CLAIM = "no supported claim"


class PersonaDraft(BaseModel):
    """What the persona call asks for: a label, a summary, pains and goals, from the persona's feedback.

    Claims are written as a message's are (:class:`~feedbackiq.llm._replies.GroundedClaim`): the ref, the
    words copied from that item, then the claim, so a small model writes about what it just copied (written
    text first, a claim cited an item about something else). The text is asked under a key naming the output
    language (``text_in_english``: :func:`~feedbackiq.llm._replies.claims_in`): a persona's evidence mixes
    languages, and a model that copied a Chinese quote went on in Chinese."""

    label: str
    summary: str
    pains: list[GroundedClaim] = at_most(3)
    goals: list[GroundedClaim] = at_most(2)


class SalesTraits(BaseModel):
    """What the sales-notes call asks for: objections and buying triggers, shown the persona's sales notes
    alone (so every handle it can cite is a sales note)."""

    objections: list[GroundedClaim] = at_most(2)
    buying_triggers: list[GroundedClaim] = at_most(2)


def draft_persona_traits(personas: PersonaSet, report: ThemeReport, llm: LLM | None = None, *,
                         language: str = "same", min_respondents: int = 3) -> PersonaSet:
    """Add LLM-drafted label, summary, pains, goals, objections and buying triggers to each persona.

    With ``llm=None`` (the environment is not read: pass :meth:`LLM.from_env` for that) the extractive
    cards are returned unchanged and one line says how to give an LLM.
    The evidence is the persona's own items on its top needs (its quotes first) and its sales notes; the
    facts are those needs' names and shares. ``language``: ``"same"`` is the language of most of the
    report's items. ``min_respondents`` is the privacy threshold: nothing of a theme or a need (and no
    persona) voiced by fewer respondents is sent. The result's ``llm_outcome`` counts the calls, the
    claims kept and dropped (by reason) and the personas left extractive (by why).
    """
    out = personas.model_copy(deep=True)
    if llm is None:
        log.warning(no_llm_hint("draft_persona_traits"))
        return out
    items = {it.id: it for it in (report.feedback.items if report.feedback else [])}
    lang = output_language(language, [it.language for it in items.values()])
    outbound = Outbound(report, min_respondents)
    jobs = [(p, *_evidence(p, report, items, outbound)) for p in out.personas if outbound.persona_ok(p)]
    meaning = MeaningChecks(report)

    def one(job) -> Judgement:
        _, chosen, notes, facts_text = job
        common = {"facts": facts_text, "language_instruction": language_instruction(lang)}
        checks = (lang, facts_text, meaning)
        judgement = _judged(llm, "draft_persona", common, PersonaDraft, evidence_set(chosen, outbound.text), *checks)
        if notes:   # objections and buying triggers rest on sales notes only: a call that is shown nothing else
            sales = _judged(llm, SALES_PROMPT, common, SalesTraits, evidence_set(notes, outbound.text), *checks,
                            sources=[SourceKind.SALES_NOTE])
            judgement.absorb(sales)
            judgement.result[0].update(sales.result[0])
        return judgement

    results, failures = map_calls(llm, one, jobs)
    outcome = tally("persona drafts", sum(r is not None for r in results), failures, withheld=len(out.personas) - len(jobs))
    outcome.outputs = len(out.personas)
    if outcome.withheld:
        outcome.fallbacks["privacy threshold"] = outcome.withheld
    for (persona, *_), judgement in zip(jobs, results):
        if judgement is not None:
            _apply(persona, judgement, outcome.fallbacks)
            judgement.count_into(outcome)
    for i, exc in failures:
        why = fallback_reason(exc)
        outcome.fallbacks[why] = outcome.fallbacks.get(why, 0) + 1
        jobs[i][0].note = f"LLM draft not used ({why}): extractive card kept"
        log.warning("persona %s kept its extractive card: %s", jobs[i][0].label, exc)
    out.llm_outcome = outcome
    return out


def _judged(llm: LLM, prompt: str, common: dict, reply_model: type[BaseModel], evidence: EvidenceSet, lang: str,
            facts_text: str, meaning: MeaningChecks, *, sources: list[SourceKind] | None = None) -> Judgement:
    """One call of a persona draft, judged claim by claim; its ``result`` is ``(kept claims by trait, label,
    summary)`` (the label and summary: None when the reply has none or they fail their check)."""
    evidence, variables = fit_evidence(llm, prompt, {**common, "evidence": ""}, reply_model, evidence)
    checker = ClaimChecker(evidence, lang, facts_text, meaning)
    traits = [t for t in TRAITS if t in reply_model.model_fields]

    def judge(draft: BaseModel) -> Judgement:
        j, kept = Judgement(empty_ok=sources is not None), {}
        for trait in traits:
            kept[trait] = []
            for k, claim in enumerate(capped(draft, trait)):
                text, verdict = checker.claim(claim, sources=sources)
                if j.add(f"{trait}[{k}]", verdict):
                    kept[trait].append(Claim(text=text, citations=verdict.citations))
        for trait in REQUIRED_TRAITS:
            if trait in kept:
                j.require(trait, len(kept[trait]))
        label = summary = None
        if isinstance(draft, PersonaDraft):
            label, label_problem = checker.text(draft.label, MAX_NAME_CHARS)
            summary, summary_problem = checker.text(draft.summary)
            label, summary = None if label_problem else label, None if summary_problem else summary
        j.result = (kept, label, summary)
        return j

    return judged_generate(llm, prompt, variables, claims_in(reply_model, lang), judge, partial=True)[1]


def _apply(persona: Persona, judgement: Judgement, fallbacks: dict[str, int]) -> None:
    """What survived of a draft on the persona; with no pain and no goal left, the extractive card stays."""
    kept, label, summary = judgement.result
    persona.claims_dropped, persona.dropped = judgement.made - judgement.kept, dict(judgement.dropped)
    persona.supported_share = round(judgement.kept / judgement.made, 4) if judgement.made else None
    if not any(kept[t] for t in REQUIRED_TRAITS):
        fallbacks[NO_SUPPORTED_CLAIM] = fallbacks.get(NO_SUPPORTED_CLAIM, 0) + 1
        persona.note = "the LLM's draft had no supported pain or goal: extractive card kept"
        return
    for trait in TRAITS:
        setattr(persona, trait, kept.get(trait, []))
    persona.label, persona.summary = label or persona.label, summary or persona.summary
    persona.source = "llm"


def _evidence(p: Persona, report: ThemeReport, items: dict[str, FeedbackItem],
              outbound: Outbound) -> tuple[list[FeedbackItem], list[FeedbackItem], str]:
    """The persona's own items (quotes first, then by top need), its sales notes, and the computed facts (with
    the top needs' names) as text; nothing of a theme or a need below the privacy threshold."""
    need_of = {a.item_id: a.need_id for a in report.assignments}
    known = {n.id: n for n in report.needs}
    needs = [n for n in p.top_needs if n.need_id in known and outbound.need_ok(known[n.need_id])]
    top = [n.need_id for n in needs]
    own = outbound.items(items[q.item_id] for q in p.quotes if q.item_id in items and need_of.get(q.item_id) in top)
    segment_ok = (lambda it: all(it.segments.get(k) == v for k, v in p.segment.items())) if p.segment else (lambda it: True)
    own_ids = {it.id for it in own}
    pool = outbound.items(it for it in items.values()
                          if segment_ok(it) and need_of.get(it.id) in top and it.id not in own_ids)
    pool.sort(key=lambda it: top.index(need_of[it.id]))
    chosen = (own + [it for it in pool if it.source != SourceKind.SALES_NOTE])[:EVIDENCE_ITEMS]
    # Sales notes are the evidence for objections and buying triggers: the segment's own notes when the
    # persona is a segment, else the notes among its top needs.
    sales_pool = outbound.items(it for it in items.values() if segment_ok(it)) if p.segment else pool
    sales = [it for it in sales_pool if it.source == SourceKind.SALES_NOTE][:SALES_ITEMS]
    facts = {"respondents": p.respondents, "items": p.items, "segment": p.segment, "facts": p.facts,
             "deal_value": p.deal_value, "lost_deal_value": p.deals_lost_value,
             "top_needs": [{"need": outbound.need_name(known[n.need_id]), "share_here": f"{100 * n.share:.0f}%",
                            "share_overall": f"{100 * n.overall_share:.0f}%"} for n in needs]}
    return chosen, sales, json.dumps(facts, ensure_ascii=False)
