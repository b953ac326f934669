"""Name each theme as a customer need (one LLM call per theme), with checked citations."""

from __future__ import annotations

import logging
from typing import Literal

from pydantic import BaseModel, Field

from feedbackiq._errors import BudgetExceededError, LLMError, LLMOutputError
from feedbackiq.llm._client import HOW_TO_CONFIGURE, LLM, parse_json_reply
from feedbackiq.llm._outbound import Outbound
from feedbackiq.llm._outcome import failure_reason, tally
from feedbackiq.llm._prompts import feedback_block, language_instruction
from feedbackiq.types import Citation, FeedbackItem, Theme, ThemeReport

__all__ = ["ThemeNaming", "name_themes", "check_citations"]

log = logging.getLogger("feedbackiq")
EVIDENCE_ITEMS = 8
CONTRAST_THEMES = 2


class ThemeNaming(BaseModel):
    """What the model returns for one theme."""

    name: str = Field(min_length=2, max_length=80)
    need_statement: str = Field(min_length=10, max_length=400)
    moscow: Literal["must", "should", "could", "wont"]
    moscow_rationale: str = Field(min_length=3, max_length=300)
    citations: list[Citation] = Field(min_length=1, max_length=6)


def _norm(text: str) -> str:
    return " ".join(text.split())


def check_citations(citations: list[Citation], evidence: dict[str, str]) -> list[str]:
    """Problems with citations: unknown ids, or quotes that are not exact substrings of the item's text."""
    problems = []
    for c in citations:
        if c.item_id not in evidence:
            problems.append(f"item_id {c.item_id!r} is not one of the evidence items")
        elif not c.quote.strip() or _norm(c.quote) not in _norm(evidence[c.item_id]):
            problems.append(f"quote {c.quote!r} is not an exact substring of item {c.item_id}")
    return problems


def name_themes(report: ThemeReport, llm: LLM | None = None, *, language: str = "same",
                min_respondents: int = 3, redact: bool = True) -> ThemeReport:
    """Name every theme as a customer need; returns a new report (the input is not modified).

    Parameters
    ----------
    report : ThemeReport
        From :func:`feedbackiq.find_themes` (with its feedback attached).
    llm : LLM, optional
        Default :meth:`LLM.from_env`. Without one, the report is returned unchanged and one
        line says how to configure an LLM.
    language : {"same", "en", "zh"}
    min_respondents : int, default 3
        Privacy threshold: nothing of a theme voiced by fewer distinct respondents is sent (not as its
        own evidence, not as another theme's contrast, not its keywords).
    redact : bool, default True
        Remove personal data (emails, phones, ids ...) from every text before it is sent, and send only
        keywords that survive it.

    The returned report's ``llm_outcome`` counts the calls: named, failed (by reason), not run (budget).
    """
    llm = llm or LLM.from_env()
    out = report.model_copy(deep=True)
    if llm is None:
        log.warning(HOW_TO_CONFIGURE)
        out.llm_stats = {"skipped": "no LLM configured"}
        return out
    by_id = {it.id: it for it in (report.feedback.items if report.feedback else [])}
    members: dict[int, list[FeedbackItem]] = {}
    probs: dict[str, float] = {}
    for a in report.assignments:
        if a.item_id in by_id:
            members.setdefault(a.theme_id, []).append(by_id[a.item_id])
            probs[a.item_id] = a.probability
    outbound = Outbound(report, min_respondents, redact)
    stats = {"named": 0, "below_privacy_threshold": 0, "failed": 0, "dropped_citations": 0, "not_run_budget": 0}
    eligible = [t for t in out.themes if outbound.theme_ok(t.id)]
    for t in out.themes:
        if not outbound.theme_ok(t.id):
            t.label_note = f"not sent to the LLM: fewer than {min_respondents} respondents (privacy threshold)"
            stats["below_privacy_threshold"] += 1

    def one(theme: Theme) -> tuple[ThemeNaming, int]:
        evidence = _evidence(theme, members.get(theme.id, []), probs, outbound)
        contrast = _contrast(theme, out.themes, outbound)
        langs = [it.language for it in members.get(theme.id, [])]
        variables = {"keywords": ", ".join(outbound.keywords(theme)[:10]),
                     "evidence": feedback_block([{"id": k, "text": v} for k, v in evidence.items()]),
                     "contrast": feedback_block([{"text": v} for v in contrast]),
                     "language_instruction": language_instruction(language, langs)}

        def check(naming: ThemeNaming) -> None:
            problems = check_citations(naming.citations, evidence)
            if problems:
                raise ValueError("; ".join(problems))

        try:
            return llm.generate("name_theme", variables, ThemeNaming, check=check, validation_retries=1), 0
        except LLMOutputError as exc:
            salvaged = _salvage(exc, evidence)  # retried once: keep the claim only with its valid citations
            if salvaged is None:
                raise
            return salvaged

    # Before any call: what the run will take (about 4 characters per token), against the budget.
    est_tokens = sum(len(" ".join(q.text for q in t.quotes)) for t in eligible) // 4 * 3 + 700
    stats["estimate"] = llm.budget.estimate(len(eligible), est_tokens // max(len(eligible), 1), 250)
    log.info("naming %d themes: about %d calls, %d input tokens", len(eligible), len(eligible), stats["estimate"]["input_tokens"])
    results, failures = llm.map(one, eligible)
    for theme, result in zip(eligible, results):
        if result is None:
            continue
        naming, theme.dropped_citations = result
        theme.name, theme.need_statement = naming.name, naming.need_statement
        theme.moscow, theme.moscow_rationale = naming.moscow, naming.moscow_rationale
        theme.need_citations = list(naming.citations)
        theme.label_source = "llm"
        stats["named"] += 1
        stats["dropped_citations"] += theme.dropped_citations
    for i, exc in failures:
        theme = eligible[i]
        if isinstance(exc, BudgetExceededError):
            stats["not_run_budget"] += 1
            theme.label_note = "not named: LLM budget reached"
        else:
            if not isinstance(exc, LLMError):
                raise exc
            stats["failed"] += 1
            theme.label_note = f"LLM naming failed ({failure_reason(exc)}); keyword name kept"
    out.llm_stats = {**stats, "usage": llm.usage(), "model": llm.model}
    out.llm_outcome = tally("theme names", stats["named"], failures, withheld=stats["below_privacy_threshold"])
    return out


def _salvage(exc: LLMOutputError, evidence: dict[str, str]) -> tuple[ThemeNaming, int] | None:
    """After the retry: drop failing citations; the naming survives only if some citation holds."""
    try:
        raw = parse_json_reply(exc.last_reply)
        candidate = ThemeNaming.model_validate(raw)
    except Exception:
        return None
    good = [c for c in candidate.citations if not check_citations([c], evidence)]
    if not good:
        return None
    return candidate.model_copy(update={"citations": good}), len(candidate.citations) - len(good)


def _evidence(theme: Theme, items: list[FeedbackItem], probs: dict[str, float], outbound: Outbound) -> dict[str, str]:
    chosen = [q.item_id for q in theme.quotes]
    rest = sorted((it for it in items if it.id not in chosen), key=lambda it: -probs.get(it.id, 0.0))
    ids = (chosen + [it.id for it in rest])[:EVIDENCE_ITEMS]
    text = {it.id: it.text for it in items}
    return {i: outbound.text(text[i]) for i in ids if i in text}


def _contrast(theme: Theme, themes: list[Theme], outbound: Outbound) -> list[str]:
    """Quotes of the nearest other themes (by shared keywords); a theme below the threshold is never one of them."""
    mine = set(theme.keywords)
    others = sorted((t for t in themes if t.id != theme.id and outbound.theme_ok(t.id)),
                    key=lambda t: (-len(mine & set(t.keywords)), -t.respondents))[:CONTRAST_THEMES]
    return [outbound.text(q.text) for t in others for q in t.quotes[:2]]
