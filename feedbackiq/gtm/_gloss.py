"""Short glosses of quotes in the other language of a document (LLM), kept beside them as translations.

A Chinese quote in an English document (or an English one in a Chinese document) gets a short gloss in
the document's language (``Claim.gloss``), shown marked as an LLM's translation; the quote itself stays
verbatim. Quotes go out through the same gate as every prompt (:class:`~feedbackiq.llm._outbound.Outbound`:
the privacy threshold and redaction), in batches; a gloss that is missing, unasked for or not in the
document's language is sent back once, then the batch is left without glosses.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from pydantic import BaseModel, Field

from feedbackiq._lang import detect_language, has_cjk
from feedbackiq.llm import LLM, Outbound, feedback_block, language_instruction, map_calls, tally
from feedbackiq.types import Claim, LLMOutcome

__all__ = ["gloss_claims", "GlossReply"]

log = logging.getLogger("feedbackiq")
BATCH = 20   # quotes per call


class _Gloss(BaseModel):
    id: str
    gloss: str = Field(min_length=1, max_length=300)


class GlossReply(BaseModel):
    glosses: list[_Gloss]


def _foreign(text: str, language: str) -> bool:
    return has_cjk(text) != (language == "zh")


def gloss_claims(claims: Sequence[Claim], language: str, llm: LLM, outbound: Outbound,
                 known: dict[str, str] | None = None) -> LLMOutcome | None:
    """Set ``gloss`` on each claim whose text is not in ``language`` (``"en"``/``"zh"``) and whose cited
    items may be sent; ``known`` (text -> gloss) carries glosses across calls so a quote is glossed once.
    None when nothing needed a call."""
    known = {} if known is None else known
    wanted: dict[str, list[Claim]] = {}
    withheld = 0
    for c in claims:
        if c.gloss is not None or not _foreign(c.text, language):
            continue
        if not c.citations or not all(outbound.item_ok(x.item_id) for x in c.citations):
            withheld += 1
            continue
        wanted.setdefault(c.text, []).append(c)
    todo = [t for t in wanted if t not in known]
    batches = [todo[i:i + BATCH] for i in range(0, len(todo), BATCH)]

    def one(texts: list[str]) -> dict[str, str]:
        handles = {f"q{i + 1}": t for i, t in enumerate(texts)}

        def check(reply: GlossReply) -> None:
            got = {g.id: g.gloss for g in reply.glosses}
            problems = [f"no gloss for {h}" for h in handles if h not in got]
            problems += [f"{h}: no quote has this id" for h in got if h not in handles]
            problems += [f"{h}: the gloss must be in {'Chinese' if language == 'zh' else 'English'}" for h, g in got.items()
                         if h in handles and (detect_language(g) == "zh") != (language == "zh")]
            if problems:
                raise ValueError("; ".join(problems))

        reply = llm.generate("gloss_quotes", {
            "quotes": feedback_block([{"id": h, "text": outbound.text(t)} for h, t in handles.items()]),
            "language_instruction": language_instruction(language)}, GlossReply, check=check, validation_retries=1)
        return {handles[g.id]: g.gloss.strip() for g in reply.glosses}

    results, failures = map_calls(llm, one, batches) if batches else ([], [])
    for i, exc in failures:
        log.warning("%d quotes kept without a gloss: %s", len(batches[i]), exc)
    for found in results:
        known.update(found or {})
    for text, cs in wanted.items():
        for c in cs:
            c.gloss = known.get(text)
    if not batches and not withheld:
        return None
    return tally("quote glosses", sum(r is not None for r in results), failures, withheld=withheld)
