"""Name each need (one LLM call per need) and, on request, each theme as a customer need, claim by claim.

A naming reply holds two claims, each kept or dropped on its own (:mod:`feedbackiq.llm._claims`):

- **the name**: not empty, in the run's output language, no phrase copied from the prompt, and it fits its
  need (:class:`~feedbackiq.llm._meaning.MeaningChecks`: no other need is clearly nearer it);
- **the need statement**, with the handles of the evidence items it rests on (and quotes, aligned to the
  items' own text): its citations (:func:`~feedbackiq.llm._evidence.judge_claim`), its language, and its
  meaning (supported by the items it cites, not turning what customers have into what they need, not
  resting on praise alone).

A reply whose name is dropped is sent back once with why; after that a need without a usable name keeps
its offline name, with why in its ``label_note``. A statement that does not stand is left out (the name
stays). Names are unique within a report: a need whose LLM name is another need's (compared without case,
width or punctuation) keeps its offline name. Drops are counted by reason, and outputs that came from the
offline path by why, in the step's :class:`~feedbackiq.types.LLMOutcome`. The MoSCoW hint is the
evidence's (:func:`~feedbackiq.llm._moscow.moscow_hints`), not the model's.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Literal

from feedbackiq._errors import BudgetExceededError, ConfigError
from feedbackiq.llm._claims import (ClaimChecker, Judgement, evidence_set, fit_evidence, in_language, judged_generate,
                                    trim_name)
from feedbackiq.llm._client import LLM, no_llm_hint
from feedbackiq.llm._evidence import ClaimVerdict, EvidenceSet
from feedbackiq.llm._meaning import COPIES_EXAMPLE, FITS_ANOTHER, MeaningChecks, name_key, prompt_examples
from feedbackiq.llm._moscow import moscow_hints
from feedbackiq.llm._outbound import Outbound
from feedbackiq.llm._outcome import failure_reason, fallback_reason, map_calls, tally
from feedbackiq.llm._prompts import feedback_block, language_instruction, load_prompt, output_language
from feedbackiq.llm._replies import CitedReply
from feedbackiq.types import Citation, FeedbackItem, LLMOutcome, Need, Theme, ThemeReport

__all__ = ["ThemeNaming", "NeedNaming", "name_themes", "LEVELS"]

log = logging.getLogger("feedbackiq")
EVIDENCE_ITEMS = 8          # a theme's evidence
NEED_EVIDENCE_ITEMS = 12    # a need's evidence, drawn across its themes
QUOTES_PER_THEME = 3        # at most this many of a need's evidence items from one theme
THEMES_LISTED = 8           # a need's largest themes shown by their keywords
CONTRAST_THEMES = 2
CONTRAST_NEEDS = 2
LEVELS = ("needs", "themes", "both")
_REPLY_TOKENS = 250   # a name, a statement and its refs
PRIVACY = "privacy threshold"


class ThemeNaming(CitedReply):
    """What the model returns for one theme: a name, a need statement and the evidence handles it rests on."""

    name: str
    need_statement: str
    refs: list[int | str]
    quotes: list[str | None] = []


class NeedNaming(ThemeNaming):
    """What the model returns for one need (the fields of a theme's naming)."""


@dataclass
class _Job:
    """One naming call: the group (in the returned report) and what its prompt is built from."""

    level: Literal["needs", "themes"]
    group: Theme | Need
    prompt: str
    reply: type[ThemeNaming]
    variables: dict[str, str]
    evidence: EvidenceSet
    fit_id: int | None = None   # the need the name must fit (a theme's need; the theme, in a report without needs)


@dataclass
class _Named:
    """A reply judged: the name and the statement, each with why it was dropped (None: kept)."""

    name: str
    name_problem: str | None
    statement: str
    statement_problem: str | None
    citations: list[Citation] = field(default_factory=list)
    judgement: Judgement = field(default_factory=Judgement)


def name_themes(report: ThemeReport, llm: LLM | None = None, *, language: str = "same",
                min_respondents: int = 3, redact: bool = True, level: str = "needs", embedder: Any = None) -> ThemeReport:
    """Name every need (and, with ``level``, every theme) as a customer need; returns a new report
    (the input is not modified).

    Parameters
    ----------
    report : ThemeReport
        From :func:`feedbackiq.find_themes` (with its feedback attached).
    llm : LLM, optional
        ``None`` (the environment is not read: pass :meth:`LLM.from_env` for that): the report is
        returned unchanged and one line says how to give an LLM.
    language : {"same", "en", "zh"}
        The language of names and statements; ``"same"``: the language of most of the report's items.
    min_respondents : int, default 3
        Privacy threshold: nothing of a theme voiced by fewer distinct respondents is sent (not as its
        own evidence, not as its need's, not as another group's contrast, not its keywords), and a need
        voiced by fewer is not sent at all.
    redact : bool, default True
        Remove personal data (emails, phones, ids ...) from every text before it is sent, and send only
        keywords that survive it.
    level : {"needs", "themes", "both"}, default "needs"
        What is named: each need of kind ``"need"`` (one call per need, its evidence a few quotes of each
        of its largest themes; praise and small talk are never sent), each theme of a need (one call per
        theme), or both. A report without needs (made before needs existed) has its themes named.
    embedder : Embedder, optional
        Judges what names and statements mean (:mod:`feedbackiq.llm._meaning`); default the report's model.

    A need the team named in its override file keeps that name (the statement is still written). The
    returned report's ``llm_outcome`` counts the calls (named, failed by reason, not run, withheld), the
    claims (kept, dropped by reason) and the names that came from the offline path (by why);
    ``llm_stats`` has the counts per level.
    """
    if level not in LEVELS:
        raise ConfigError(f"level must be one of {', '.join(LEVELS)}, got {level!r}")
    out = report.model_copy(deep=True)
    if llm is None:
        log.warning(no_llm_hint("name_themes"))
        out.llm_stats = {**report.llm_stats, "skipped": "no LLM configured"}
        return out
    if level == "needs" and not (report.needs or report.non_needs):
        level = "themes"
    lang = output_language(language, [it.language for it in (report.feedback.items if report.feedback else [])])
    outbound = Outbound(report, min_respondents, redact)
    levels = ("needs", "themes") if level == "both" else (level,)
    jobs: list[_Job] = []
    withheld = {lv: 0 for lv in levels}
    outputs = {lv: 0 for lv in levels}
    if "themes" in levels:
        withheld["themes"], outputs["themes"] = _theme_jobs(out, outbound, lang, jobs)
    if "needs" in levels:
        withheld["needs"], outputs["needs"] = _need_jobs(out, outbound, lang, jobs)

    for job in jobs:
        job.evidence, job.variables = fit_evidence(llm, job.prompt, job.variables, job.reply, job.evidence,
                                                   with_source=False)
    # Before any call: what the run will take, against the budget.
    input_tokens = sum(llm.prompt_tokens(j.prompt, j.variables, j.reply) for j in jobs)
    estimate = llm.budget.estimate(len(jobs), input_tokens // max(len(jobs), 1), _REPLY_TOKENS)
    log.info("naming %s: %d calls, about %d input tokens", " and ".join(levels), len(jobs), estimate["input_tokens"])
    meaning = MeaningChecks(report, embedder)
    examples = {p: prompt_examples(load_prompt(p).system, load_prompt(p).user) for p in ("name_need", "name_theme")}
    results, failures = map_calls(llm, lambda job: _call(llm, job, meaning, lang, examples[job.prompt]), jobs)

    by_level = {lv: {"named": 0, "below_privacy_threshold": withheld[lv], "failed": 0, "dropped_citations": 0,
                     "not_run_budget": 0, "names_kept": 0} for lv in levels}
    fallbacks: dict[str, dict[str, int]] = {lv: {PRIVACY: withheld[lv]} if withheld[lv] else {} for lv in levels}
    claims = {lv: LLMOutcome(step=lv) for lv in levels}
    taken = {lv: {name_key(g.name): g.id for g in _named_groups(out, lv)} for lv in levels}
    for job, result in zip(jobs, results):
        if result is None:
            continue
        stats = by_level[job.level]
        stats["named"] += 1
        stats["dropped_citations"] += result.judgement.made - result.judgement.kept
        result.judgement.count_into(claims[job.level])
        why = _apply(job, result, taken[job.level])
        if why is not None:
            stats["names_kept"] += 1
            _count(fallbacks[job.level], why)
    outcomes: list[LLMOutcome] = []
    for lv in levels:
        mine = [(i, exc) for i, exc in failures if jobs[i].level == lv]
        for i, exc in mine:
            _count(fallbacks[lv], _note_failure(jobs[i].group, exc, by_level[lv]))
        o = tally(f"{lv[:-1]} names", by_level[lv]["named"], mine, withheld=withheld[lv])
        o.outputs, o.fallbacks = outputs[lv], fallbacks[lv]
        o.claims, o.claims_kept, o.claims_dropped = claims[lv].claims, claims[lv].claims_kept, claims[lv].claims_dropped
        by_level[lv]["claims"] = {"made": o.claims, "kept": o.claims_kept, "dropped": dict(o.claims_dropped)}
        outcomes.append(o)
        _hint_moscow(list(_named_groups(out, lv)))
    totals = {k: sum(s[k] for s in by_level.values()) for k in next(iter(by_level.values())) if k != "claims"}
    out.llm_stats = {**{k: v for k, v in report.llm_stats.items() if k == "regrouping"}, **totals,
                     "level": level, "language": lang, "by_level": by_level, "estimate": estimate, "usage": llm.usage(),
                     "model": llm.model}
    out.llm_outcome = outcomes[0] if len(outcomes) == 1 else LLMOutcome.merge("need and theme names", outcomes)
    return out


def _count(counts: dict[str, int], why: str) -> None:
    counts[why] = counts.get(why, 0) + 1


def _named_groups(report: ThemeReport, level: str) -> list[Theme | Need]:
    """What a level names: the needs (of kind need), or the themes that are no praise."""
    if level == "needs":
        return [n for n in report.needs if n.kind == "need"]
    praise = {n.id for n in report.non_needs}
    return [t for t in report.themes if t.need_id not in praise]


def _hint_moscow(groups: list[Theme | Need]) -> None:
    hints = moscow_hints(groups)
    for g in groups:
        g.moscow, g.moscow_rationale = hints[g.id]


def _call(llm: LLM, job: _Job, meaning: MeaningChecks, language: str, examples: set[str]) -> _Named:
    own = {it.id: it.text for it in job.evidence.items}

    def judge(reply: ThemeNaming) -> Judgement:
        j = Judgement()
        name = trim_name(reply.name)
        problem = ("empty" if not name else "wrong language" if not in_language(name, language)
                   else COPIES_EXAMPLE if name_key(name) in examples
                   else FITS_ANOTHER if not meaning.fits(name, job.fit_id) else None)
        j.add("name", ClaimVerdict(problem is None, problem, []))
        j.require("name", problem is None)
        statement, verdict = ClaimChecker(job.evidence, language).claim(reply, reply.need_statement)
        if verdict.kept:
            why = meaning.statement_problem(statement, [own[c.item_id] for c in verdict.citations], job.fit_id)
            verdict = ClaimVerdict(False, why, []) if why else verdict
        j.add("need_statement", verdict)
        j.result = _Named(name, problem, statement, None if verdict.kept else verdict.reason, verdict.citations)
        return j

    judgement = judged_generate(llm, job.prompt, job.variables, job.reply, judge)[1]
    judgement.result.judgement = judgement
    return judgement.result


def _apply(job: _Job, named: _Named, taken: dict[str, int]) -> str | None:
    """Write what survived of the reply on the group; returns why the group keeps its offline name (None: it
    is named by the LLM, or keeps the team's name)."""
    g = job.group
    g.dropped_citations = named.judgement.made - named.judgement.kept
    g.need_statement = named.statement if named.statement_problem is None else None
    g.need_citations = list(named.citations) if named.statement_problem is None else []
    dropped = f"; its need statement was left out ({named.statement_problem})" if named.statement_problem else ""
    if g.label_source == "override":
        g.label_note = f"named by the team; the LLM suggested {named.name!r}{dropped}"
        return None
    if named.name_problem is not None:
        g.label_note = f"the LLM's name {named.name!r} was dropped ({named.name_problem}): offline name kept{dropped}"
        return named.name_problem
    key, kind = name_key(named.name), job.level[:-1]
    other = taken.get(key)
    if other is not None and other != g.id:
        g.label_note = (f"the LLM's name {named.name!r} is {kind} {other}'s: offline name kept"
                        + (" (the two themes may be one need)" if job.level == "themes" else "") + dropped)
        return f"same name as another {kind}"
    taken.pop(name_key(g.name), None)
    g.name, g.label_source = named.name, "llm"
    g.label_note = f"its need statement was left out ({named.statement_problem})" if named.statement_problem else None
    taken[key] = g.id
    return None


def _note_failure(group: Theme | Need, exc: BaseException, stats: dict[str, int]) -> str:
    """Count a failed call and say so on the group; returns the reason."""
    if isinstance(exc, BudgetExceededError):
        stats["not_run_budget"] += 1
        group.label_note = "not named: LLM budget reached"
    else:
        stats["failed"] += 1
        group.label_note = f"LLM naming failed ({failure_reason(exc)}); offline name kept"
    return fallback_reason(exc)


# -- themes --------------------------------------------------------------------------------------------
def _theme_jobs(out: ThemeReport, outbound: Outbound, language: str, jobs: list[_Job]) -> tuple[int, int]:
    """One job per theme of a need at or above the threshold; returns how many were withheld, and how many
    themes there were to name. Themes of praise and small talk are no need: not named, not counted."""
    by_id = {it.id: it for it in (out.feedback.items if out.feedback else [])}
    members: dict[int, list[FeedbackItem]] = {}
    probs: dict[str, float] = {}
    for a in out.assignments:
        if a.item_id in by_id:
            members.setdefault(a.theme_id, []).append(by_id[a.item_id])
            probs[a.item_id] = a.probability
    withheld = 0
    themes = _named_groups(out, "themes")
    for theme in themes:
        if not outbound.theme_ok(theme.id):
            theme.label_note = f"not sent to the LLM: fewer than {outbound.min_respondents} respondents (privacy threshold)"
            withheld += 1
            continue
        evidence = evidence_set(_evidence(theme, members.get(theme.id, []), probs), outbound.text)
        contrast = _contrast(theme, themes, outbound)
        jobs.append(_Job("themes", theme, "name_theme", ThemeNaming, {
            "keywords": ", ".join(outbound.keywords(theme)[:10]),
            "evidence": evidence.block(with_source=False),
            "contrast": feedback_block([{"text": v} for v in contrast]),
            "language_instruction": language_instruction(language)}, evidence,
            theme.need_id if out.needs else theme.id))
    return withheld, len(themes)


def _evidence(theme: Theme, items: list[FeedbackItem], probs: dict[str, float]) -> list[FeedbackItem]:
    """The theme's quotes, then its other items by membership probability."""
    chosen = [q.item_id for q in theme.quotes]
    by_id = {it.id: it for it in items}
    rest = sorted((it for it in items if it.id not in chosen), key=lambda it: -probs.get(it.id, 0.0))
    return ([by_id[i] for i in chosen if i in by_id] + rest)[:EVIDENCE_ITEMS]


def _contrast(theme: Theme, themes: list[Theme], outbound: Outbound) -> list[str]:
    """Quotes of the nearest other themes (by shared keywords); a theme below the threshold is never one of them."""
    mine = set(theme.keywords)
    others = sorted((t for t in themes if t.id != theme.id and outbound.theme_ok(t.id)),
                    key=lambda t: (-len(mine & set(t.keywords)), -t.respondents))[:CONTRAST_THEMES]
    return [outbound.text(q.text) for t in others for q in t.quotes[:2]]


# -- needs ---------------------------------------------------------------------------------------------
def _need_jobs(out: ThemeReport, outbound: Outbound, language: str, jobs: list[_Job]) -> tuple[int, int]:
    """One job per need of kind "need" that may be sent and has a theme that may; returns how many were
    withheld, and how many needs there were to name. Praise and small talk are not needs: never sent, not counted."""
    themes = {t.id: t for t in out.themes}
    by_id = {it.id: it for it in (out.feedback.items if out.feedback else [])}
    sendable = [n for n in out.needs if outbound.need_ok(n) and _sendable_themes(n, themes, outbound)]
    sendable_ids = {n.id for n in sendable}
    withheld = 0
    for need in _named_groups(out, "needs"):
        if need.id not in sendable_ids:
            need.label_note = (f"not sent to the LLM: fewer than {outbound.min_respondents} respondents in it or in "
                               "each of its themes (privacy threshold)")
            withheld += 1
            continue
        evidence = evidence_set(_need_evidence(need, themes, outbound, by_id, NEED_EVIDENCE_ITEMS, QUOTES_PER_THEME),
                                outbound.text)
        contrast = _need_contrast(need, sendable, themes, outbound, by_id)
        listed = _sendable_themes(need, themes, outbound)[:THEMES_LISTED]
        jobs.append(_Job("needs", need, "name_need", NeedNaming, {
            "keywords": ", ".join(outbound.need_keywords(need)[:10]),
            "themes": "; ".join(outbound.theme_name(t) for t in listed),
            "evidence": evidence.block(with_source=False),
            "contrast": feedback_block([{"text": v} for v in contrast]),
            "language_instruction": language_instruction(language)}, evidence, need.id))
    return withheld, len(_named_groups(out, "needs"))


def _sendable_themes(need: Need, themes: dict[int, Theme], outbound: Outbound) -> list[Theme]:
    """The need's themes at or above the threshold, largest (in respondents) first."""
    return sorted((themes[i] for i in need.theme_ids if i in themes and outbound.theme_ok(i)),
                  key=lambda t: (-t.respondents, t.id))


def _need_evidence(need: Need, themes: dict[int, Theme], outbound: Outbound, by_id: dict[str, FeedbackItem],
                   limit: int, per_theme: int) -> list[FeedbackItem]:
    """Up to ``limit`` items quoted by the need's sendable themes: each theme's first quote, largest theme
    first, then each one's second ..., at most ``per_theme`` from one theme."""
    ranked = _sendable_themes(need, themes, outbound)
    picked: dict[str, FeedbackItem] = {}
    for k in range(per_theme):
        for t in ranked:
            if len(picked) >= limit:
                return list(picked.values())
            if k < len(t.quotes) and outbound.item_ok(t.quotes[k].item_id):
                q = t.quotes[k]
                picked.setdefault(q.item_id, by_id.get(q.item_id) or FeedbackItem(id=q.item_id, text=q.text, source=q.source))
    return list(picked.values())


def _need_contrast(need: Need, sendable: list[Need], themes: dict[int, Theme], outbound: Outbound,
                   by_id: dict[str, FeedbackItem]) -> list[str]:
    """Two quotes of each of the nearest other sendable needs (by shared keywords), redacted."""
    mine = set(outbound.need_keywords(need))
    others = sorted((n for n in sendable if n.id != need.id),
                    key=lambda n: (-len(mine & set(outbound.need_keywords(n))), -n.respondents))[:CONTRAST_NEEDS]
    return [outbound.text(it.text) for n in others for it in _need_evidence(n, themes, outbound, by_id, 2, 1)]
