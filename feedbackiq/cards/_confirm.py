"""Optional LLM confirmation of target -> theme matches made by meaning.

For each target matched by similarity, or ambiguous, one call shows the LLM the need in the team's
words and the nearest candidate themes (keywords and a few redacted quotes, as data) and asks which of
them are about the need. Its answer replaces the similarity decision: confirmed themes are the match
(``match_method="llm"``), none confirmed makes the target unmatched. Replies naming a theme that was not
a candidate are sent back once. Themes voiced by fewer than ``min_respondents`` are never sent (privacy
threshold, as for theme naming) and keep the similarity decision; keywords go out only when they survive
redaction (:class:`feedbackiq.llm._outbound.Outbound`). If a call fails the similarity
decision stands and the target's note says so.
"""

from __future__ import annotations

import logging

from pydantic import BaseModel, Field

from feedbackiq._errors import LLMError
from feedbackiq.llm import LLM
from feedbackiq.llm._outbound import Outbound
from feedbackiq.llm._outcome import tally
from feedbackiq.llm._prompts import feedback_block
from feedbackiq.types import CardTarget, LLMOutcome, ThemeReport

__all__ = ["MatchConfirmation", "confirm_matches"]

log = logging.getLogger("feedbackiq")


class MatchConfirmation(BaseModel):
    themes: list[int] = Field(default_factory=list, max_length=12)
    rationale: str = Field(default="", max_length=500)


def confirm_matches(targets: list[CardTarget], matches: list, report: ThemeReport, llm: LLM, *,
                    min_respondents: int = 3, redact: bool = True) -> LLMOutcome:
    """Confirm (in place) the similarity matches of ``targets`` with ``llm``; returns how the calls ended
    (a target whose candidates are all below the privacy threshold is withheld, not sent)."""
    outbound = Outbound(report, min_respondents, redact)
    by_id = {t.id: t for t in report.themes}
    jobs = [(t, m) for t, m in zip(targets, matches) if m.method == "similarity" and m.status in ("matched", "ambiguous")]

    def one(job):
        target, m = job
        sendable = [c for c in m.nearest if outbound.theme_ok(c.theme_id)]
        if not sendable:
            return None
        records = [{"theme_id": c.theme_id, "keywords": outbound.keywords(by_id[c.theme_id])[:8],
                    "quotes": [outbound.text(q.text) for q in by_id[c.theme_id].quotes[:3]]}
                   for c in sendable]
        allowed = {c.theme_id for c in sendable}

        def check(reply: MatchConfirmation) -> None:
            unknown = [x for x in reply.themes if x not in allowed]
            if unknown:
                raise ValueError(f"theme ids {unknown} are not among the candidates {sorted(allowed)}")

        return llm.generate("confirm_card_match", {"need": target.need, "themes": feedback_block(records)},
                            MatchConfirmation, check=check, validation_retries=1), sendable

    results, failures = llm.map(one, jobs)
    failed = {i for i, _ in failures}
    n_withheld = sum(1 for i, res in enumerate(results) if res is None and i not in failed)
    for (_, m), res in zip(jobs, results):
        if res is None:
            continue
        reply, sendable = res
        withheld = [x for x in m.themes if x.theme_id not in {c.theme_id for c in sendable}]
        confirmed = [c for c in sendable if c.theme_id in set(reply.themes)] + withheld
        m.method = "llm"
        if confirmed:
            m.status, m.themes, m.candidates = "matched", confirmed, []
            m.note = f"LLM confirmed: {reply.rationale}" if reply.rationale else None
        else:
            m.status, m.themes, m.candidates = "unmatched", [], sendable[:3]
            m.note = f"the LLM found none of the {len(sendable)} nearest themes to be about this need: {reply.rationale}"
    for i, exc in failures:
        if not isinstance(exc, (LLMError, ValueError)):
            raise exc
        m = jobs[i][1]
        m.note = f"LLM confirmation failed, the similarity match stands: {exc}"
        log.warning("card target %r: %s", jobs[i][0].label(), m.note)
    return tally("card matches", sum(r is not None for r in results), failures, withheld=n_withheld)
