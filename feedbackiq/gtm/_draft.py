"""LLM-drafted persona traits, evidence-locked.

The LLM writes words, never numbers or facts: the facts (sizes, shares, deal sums) are computed
by code and passed in; any number in a claim that is not in those facts rejects the claim; every
claim must cite items of this persona with exact quotes. A failing claim is sent back once, then
dropped and counted; each persona reports the share of its claims that survived.
"""

from __future__ import annotations

import json
import logging
import re

from pydantic import BaseModel, Field

from feedbackiq._errors import LLMError, LLMOutputError
from feedbackiq.llm import HOW_TO_CONFIGURE, LLM, parse_json_reply
from feedbackiq.llm._naming import check_citations
from feedbackiq.llm._outbound import Outbound
from feedbackiq.llm._outcome import tally
from feedbackiq.llm._prompts import feedback_block, language_instruction
from feedbackiq.types import Claim, FeedbackItem, Persona, PersonaSet, SourceKind, ThemeReport

__all__ = ["PersonaDraft", "draft_persona_traits", "claim_problems"]

log = logging.getLogger("feedbackiq")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
TRAITS = ("pains", "goals", "objections", "buying_triggers")
EVIDENCE_ITEMS = 12
SALES_ITEMS = 8


class PersonaDraft(BaseModel):
    label: str = Field(min_length=2, max_length=60)
    summary: str = Field(min_length=5, max_length=300)
    pains: list[Claim] = Field(default_factory=list, max_length=6)
    goals: list[Claim] = Field(default_factory=list, max_length=6)
    objections: list[Claim] = Field(default_factory=list, max_length=5)
    buying_triggers: list[Claim] = Field(default_factory=list, max_length=5)


def claim_problems(claim: Claim, evidence: dict[str, str], facts_text: str, trait: str, sales_ids: set[str]) -> list[str]:
    """Why a claim is not grounded: bad citations, sales traits citing non-sales items, invented numbers."""
    problems = check_citations(claim.citations, evidence) if claim.citations else ["no citations"]
    if trait in ("objections", "buying_triggers") and any(c.item_id not in sales_ids for c in claim.citations):
        problems.append(f"{trait} must cite sales notes")
    allowed = set(_NUMBER.findall(facts_text)) | {n for c in claim.citations for n in _NUMBER.findall(c.quote)}
    invented = [n for n in _NUMBER.findall(claim.text) if n not in allowed]
    if invented:
        problems.append(f"numbers not in the facts or quotes: {', '.join(invented)}")
    return problems


def draft_persona_traits(personas: PersonaSet, report: ThemeReport, llm: LLM | None = None, *,
                         language: str = "same", min_respondents: int = 3) -> PersonaSet:
    """Add LLM-drafted label, summary, pains, goals, objections and buying triggers to each persona.

    Without an LLM the extractive cards are returned unchanged and one line says how to configure one.
    The evidence is the persona's own items on its top needs (its quotes first) and, as facts, those
    needs' names and shares. ``min_respondents`` is the privacy threshold: nothing of a theme or a need
    (and no persona) voiced by fewer respondents is sent. The result's ``llm_outcome`` counts the calls.
    """
    llm = llm or LLM.from_env()
    out = personas.model_copy(deep=True)
    if llm is None:
        log.warning(HOW_TO_CONFIGURE)
        return out
    items = {it.id: it for it in (report.feedback.items if report.feedback else [])}
    outbound = Outbound(report, min_respondents)
    jobs = [(p, _evidence(p, report, items, outbound)) for p in out.personas if outbound.persona_ok(p)]

    def one(job):
        persona, (evidence, sales_ids, facts_text, langs) = job
        variables = {
            "facts": facts_text,
            "evidence": feedback_block([{"id": i, "text": t} for i, t in evidence.items() if i not in sales_ids]),
            "sales_evidence": feedback_block([{"id": i, "text": t} for i, t in evidence.items() if i in sales_ids]),
            "language_instruction": language_instruction(language, langs),
        }

        def check(draft: PersonaDraft) -> None:
            problems = [f"{trait}[{k}]: {p}" for trait in TRAITS for k, c in enumerate(getattr(draft, trait))
                        for p in claim_problems(c, evidence, facts_text, trait, sales_ids)]
            if problems:
                raise ValueError("; ".join(problems))

        try:
            return llm.generate("draft_persona", variables, PersonaDraft, check=check, validation_retries=1), evidence, sales_ids, facts_text
        except LLMOutputError as exc:  # retried once: keep what is grounded, drop the rest
            draft = PersonaDraft.model_validate(parse_json_reply(exc.last_reply))
            return draft, evidence, sales_ids, facts_text

    results, failures = llm.map(one, jobs)
    for (persona, _), result in zip(jobs, results):
        if result is None:
            continue
        draft, evidence, sales_ids, facts_text = result
        made = kept = 0
        for trait in TRAITS:
            good = []
            for claim in getattr(draft, trait):
                made += 1
                if not claim_problems(claim, evidence, facts_text, trait, sales_ids):
                    good.append(claim)
            kept += len(good)
            setattr(persona, trait, good)
        persona.label, persona.summary, persona.source = draft.label, draft.summary, "llm"
        persona.claims_dropped = made - kept
        persona.supported_share = round(kept / made, 4) if made else None
    for i, exc in failures:
        if not isinstance(exc, (LLMError, ValueError)):
            raise exc
        log.warning("persona %s kept its extractive card: %s", jobs[i][0].label, exc)
    out.llm_outcome = tally("persona drafts", sum(r is not None for r in results), failures,
                            withheld=len(out.personas) - len(jobs))
    return out


def _evidence(p: Persona, report: ThemeReport, items: dict[str, FeedbackItem],
              outbound: Outbound) -> tuple[dict[str, str], set[str], str, list[str]]:
    """The persona's own items (quotes first, then by top need) and the computed facts (with the top needs'
    names) as text; nothing of a theme or a need below the privacy threshold."""
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
    evidence = {it.id: outbound.text(it.text) for it in chosen + sales}
    facts = {"respondents": p.respondents, "items": p.items, "segment": p.segment, "facts": p.facts,
             "deal_value": p.deal_value, "lost_deal_value": p.deals_lost_value,
             "top_needs": [{"need": outbound.need_name(known[n.need_id]), "share_here": f"{100 * n.share:.0f}%",
                            "share_overall": f"{100 * n.overall_share:.0f}%"} for n in needs]}
    return evidence, {it.id for it in sales}, json.dumps(facts, ensure_ascii=False), [it.language for it in chosen]
