"""A feature's message for one segment without an LLM, and the quotes every message shows.

Without an LLM (or where its draft failed or was withheld) each feature x segment that voices the
feature's needs gets a template message, labelled as one (``source="template"``): the headline puts the
feature next to the segment's top pain phrase, the value proposition tells the segment the feature's
benefit (``benefit`` in the features file, else the first clause of its description) in that phrase.
The pain phrase (``SegmentMessage.pain``) is a clause of the segment's own feedback on the feature's
needs (the need it voices most first, each need's central quotes first), in the document's language
when it has one there, the clause holding most of the segment's words for the feature; cited verbatim.

Proof quotes and objection handling drop a sales note's CRM lead-in ("Prospect says", "QBR note:"),
and the hedge a clause opens with ("Honestly,"): what is shown stays an exact substring of the item.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from feedbackiq._lang import has_cjk
from feedbackiq._terms import TermMatcher
from feedbackiq.gtm._sales import strip_lead_in
from feedbackiq.types import Citation, Claim, Feature, FeedbackItem, SegmentMessage

__all__ = ["document_language", "proof_claims", "drop_lead_ins", "pain_phrase", "template_message", "finish_messages"]

MAX_HEADLINE = 120
MAX_CANDIDATES = 60   # proof items read for the pain phrase: the top needs' central quotes come first
# A clause ends at punctuation or at a dash between spaces; CRM lead-ins and hedges open one.
_CLAUSE = re.compile(r"[^,.;:!?()\"“”，。；：！？、（）…\n]+")
_DASH = re.compile(r"\s[-–—]+\s")
_OPENER = re.compile(r"^(?:(?:to be honest|honestly|frankly|well|so|main thing|the main thing is|biggest issue)\b|"
                     r"说实话|老实说|其实|主要是|最大的问题是)\s*[,，:：\-–—]?\s*", re.I)
_WORDS = {"en": (3, 16), "zh": (4, 30)}   # a phrase's length: words (en) or characters (zh)


def document_language(language: str, items: Sequence[FeedbackItem]) -> str:
    """``"en"`` or ``"zh"``: the output language, or with ``"same"`` the language most items are in."""
    if language in ("en", "zh"):
        return language
    zh = sum(1 for it in items if it.language == "zh")
    return "zh" if zh > len(items) / 2 else "en"


def _in(text: str, language: str) -> bool:
    return has_cjk(text) == (language == "zh")


def _clauses(text: str) -> list[str]:
    """The clauses of one text, without lead-in or opening hedge: each an exact substring of ``text``.

    >>> _clauses("Prospect says Honestly, shipping costs are eating my margin - every dollar counts!")
    ['shipping costs are eating my margin', 'every dollar counts']
    """
    out = []
    body = strip_lead_in(text)
    for part in _DASH.split(body):
        for m in _CLAUSE.finditer(part):
            clause = _OPENER.sub("", m.group().strip()).strip()
            if clause:
                out.append(clause)
    return out


def _size_ok(clause: str, language: str) -> bool:
    low, high = _WORDS[language]
    n = len(clause.replace(" ", "")) if language == "zh" else len(clause.split())
    return low <= n <= high


def pain_phrase(proof: Sequence[FeedbackItem], words: Sequence[str], language: str,
                fits=lambda clause: True) -> Claim | None:
    """The segment's top pain phrase among its ``proof`` items (in order of preference): the clause in
    ``language`` (else in any) holding the most of its ``words`` (earlier words weigh more), that ``fits``."""
    weight = {w: 1.0 / (1 + r) for r, w in enumerate(words)}
    matchers = {w: TermMatcher([w]) for w in words if not has_cjk(w)}
    best: tuple[tuple[bool, float], str, str] | None = None
    for it in proof[:MAX_CANDIDATES]:
        for clause in _clauses(it.text):
            lang = "zh" if has_cjk(clause) else "en"
            if not _size_ok(clause, lang) or not fits(clause):
                continue
            low = clause.lower()
            score = sum(wt for w, wt in weight.items() if (w in low if has_cjk(w) else matchers[w].search(low)))
            key = (_in(clause, language), score)
            if best is None or key > best[0]:   # ties: the earlier (more central) clause
                best = (key, clause, it.id)
    if best is None:
        return None
    return Claim(text=best[1], citations=[Citation(item_id=best[2], quote=best[1])])


def _benefit(feature: Feature) -> str:
    if feature.benefit and feature.benefit.strip():
        return feature.benefit.strip()
    return re.split(r"[,.;，。；]", feature.description, maxsplit=1)[0].strip()


def _lower_first(text: str) -> str:
    """A sentence as it reads after a colon: "See every order" -> "see every order" (not "SKU" or "Excel's")."""
    return text[0].lower() + text[1:] if text[:2].istitle() else text


def _who(label: str) -> str:
    """A persona title without its parenthesis, as it reads inside a sentence."""
    return _lower_first(re.sub(r"\s*\([^()]*\)\s*$", "", label).strip() or "customers")


def template_message(msg: SegmentMessage, feature: Feature, proof: Sequence[FeedbackItem], language: str) -> None:
    """Set ``msg``'s pain phrase and, unless an LLM wrote them, its headline and value proposition from the
    pain phrase and the feature's benefit (in place, ``source="template"``); a message whose segment voices
    none of the feature's needs stays empty."""
    if not msg.relevant_needs or not proof:
        return

    def headline(pain: str) -> str:
        return f"{feature.name}：解决“{pain}”" if language == "zh" else f"{feature.name}, for “{pain}”"

    pain = pain_phrase(proof, msg.words_they_use, language, fits=lambda c: len(headline(c)) <= MAX_HEADLINE)
    msg.pain = pain
    if pain is None or msg.source == "llm":
        return
    who, benefit = _who(msg.persona), _benefit(feature)
    msg.headline, msg.source = headline(pain.text), "template"
    msg.value_proposition = (f"针对{who}（他们说“{pain.text}”）：{benefit}" if language == "zh"
                             else f"For {who} who say “{pain.text}”: {_lower_first(benefit)}")


def finish_messages(feature: Feature, messages: Sequence[tuple[SegmentMessage, Sequence[FeedbackItem]]], language: str,
                    llm=None, outbound=None, glossed: dict[str, str] | None = None):
    """Every message of a feature, after the LLM (if any) wrote its own: quotes without CRM lead-ins, the pain
    phrase, the template where no LLM message is, and with an LLM a gloss of each quote not in ``language``
    (:func:`feedbackiq.gtm._gloss.gloss_claims`; its ``LLMOutcome`` is returned, None without calls)."""
    for msg, proof in messages:
        drop_lead_ins([*msg.proof_points, *msg.objection_handling])
        template_message(msg, feature, proof, language)
    if llm is None or outbound is None:
        return None
    from feedbackiq.gtm._gloss import gloss_claims

    claims = [c for msg, _ in messages for c in (msg.pain, *msg.proof_points, *msg.objection_handling) if c is not None]
    return gloss_claims(claims, language, llm, outbound, glossed)


def proof_claims(items: Sequence[FeedbackItem]) -> list[Claim]:
    """Proof quotes: each item's text without a CRM lead-in, citing itself."""
    out = []
    for it in items:
        quote = strip_lead_in(it.text)
        out.append(Claim(text=quote, citations=[Citation(item_id=it.id, quote=quote)]))
    return out


def drop_lead_ins(claims: Sequence[Claim]) -> None:
    """Strip CRM lead-ins from the claims' texts and quotes (in place; a quote stays a substring of its item)."""
    for c in claims:
        c.text = strip_lead_in(c.text)
        for x in c.citations:
            x.quote = strip_lead_in(x.quote)
