"""Optional LLM confirmation of target -> need matches made by meaning: it may confirm or narrow, with reasons.

For each target matched by similarity, or ambiguous, one call shows the LLM the need in the team's words
and the nearest candidate needs its answer could act on (the matched ones and the others at or above the
similarity threshold; keywords and a few redacted quotes each, as data) and asks, for each candidate,
whether it is about that need and why. A target with no such candidate (just below the threshold) gets no
call. Its answer may change the match only this far:

- **confirm** a matched need (the match stands);
- **narrow** an ambiguous target to the tied candidates it names (each at or above the similarity threshold);
- **add** a candidate at or above the threshold, with its reason;
- **drop** a matched need, with its reason, only when the match is weak (below ``STRONG_MATCH``): a strong
  match stands, and the LLM's doubt is shown beside it; a rejection without a reason changes nothing.

It is not asked about a need below the similarity threshold; a reply that names one anyway does not add it
(named, not added: said). Every change keeps the
similarity match (``TargetMatch.before``), so the scorecard shows the verdict without the LLM beside the
verdict with it, and every reason in ``TargetMatch.changes``. Replies naming a need that was not a
candidate are sent back once.

What is sent goes through the privacy gate of every prompt (:class:`feedbackiq.llm._outbound.Outbound`):
a need voiced by fewer than ``min_respondents`` is never sent, nor are the quotes of its themes voiced
by fewer; keywords go out only when they survive redaction of the sendable items. When the matched
need itself may not be sent, the target is withheld and keeps the similarity decision. If a call
fails the similarity decision stands and the target's note says so.
"""

from __future__ import annotations

import copy
import logging

from pydantic import BaseModel

from feedbackiq.cards._match import MATCH_MIN_SIMILARITY, STRONG_MATCH, TargetMatch
from feedbackiq.llm import LLM, Outbound, feedback_block, map_calls, tally
from feedbackiq.types import CardTarget, LLMOutcome, MatchedNeed, Need, Quote, ThemeReport

__all__ = ["NeedVerdict", "MatchConfirmation", "confirm_matches", "decide", "N_QUOTES"]

log = logging.getLogger("feedbackiq")

N_QUOTES = 4  # quotes per candidate need: the need's own, then one from each of its largest themes


class NeedVerdict(BaseModel):
    """The LLM's word on one candidate need: about the team's need or not, and why."""

    need_id: int
    about: bool
    reason: str


class MatchConfirmation(BaseModel):
    needs: list[NeedVerdict]


def confirm_matches(targets: list[CardTarget], matches: list, report: ThemeReport, llm: LLM, *,
                    min_respondents: int = 3, redact: bool = True) -> LLMOutcome:
    """Confirm (in place) the similarity matches of ``targets`` with ``llm``; returns how the calls ended
    (a target whose matched need, or every candidate, is below the privacy threshold is withheld, not sent)."""
    outbound = Outbound(report, min_respondents, redact)
    by_id = {n.id: n for n in report.needs}
    jobs = [(t, m) for t, m in zip(targets, matches)
            if m.method == "similarity" and m.status in ("matched", "ambiguous") and _askable(m)]
    texts = _sendable_texts(report, outbound) if jobs else {}

    def one(job):
        target, m = job
        sendable = [c for c in _askable(m) if c.need_id in by_id and by_id[c.need_id].respondents >= min_respondents]
        sent_ids = {c.need_id for c in sendable}
        if not sendable or any(x.need_id not in sent_ids for x in m.needs):
            return None
        records = [{"need_id": c.need_id,
                    "keywords": _keywords(by_id[c.need_id], texts.get(c.need_id, []), outbound),
                    "quotes": [outbound.text(q.text) for q in _quotes(by_id[c.need_id], report, outbound)]}
                   for c in sendable]

        def check(reply: MatchConfirmation) -> None:
            unknown = [x.need_id for x in reply.needs if x.need_id not in sent_ids]
            if unknown:
                raise ValueError(f"need ids {unknown} are not among the candidates {sorted(sent_ids)}")

        return llm.generate("confirm_card_match", {"need": target.need, "needs": feedback_block(records)},
                            MatchConfirmation, check=check, validation_retries=1), sendable

    results, failures = map_calls(llm, one, jobs)
    failed = {i for i, _ in failures}
    n_withheld = sum(1 for i, res in enumerate(results) if res is None and i not in failed)
    for (_, m), res in zip(jobs, results):
        if res is not None:
            decide(m, *res)
    for i, exc in failures:
        m = jobs[i][1]
        m.note = f"LLM confirmation failed, the similarity match stands: {exc}"
        log.warning("card target %r: %s", jobs[i][0].label(), m.note)
    return tally("card matches", sum(r is not None for r in results), failures, withheld=n_withheld)


def decide(m: TargetMatch, reply: MatchConfirmation, sendable: list[MatchedNeed]) -> None:
    """Apply what the rules let the LLM change of one match (in place); every change and every doubt, with
    its reason, goes to ``m.changes``, and a changed match keeps the similarity one in ``m.before``."""
    said = {v.need_id: v for v in reply.needs}
    current = {x.need_id: x for x in m.needs}
    new = dict(current)
    changes: list[str] = []
    for c in sendable:
        v = said.get(c.need_id)
        if v is None:
            continue
        sim, why, label = c.similarity or 0.0, " ".join(v.reason.split()), f"#{c.need_id} {c.name!r}"
        at = f"{label} ({sim:.2f})"
        if v.about and c.need_id in current:
            changes.append(f"confirmed {at}" + (f": {why}" if why else ""))
        elif v.about and sim < MATCH_MIN_SIMILARITY:
            changes.append(f"named {at} too: not added, below the similarity threshold {MATCH_MIN_SIMILARITY:.2f}")
        elif v.about:
            new[c.need_id] = c
            changes.append(f"added {at}" + (f": {why}" if why else ""))
        elif c.need_id in current and not why:
            changes.append(f"rejected {at} without a reason: the match stands")
        elif c.need_id in current and sim >= STRONG_MATCH:
            changes.append(f"doubts {at}: {why}; a strong match (>= {STRONG_MATCH:.2f}) stands")
        elif c.need_id in current:
            del new[c.need_id]
            changes.append(f"dropped {at}: {why}")
    m.method, m.changes = "llm", [f"LLM {x}" for x in changes]
    if new.keys() == current.keys():
        return
    m.before = copy.deepcopy(m)
    m.before.method, m.before.changes = "similarity", []
    if new:
        m.status, m.candidates, m.note = "matched", [], None
        m.needs = sorted(new.values(), key=lambda x: -(x.similarity or 0.0))
    else:
        m.status, m.needs, m.candidates = "unmatched", [], sendable[:3]
        m.note = f"the LLM found none of the {len(sendable)} nearest needs to be about this need"


def _askable(m: TargetMatch) -> list[MatchedNeed]:
    """The nearest needs whose verdict could change the match: the matched ones and those at or above the
    similarity threshold. A need below it could only be named, never added: asking about it costs a slow
    local model time for nothing (and a target just below the threshold gets no call)."""
    current = {x.need_id for x in m.needs}
    return [c for c in m.nearest if c.need_id in current or (c.similarity or 0.0) >= MATCH_MIN_SIMILARITY]


def _quotes(need: Need, report: ThemeReport, outbound: Outbound) -> list[Quote]:
    """Up to ``N_QUOTES`` quotes that may be sent: the need's own, then the first of each of its largest themes
    (a need's own quotes, near its centroid, often speak for one of its ways of saying it only)."""
    themes = sorted((t for t in report.themes if t.id in set(need.theme_ids)), key=lambda t: -t.size)
    pool = [*need.quotes[:2], *(t.quotes[0] for t in themes if t.quotes), *need.quotes[2:]]
    out: dict[str, Quote] = {}
    for q in pool:
        if q.item_id not in out and outbound.item_ok(q.item_id):
            out[q.item_id] = q
    return list(out.values())[:N_QUOTES]


def _keywords(need: Need, texts: list[str], outbound: Outbound, n: int = 8) -> list[str]:
    """The need's first ``n`` keywords that occur in its sendable items (a keyword only a withheld theme's
    items carry stays home), and survive their redaction."""
    lowered = [x.lower() for x in texts]
    present = [k for k in need.keywords if any(all(p in x for p in k.lower().split()) for x in lowered)]
    return outbound.terms(present, texts)[:n]


def _sendable_texts(report: ThemeReport, outbound: Outbound) -> dict[int, list[str]]:
    """Each need's item texts that may be sent (items of themes at or above the privacy threshold): the
    texts a keyword must survive redaction in."""
    text = {it.id: it.text for it in (report.feedback.items if report.feedback else [])}
    need_of = {tid: n.id for n in report.needs for tid in n.theme_ids if outbound.theme_ok(tid)}
    out: dict[int, list[str]] = {}
    for a in report.assignments:
        if a.theme_id in need_of and a.item_id in text:
            out.setdefault(need_of[a.theme_id], []).append(text[a.item_id])
    return out
