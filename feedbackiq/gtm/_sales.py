"""Objections and buying triggers from sales notes, extractive: the notes' own sentences, each cited.

Without an LLM a persona still shows what its sales notes raise: a sentence that carries an objection
term (``_data/objection_terms.txt``: price, risk, a missing capability, a competitor; English and
Chinese) is an objection, as is a lost deal's sentence that names a problem; a sentence that carries a
buying-trigger term (``_data/trigger_terms.txt``: a need now, an audit, a deadline, growth) is a trigger.
The claim is the sentence without the note's lead-in ("Prospect says", "QBR note:", "拜访记录："); its
citation quotes the sentence verbatim. Sentences of the persona's top needs come first.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from feedbackiq._terms import lexicon
from feedbackiq.themes import item_cues
from feedbackiq.types import Citation, Claim, FeedbackItem, SourceKind

__all__ = ["sales_claims", "strip_lead_in"]

MAX_CLAIMS = 4
# A sentence ends at 。！？； or at . ! ? before a space or the end ("3.2.0" and "e.g." stay inside).
_SENTENCE = re.compile(r"(?:[^.!?;。！？；\n]|[.!?](?=[^\s.!?]))+[.!?;。！？；]*")
# How CRM notes open: who said it or where it was heard, then the note itself.
_LEAD_IN = re.compile(
    r"^\s*(?:(?:call with [^:：]{1,40}|demo feedback|prospect says|prospect said|qbr note|champion mentioned|"
    r"customer says|customer said|client says|meeting notes?|follow[- ]up|note)\s*[:：\-–—]?\s*"
    r"|(?:客户反馈|演示后客户说|拜访记录|采购负责人表示|客户表示|客户说|沟通记录|跟进记录|会议纪要)\s*[:：]?\s*)", re.I)


def strip_lead_in(text: str) -> str:
    """A note's sentence without its lead-in.

    >>> strip_lead_in("Prospect says The Pro plan is overpriced"), strip_lead_in("拜访记录：财务很担心")
    ('The Pro plan is overpriced', '财务很担心')
    """
    stripped = _LEAD_IN.sub("", text, count=1).strip()
    return stripped or text.strip()


def sales_claims(items: Sequence[FeedbackItem], need_of: Mapping[str, int | None],
                 top_needs: Sequence[int]) -> tuple[list[Claim], list[Claim]]:
    """``(objections, buying_triggers)`` from the sales notes among ``items``, the top needs' notes first.

    >>> from feedbackiq.types import FeedbackItem
    >>> notes = [FeedbackItem(id="n1", text="Prospect says It's too expensive for a small business.", source="sales_note"),
    ...          FeedbackItem(id="n2", text="QBR note: Need per-sheet permissions, auditors flagged it!", source="sales_note")]
    >>> objections, triggers = sales_claims(notes, {}, [])
    >>> objections[0].text, objections[0].citations[0].quote
    ("It's too expensive for a small business.", "Prospect says It's too expensive for a small business.")
    >>> triggers[0].text
    'Need per-sheet permissions, auditors flagged it!'
    """
    rank = {n: i for i, n in enumerate(top_needs)}
    notes = [it for it in items if it.source == SourceKind.SALES_NOTE]
    notes.sort(key=lambda it: rank.get(need_of.get(it.id), len(rank)))   # stable: input order within a need
    objections: list[Claim] = []
    triggers: list[Claim] = []
    seen: set[str] = set()
    for it in notes:
        if len(objections) >= MAX_CLAIMS and len(triggers) >= MAX_CLAIMS:
            break
        for match in _SENTENCE.finditer(it.text):
            sentence = match.group().strip()
            body = strip_lead_in(sentence)
            key = body.lower().rstrip(".!?;。！？； ")
            if len(key) < 4 or key in seen:
                continue
            if lexicon("objection_terms.txt").search(body) or (it.deal_stage == "lost" and item_cues(body)[1]):
                found = objections
            elif lexicon("trigger_terms.txt").search(body):
                found = triggers
            else:
                continue
            seen.add(key)
            if len(found) < MAX_CLAIMS:
                found.append(Claim(text=body, citations=[Citation(item_id=it.id, quote=sentence)]))
    return objections, triggers
