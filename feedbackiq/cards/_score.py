"""``score_cards``: each card's targets against the customer evidence in a ThemeReport.

For every target: the need it is about, with the need's themes as evidence (:mod:`._match`), the
population it looks at (the card's and target's segment filter, source filter and date window), the
metric's value with its interval (:mod:`._metrics`), pass/fail against ``min``/``max``, the attainment
ratio and a few evidence quotes. A card fails if any target fails; it is at risk if a target could not
be matched or had no data, or passed without the whole interval clearing the target; else it passes.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING

from feedbackiq._errors import CardError, EmptyInputError
from feedbackiq.cards._match import match_targets
from feedbackiq.cards._metrics import DEAL_STAGES, judge, measure
from feedbackiq.cards._readiness import readiness
from feedbackiq.cards._unowned import find_unowned
from feedbackiq.embed import Embedder
from feedbackiq._voice import rating_scales
from feedbackiq.types import (Card, CardResult, CardScores, CardSet, CardTarget, FeatureTranslation, FeedbackItem,
                              PersonaSet, PhaseStatus, Quote, SourceKind, TargetResult, TargetVerdict, ThemeReport)

if TYPE_CHECKING:
    from feedbackiq.llm import LLM

__all__ = ["score_cards", "resolve_window"]

N_EVIDENCE = 3


def score_cards(cards: CardSet, report: ThemeReport, *, personas: PersonaSet | None = None,
                translations: list[FeatureTranslation] | None = None, as_of: date | None = None,
                embedder: Embedder | None = None, llm: LLM | None = None, seed: int = 0,
                privacy_threshold: int = 3) -> CardScores:
    """Score every card's targets against the evidence.

    Parameters
    ----------
    cards : CardSet
        From :func:`feedbackiq.load_cards`.
    report : ThemeReport
        From :func:`feedbackiq.find_themes`, with its feedback attached.
    personas : PersonaSet, optional
        For ``personas_drafted`` readiness targets (else those are ``no_data``).
    translations : list of FeatureTranslation, optional
        For ``messaging_translated`` and ``proof_quotes`` readiness targets.
    as_of : date, optional
        The day phases and open-ended windows are judged at; default the file's ``as_of``, else
        the last feedback date.
    embedder : Embedder, optional
        Matches ``need`` texts to needs; default the model the report was built with.
    llm : LLM, optional
        Confirms matches made by meaning (one call per such target); see :mod:`feedbackiq.cards._confirm`.
        ``None``: no confirmation (the environment is not read: pass :meth:`LLM.from_env` for that).
    seed : int, default 0
        Seeds the bootstrap.
    privacy_threshold : int, default 3
        Needs voiced by fewer distinct respondents, and the items of themes voiced by fewer, are never
        shown to the LLM.

    Returns
    -------
    CardScores

    Raises
    ------
    CardError
        A segment column or value, or a need or theme id, that the data do not have, or a need or theme id
        of praise (naming card and field).

    Examples
    --------
    >>> scores = fiq.score_cards(fiq.load_cards("datasets/cards.yaml"), report)   # doctest: +SKIP
    >>> scores.to_pandas()[["card", "target", "status"]]                           # doctest: +SKIP
    """
    if report.feedback is None or not report.feedback.items:
        raise EmptyInputError("the report carries no feedback items; run find_themes on a FeedbackSet first")
    items = report.feedback.items
    dates = [it.created_at.date() for it in items if it.created_at]
    as_of = as_of or cards.as_of or (max(dates) if dates else date.today())
    _check_against_data(cards, report)
    targets = [(card, t) for card in cards.cards for t in card.targets]
    matches = match_targets([t for _, t in targets], report, embedder)
    outcome = None
    if llm is not None:
        from feedbackiq.cards._confirm import confirm_matches

        outcome = confirm_matches([t for _, t in targets], matches, report, llm, min_respondents=privacy_threshold)
    theme_of = {a.item_id: a.theme_id for a in report.assignments}
    scales = rating_scales(items)
    results: dict[int, list[TargetResult]] = {}
    for (card, t), m in zip(targets, matches):
        if t.metric in {"personas_drafted", "messaging_translated", "proof_quotes"}:
            res = readiness(card, t, personas, translations, report)
        else:
            res = _score_feedback_target(card, t, m, items, theme_of, scales, as_of, seed)
            res.llm_changes = list(m.changes)
            if m.before is not None:   # the LLM changed the match: the verdict without it, shown beside
                wo = _score_feedback_target(card, t, m.before, items, theme_of, scales, as_of, seed)
                res.without_llm = TargetVerdict(status=wo.status, actual=wo.actual, ci_low=wo.ci_low, ci_high=wo.ci_high,
                                                needs=wo.needs)
        if t.moscow or res.needs:
            _moscow(res, t, report)
        results.setdefault(id(card), []).append(res)
    out = [_card_result(card, results[id(card)], as_of) for card in cards.cards]
    owned = {m.need_id for c in out for r in c.targets if r.status not in ("unmatched", "ambiguous") for m in r.needs}
    return CardScores(as_of=as_of, cards=out, unowned=find_unowned(report, owned),
                      parameters={"source": cards.source, "seed": seed, "embedding": report.model_ids.get("embedding")},
                      llm_outcome=outcome)


def resolve_window(window, launch: date | None, as_of: date) -> tuple[date | None, date | None]:
    """``(start, end)`` of a target's window: start inclusive, end exclusive; ``None`` is open."""
    if window is None:
        return None, None
    start = launch if window.after == "launch" else window.after
    end = launch if window.before == "launch" else window.before
    if window.days:
        if start is not None and end is None:
            end = start + timedelta(days=window.days)
        elif end is not None and start is None:
            start = end - timedelta(days=window.days)
        elif start is None:
            end = as_of + timedelta(days=1)
            start = end - timedelta(days=window.days)
    return start, end


def _population(items: list[FeedbackItem], segment: dict, sources: list[SourceKind], start: date | None,
                end: date | None) -> tuple[list[FeedbackItem], int]:
    """Items in the segment/source/window, and how many were left out for having no date."""
    keep, undated = [], 0
    wanted = {col: set(v if isinstance(v, list) else [v]) for col, v in segment.items()}
    for it in items:
        if any(it.segments.get(col) not in vals for col, vals in wanted.items()):
            continue
        if sources and it.source not in sources:
            continue
        if start is not None or end is not None:
            if it.created_at is None:
                undated += 1
                continue
            d = it.created_at.date()
            if (start is not None and d < start) or (end is not None and d >= end):
                continue
        keep.append(it)
    return keep, undated


def _score_feedback_target(card: Card, t: CardTarget, m, items, theme_of, scales, as_of: date, seed: int) -> TargetResult:
    res = _blank(card, t)
    res.match_method, res.candidates = m.method, m.candidates
    if m.status != "matched":
        res.status, res.note = m.status, m.note
        return res
    res.needs = m.needs
    llm_note = [m.note] if m.note else []  # a matched target has a note only from LLM confirmation
    wanted = {tid for x in m.needs for tid in x.theme_ids}
    start, end = resolve_window(t.window, card.launch_date, as_of)
    if t.window and t.window.after is not None and end is None:
        end = as_of + timedelta(days=1)  # an open window runs to the as-of day
    segment = {**card.segment, **t.segment}
    pop, undated = _population(items, segment, t.source, start, end)
    matched = {it.id for it in pop if theme_of.get(it.id) in wanted}
    value = measure(t.metric, pop, matched, scales, seed)
    notes = llm_note + ([value.note] if value.note else [])
    if undated:
        notes.append(f"{undated} items without a date left out of the window")
    if t.metric == "mention_share" and start is not None:
        length = (end or as_of + timedelta(days=1)) - start
        base_pop, _ = _population(items, segment, t.source, start - length, start)
        base = measure(t.metric, base_pop, {it.id for it in base_pop if theme_of.get(it.id) in wanted}, scales, seed)
        res.baseline = base.actual
        notes.append(f"baseline window {start - length} to {start}")
    res.actual, res.ci_low, res.ci_high, res.n = value.actual, value.ci_low, value.ci_high, value.n
    res.note = "; ".join(notes) or None
    res.evidence = _evidence(t.metric, [it for it in pop if it.id in matched])
    judge(res)
    return res


def _blank(card: Card, t: CardTarget) -> TargetResult:
    return TargetResult(card=card.name, kind=card.kind, target=t.label(), metric=t.metric, direction=t.direction,
                        target_value=t.value, status="no_data", moscow=t.moscow, phase=t.phase)


def _evidence(metric: str, hits: list[FeedbackItem]) -> list[Quote]:
    if metric in DEAL_STAGES or metric == "accounts_affected":
        stages = DEAL_STAGES.get(metric)
        hits = sorted((it for it in hits if it.source == SourceKind.SALES_NOTE and (stages is None or it.deal_stage in stages)),
                      key=lambda it: -(it.deal_value or 0))
    return [Quote(item_id=it.id, text=it.text, source=it.source, respondent_id=it.respondent_id) for it in hits[:N_EVIDENCE]]


def _moscow(res: TargetResult, t: CardTarget, report: ThemeReport) -> None:
    """The evidence's MoSCoW class (LLM naming, weighted by respondents) beside the team's: a need's own
    class, else its evidence themes' classes."""
    votes: dict[str, int] = {}
    themes = {x.id: x for x in report.themes}
    groups = {n.id: n for n in (*report.needs, *report.non_needs)}
    for m in res.needs:
        need = groups.get(m.need_id)
        voters = [need] if need is not None and need.moscow else [themes[i] for i in m.theme_ids if i in themes]
        for g in voters:
            if g.moscow:
                votes[g.moscow] = votes.get(g.moscow, 0) + g.respondents
    if votes:
        res.moscow_evidence = max(votes, key=votes.get)  # type: ignore[arg-type]
        res.moscow_disagrees = t.moscow is not None and res.moscow_evidence != t.moscow


def _card_result(card: Card, targets: list[TargetResult], as_of: date) -> CardResult:
    statuses = {r.status for r in targets}
    if "fail" in statuses:
        status = "fail"
    elif statuses & {"unmatched", "ambiguous", "no_data"} or any(r.status == "pass" and not r.confident for r in targets):
        status = "at_risk"
    else:
        status = "pass"
    phases = []
    for ph in card.phases:
        due = [r for r in targets if r.phase == ph.name]
        ready = all(r.status == "pass" for r in due)
        phases.append(PhaseStatus(name=ph.name, start=ph.start, targets=[r.target for r in due],
                                  status="upcoming" if ph.start > as_of else "ready" if ready else "behind"))
    return CardResult(name=card.name, kind=card.kind, owner=card.owner, status=status, targets=targets, phases=phases,
                      feature=card.feature, launch_date=card.launch_date)


def _check_against_data(cards: CardSet, report: ThemeReport) -> None:
    """Segment columns/values and need or theme ids the cards name must exist in the data, and be needs:
    praise is not demand, so a need or theme id of a non-need group is an error too."""
    from feedbackiq.cards._spec import line_at

    values: dict[str, set[str]] = {}
    for it in report.feedback.items:  # type: ignore[union-attr]
        for col, v in it.segments.items():
            values.setdefault(col, set()).add(v)
    for ci, card in enumerate(cards.cards):
        label = f"card {ci + 1} ({card.name!r})"
        filters = [(("segment",), card.segment)]
        for ti, t in enumerate(card.targets):
            filters += [(("targets", ti, "segment"), t.segment), (("targets", ti, "segments"), t.segments)]
            for kind in ("needs", "themes"):
                problem = _id_problem(kind, getattr(t.match, kind) if t.match else [], report)
                if problem:
                    loc = ("targets", ti, "match", kind)
                    raise CardError(problem, file=cards.source, line=line_at(cards.source, ci, loc), card=label,
                                    field=".".join(map(str, loc)))
        for loc, seg in filters:
            for col, v in seg.items():
                where = (*loc, col)
                if col not in values:
                    raise CardError(f"no segment column {col!r} in the data; columns: {', '.join(sorted(values)) or '(none)'}",
                                    file=cards.source, line=line_at(cards.source, ci, where), card=label,
                                    field=".".join(map(str, where)))
                for x in v if isinstance(v, list) else [v]:
                    if str(x) not in values[col]:
                        raise CardError(f"no {col!r} value {x!r} in the data; values: {', '.join(sorted(values[col]))}",
                                        file=cards.source, line=line_at(cards.source, ci, where), card=label,
                                        field=".".join(map(str, where)))


def _id_problem(kind: str, ids: list[int], report: ThemeReport) -> str | None:
    """Why listed need or theme ids cannot be a target's evidence (None when they can)."""
    need_ids = [n.id for n in report.needs]
    if kind == "needs":
        known, apart = set(need_ids), {n.id: n for n in report.non_needs}
    else:
        known = {tid for n in report.needs for tid in n.theme_ids}
        apart = {tid: n for n in report.non_needs for tid in n.theme_ids}
    for x in ids:
        if x in apart:
            return (f"{kind[:-1]} {x} is in {apart[x].name!r}, which is {apart[x].kind}, not a need: card targets "
                    f"count needs; need ids: {_id_range(need_ids)}")
        if kind == "themes" and x not in known and any(t.id == x for t in report.themes):
            return f"theme {x} is in no need of the report; need ids: {_id_range(need_ids)}"
        if x not in known:
            every = [t.id for t in report.themes] if kind == "themes" else need_ids
            return f"no {kind[:-1]} {x} in the report; {kind[:-1]} ids: {_id_range(every)}"
    return None


def _id_range(ids: list[int]) -> str:
    return f"{min(ids)}..{max(ids)}" if ids else "(none)"
