"""LLM-drafted persona traits, claim by claim.

The LLM writes words, never numbers or facts: the facts (sizes, shares, deal sums) are computed by code
and passed in. The evidence is the persona's own items, shown under short handles; every claim (pain,
goal, objection, buying trigger) cites handles, with optional quotes aligned to the items' own text, and
is kept or dropped on its own (:func:`~feedbackiq.llm._evidence.judge_claim`: a known handle, a quote
that is words of the cited item, no number found neither in the facts nor in the cited items;
objections and buying triggers must cite sales notes; the run's output language). A reply is sent back
once when fewer than half its claims survive or no pain or no goal does (:mod:`feedbackiq.llm._claims`);
then whatever survives is kept, and a persona with no pain and no goal left keeps its extractive card
(counted, with why, in the step's outcome). The label and the summary are checked for their language
and their numbers; one that fails leaves the extractive one in place.
"""

from __future__ import annotations

import json
import logging

from pydantic import BaseModel

from feedbackiq.llm import (LLM, MAX_NAME_CHARS, ClaimChecker, ClaimReply, EvidenceSet, Judgement, Outbound, at_most,
                            capped, evidence_set, fallback_reason, fit_evidence, judged_generate, language_instruction,
                            map_calls, no_llm_hint, output_language, sales_refs, tally)
from feedbackiq.types import Claim, FeedbackItem, Persona, PersonaSet, SourceKind, ThemeReport

__all__ = ["PersonaDraft", "PersonaTraits", "draft_persona_traits"]

log = logging.getLogger("feedbackiq")
TRAITS = ("pains", "goals", "objections", "buying_triggers")
SALES_TRAITS = ("objections", "buying_triggers")   # these rest on sales notes only
REQUIRED_TRAITS = ("pains", "goals")
EVIDENCE_ITEMS = 12
SALES_ITEMS = 8
SALES_PARTS = "objections or buying triggers"
NO_SUPPORTED_CLAIM = "no supported claim"


class PersonaTraits(BaseModel):
    """A persona draft without objections and buying triggers: what is asked when no sales note is shown."""

    label: str
    summary: str
    pains: list[ClaimReply] = at_most(3)
    goals: list[ClaimReply] = at_most(2)


class PersonaDraft(PersonaTraits):
    objections: list[ClaimReply] = at_most(2)
    buying_triggers: list[ClaimReply] = at_most(2)


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

    def one(job) -> Judgement:
        _, chosen, facts_text = job
        evidence, variables = fit_evidence(llm, "draft_persona", {
            "facts": facts_text, "evidence": "", "sales_refs": sales_refs(EvidenceSet(chosen), SALES_PARTS),
            "language_instruction": language_instruction(lang)},
            PersonaDraft, evidence_set(chosen, outbound.text, sales_last=True))
        variables["sales_refs"] = sales_refs(evidence, SALES_PARTS)
        # With no sales note to rest on, objections and triggers are not asked for at all.
        reply_model = PersonaDraft if any(it.source == SourceKind.SALES_NOTE for it in evidence.items) else PersonaTraits
        checker = ClaimChecker(evidence, lang, facts_text)

        def judge(draft: PersonaTraits) -> Judgement:
            j, kept = Judgement(), {}
            for trait in TRAITS:
                sources = [SourceKind.SALES_NOTE] if trait in SALES_TRAITS else None
                kept[trait] = []
                for k, claim in enumerate(capped(draft, trait)):
                    text, verdict = checker.claim(claim, sources=sources)
                    if j.add(f"{trait}[{k}]", verdict):
                        kept[trait].append(Claim(text=text, citations=verdict.citations))
            for trait in REQUIRED_TRAITS:
                j.require(trait, len(kept[trait]))
            label, label_problem = checker.text(draft.label, MAX_NAME_CHARS)
            summary, summary_problem = checker.text(draft.summary)
            j.result = (kept, None if label_problem else label, None if summary_problem else summary)
            return j

        return judged_generate(llm, "draft_persona", variables, reply_model, judge, partial=True)[1]

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
        setattr(persona, trait, kept[trait])
    persona.label, persona.summary = label or persona.label, summary or persona.summary
    persona.source = "llm"


def _evidence(p: Persona, report: ThemeReport, items: dict[str, FeedbackItem],
              outbound: Outbound) -> tuple[list[FeedbackItem], str]:
    """The persona's own items (quotes first, then by top need; then its sales notes) and the computed facts
    (with the top needs' names) as text; nothing of a theme or a need below the privacy threshold."""
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
    return list({it.id: it for it in chosen + sales}.values()), json.dumps(facts, ensure_ascii=False)
