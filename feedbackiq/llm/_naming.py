"""Name each need (one LLM call per need) and, on request, each theme as a customer need, with checked citations."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, Field

from feedbackiq._errors import BudgetExceededError, ConfigError, LLMError, LLMOutputError
from feedbackiq.llm._client import HOW_TO_CONFIGURE, LLM, parse_json_reply
from feedbackiq.llm._outbound import Outbound
from feedbackiq.llm._outcome import failure_reason, tally
from feedbackiq.llm._prompts import feedback_block, language_instruction
from feedbackiq.types import Citation, FeedbackItem, LLMOutcome, Need, Theme, ThemeReport

__all__ = ["ThemeNaming", "NeedNaming", "name_themes", "check_citations", "LEVELS"]

log = logging.getLogger("feedbackiq")
EVIDENCE_ITEMS = 8          # a theme's evidence
NEED_EVIDENCE_ITEMS = 12    # a need's evidence, drawn across its themes
QUOTES_PER_THEME = 3        # at most this many of a need's evidence items from one theme
THEMES_LISTED = 8           # a need's largest themes shown by their keywords
CONTRAST_THEMES = 2
CONTRAST_NEEDS = 2
LEVELS = ("needs", "themes", "both")
# About 4 characters per token; the system prompt and the reply's schema are about 700 tokens.
_CHARS_PER_TOKEN, _FIXED_TOKENS, _REPLY_TOKENS = 4, 700, 250


class ThemeNaming(BaseModel):
    """What the model returns for one theme."""

    name: str = Field(min_length=2, max_length=80)
    need_statement: str = Field(min_length=10, max_length=400)
    moscow: Literal["must", "should", "could", "wont"]
    moscow_rationale: str = Field(min_length=3, max_length=300)
    citations: list[Citation] = Field(min_length=1, max_length=6)


class NeedNaming(ThemeNaming):
    """What the model returns for one need (the fields of a theme's naming)."""


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


@dataclass
class _Job:
    """One naming call: the group (in the returned report) and what its prompt is built from."""

    level: Literal["needs", "themes"]
    group: Theme | Need
    prompt: str
    reply: type[ThemeNaming]
    variables: dict[str, str]
    evidence: dict[str, str]


def name_themes(report: ThemeReport, llm: LLM | None = None, *, language: str = "same",
                min_respondents: int = 3, redact: bool = True, level: str = "needs") -> ThemeReport:
    """Name every need (and, with ``level``, every theme) as a customer need; returns a new report
    (the input is not modified).

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
        own evidence, not as its need's, not as another group's contrast, not its keywords), and a need
        voiced by fewer is not sent at all.
    redact : bool, default True
        Remove personal data (emails, phones, ids ...) from every text before it is sent, and send only
        keywords that survive it.
    level : {"needs", "themes", "both"}, default "needs"
        What is named: each need of kind ``"need"`` (one call per need, its evidence a few quotes of each
        of its largest themes; praise and small talk are never sent), each theme (one call per theme), or
        both. A report without needs (made before needs existed) has its themes named.

    A need the team named in its override file keeps that name (the statement, MoSCoW suggestion and
    citations are still written); a need whose LLM name repeats another group's keeps its offline
    name. The returned report's ``llm_outcome`` counts the calls: named, failed (by reason), not run
    (budget), withheld (privacy threshold); ``llm_stats`` has the counts per level.
    """
    if level not in LEVELS:
        raise ConfigError(f"level must be one of {', '.join(LEVELS)}, got {level!r}")
    llm = llm or LLM.from_env()
    out = report.model_copy(deep=True)
    if llm is None:
        log.warning(HOW_TO_CONFIGURE)
        out.llm_stats = {**report.llm_stats, "skipped": "no LLM configured"}
        return out
    if level == "needs" and not (report.needs or report.non_needs):
        level = "themes"
    outbound = Outbound(report, min_respondents, redact)
    levels = ("needs", "themes") if level == "both" else (level,)
    jobs: list[_Job] = []
    withheld = {lv: 0 for lv in levels}
    if "themes" in levels:
        withheld["themes"] = _theme_jobs(out, outbound, language, jobs)
    if "needs" in levels:
        withheld["needs"] = _need_jobs(out, outbound, language, jobs)

    # Before any call: what the run will take, against the budget.
    input_tokens = sum(sum(map(len, j.variables.values())) // _CHARS_PER_TOKEN + _FIXED_TOKENS for j in jobs)
    estimate = llm.budget.estimate(len(jobs), input_tokens // max(len(jobs), 1), _REPLY_TOKENS)
    log.info("naming %s: %d calls, about %d input tokens", " and ".join(levels), len(jobs), estimate["input_tokens"])
    results, failures = llm.map(lambda job: _call(llm, job), jobs)

    by_level = {lv: {"named": 0, "below_privacy_threshold": withheld[lv], "failed": 0, "dropped_citations": 0,
                     "not_run_budget": 0, "names_kept": 0} for lv in levels}
    taken = {g.name.casefold(): g.id for g in (*out.needs, *out.non_needs)}
    for job, result in zip(jobs, results):
        if result is not None:
            stats = by_level[job.level]
            stats["named"] += 1
            stats["dropped_citations"] += result[1]
            stats["names_kept"] += not _apply(job, *result, taken)
    outcomes: list[LLMOutcome] = []
    for lv in levels:
        mine = [(i, exc) for i, exc in failures if jobs[i].level == lv]
        for i, exc in mine:
            _note_failure(jobs[i].group, exc, by_level[lv])
        outcomes.append(tally(f"{lv[:-1]} names", by_level[lv]["named"], mine, withheld=withheld[lv]))
    totals = {k: sum(s[k] for s in by_level.values()) for k in next(iter(by_level.values()))}
    out.llm_stats = {**{k: v for k, v in report.llm_stats.items() if k == "regrouping"}, **totals,
                     "level": level, "by_level": by_level, "estimate": estimate, "usage": llm.usage(), "model": llm.model}
    out.llm_outcome = outcomes[0] if len(outcomes) == 1 else LLMOutcome.merge("need and theme names", outcomes)
    return out


def _call(llm: LLM, job: _Job) -> tuple[ThemeNaming, int]:
    def check(naming: ThemeNaming) -> None:
        problems = check_citations(naming.citations, job.evidence)
        if problems:
            raise ValueError("; ".join(problems))

    try:
        return llm.generate(job.prompt, job.variables, job.reply, check=check, validation_retries=1), 0
    except LLMOutputError as exc:
        salvaged = _salvage(exc, job.evidence, job.reply)  # retried once: keep the claim only with its valid citations
        if salvaged is None:
            raise
        return salvaged


def _apply(job: _Job, naming: ThemeNaming, dropped: int, taken: dict[str, int]) -> bool:
    """Write the naming on the group; False when the group keeps its name (a team's, or the LLM's repeats one)."""
    g = job.group
    g.need_statement, g.moscow, g.moscow_rationale = naming.need_statement, naming.moscow, naming.moscow_rationale
    g.need_citations, g.dropped_citations = list(naming.citations), dropped
    if job.level == "themes":
        g.name, g.label_source = naming.name, "llm"
        return True
    if g.label_source == "override":
        g.label_note = f"named by the team; the LLM suggested {naming.name!r}"
        return False
    other = taken.get(naming.name.casefold())
    if other is not None and other != g.id:
        g.label_note = f"the LLM's name {naming.name!r} is need {other}'s; offline name kept"
        return False
    taken.pop(g.name.casefold(), None)
    g.name, g.label_source = naming.name, "llm"
    taken[g.name.casefold()] = g.id
    return True


def _note_failure(group: Theme | Need, exc: BaseException, stats: dict[str, int]) -> None:
    if isinstance(exc, BudgetExceededError):
        stats["not_run_budget"] += 1
        group.label_note = "not named: LLM budget reached"
        return
    if not isinstance(exc, LLMError):
        raise exc
    stats["failed"] += 1
    group.label_note = f"LLM naming failed ({failure_reason(exc)}); offline name kept"


def _salvage(exc: LLMOutputError, evidence: dict[str, str],
             reply: type[ThemeNaming] = ThemeNaming) -> tuple[ThemeNaming, int] | None:
    """After the retry: drop failing citations; the naming survives only if some citation holds."""
    try:
        raw = parse_json_reply(exc.last_reply)
        candidate = reply.model_validate(raw)
    except Exception:
        return None
    good = [c for c in candidate.citations if not check_citations([c], evidence)]
    if not good:
        return None
    return candidate.model_copy(update={"citations": good}), len(candidate.citations) - len(good)


# -- themes --------------------------------------------------------------------------------------------
def _theme_jobs(out: ThemeReport, outbound: Outbound, language: str, jobs: list[_Job]) -> int:
    """One job per theme at or above the threshold; returns how many were withheld."""
    by_id = {it.id: it for it in (out.feedback.items if out.feedback else [])}
    members: dict[int, list[FeedbackItem]] = {}
    probs: dict[str, float] = {}
    for a in out.assignments:
        if a.item_id in by_id:
            members.setdefault(a.theme_id, []).append(by_id[a.item_id])
            probs[a.item_id] = a.probability
    withheld = 0
    for theme in out.themes:
        if not outbound.theme_ok(theme.id):
            theme.label_note = f"not sent to the LLM: fewer than {outbound.min_respondents} respondents (privacy threshold)"
            withheld += 1
            continue
        evidence = _evidence(theme, members.get(theme.id, []), probs, outbound)
        contrast = _contrast(theme, out.themes, outbound)
        langs = [it.language for it in members.get(theme.id, [])]
        jobs.append(_Job("themes", theme, "name_theme", ThemeNaming, {
            "keywords": ", ".join(outbound.keywords(theme)[:10]),
            "evidence": feedback_block([{"id": k, "text": v} for k, v in evidence.items()]),
            "contrast": feedback_block([{"text": v} for v in contrast]),
            "language_instruction": language_instruction(language, langs)}, evidence))
    return withheld


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


# -- needs ---------------------------------------------------------------------------------------------
def _need_jobs(out: ThemeReport, outbound: Outbound, language: str, jobs: list[_Job]) -> int:
    """One job per need of kind "need" that may be sent and has a theme that may; returns how many were
    withheld. Praise and small talk are not needs: never sent, not counted."""
    themes = {t.id: t for t in out.themes}
    languages = {it.id: it.language for it in (out.feedback.items if out.feedback else [])}
    sendable = [n for n in out.needs if outbound.need_ok(n) and _sendable_themes(n, themes, outbound)]
    sendable_ids = {n.id for n in sendable}
    withheld = 0
    for need in out.needs:
        if need.kind != "need":
            continue
        if need.id not in sendable_ids:
            need.label_note = (f"not sent to the LLM: fewer than {outbound.min_respondents} respondents in it or in "
                               "each of its themes (privacy threshold)")
            withheld += 1
            continue
        evidence = _need_evidence(need, themes, outbound, NEED_EVIDENCE_ITEMS, QUOTES_PER_THEME)
        contrast = _need_contrast(need, sendable, themes, outbound)
        listed = _sendable_themes(need, themes, outbound)[:THEMES_LISTED]
        jobs.append(_Job("needs", need, "name_need", NeedNaming, {
            "keywords": ", ".join(outbound.need_keywords(need)[:10]),
            "themes": "; ".join(outbound.theme_name(t) for t in listed),
            "evidence": feedback_block([{"id": k, "text": v} for k, v in evidence.items()]),
            "contrast": feedback_block([{"text": v} for v in contrast]),
            "language_instruction": language_instruction(language, [languages.get(i, "") for i in evidence])}, evidence))
    return withheld


def _sendable_themes(need: Need, themes: dict[int, Theme], outbound: Outbound) -> list[Theme]:
    """The need's themes at or above the threshold, largest (in respondents) first."""
    return sorted((themes[i] for i in need.theme_ids if i in themes and outbound.theme_ok(i)),
                  key=lambda t: (-t.respondents, t.id))


def _need_evidence(need: Need, themes: dict[int, Theme], outbound: Outbound, limit: int, per_theme: int) -> dict[str, str]:
    """Up to ``limit`` quotes of the need's sendable themes: each theme's first quote, largest theme first,
    then each one's second ..., at most ``per_theme`` from one theme; redacted."""
    ranked = _sendable_themes(need, themes, outbound)
    picked: dict[str, str] = {}
    for k in range(per_theme):
        for t in ranked:
            if len(picked) >= limit:
                return picked
            if k < len(t.quotes) and outbound.item_ok(t.quotes[k].item_id):
                picked.setdefault(t.quotes[k].item_id, outbound.text(t.quotes[k].text))
    return picked


def _need_contrast(need: Need, sendable: list[Need], themes: dict[int, Theme], outbound: Outbound) -> list[str]:
    """Two quotes of each of the nearest other sendable needs (by shared keywords)."""
    mine = set(outbound.need_keywords(need))
    others = sorted((n for n in sendable if n.id != need.id),
                    key=lambda n: (-len(mine & set(outbound.need_keywords(n))), -n.respondents))[:CONTRAST_NEEDS]
    return [text for n in others for text in _need_evidence(n, themes, outbound, 2, 1).values()]
