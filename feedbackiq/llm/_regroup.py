"""An LLM's regrouping of themes into needs (one call over the theme list), kept where the embeddings agree.

The model sees every theme it may see (id, keyword name, two redacted quotes, current need) and replies
with a partition of their ids into needs. A reply that is not a partition (an id missing, repeated or
unknown) goes back once with what is wrong, then the grouping is kept. A valid reply is compared with
the grouping, change by change, and each change is judged on the theme vectors (the normalised sum of a
theme's item vectors; a need's is that of its themes' items):

- **merge** (every sendable theme of need A goes to one other need B): kept when the cosine of A's and
  B's vectors reaches the *floor*;
- **move** (theme t leaves need A for need B, or for a new need with other moved themes): kept when t's
  cosine to B's other themes reaches the floor and is at most ``margin`` below its cosine to A's
  other themes (the evidence does not say it was better where it was);
- **split** (t alone in a new need): kept when t's cosine to A's other themes is below *apart*.

Both standards are the grouping's own. The floor is the 10th percentile, over the themes of needs of two
or more themes, of a theme's cosine to the other themes of its need: a change no closer than the looser
memberships the grouping itself made is not kept. *Apart* is the median cosine between two needs: a theme
is split off only when it is no nearer the rest of its need than needs are to each other (splitting a need
into its phrasings is what needs exist to undo). The rule is conservative: a change the embeddings do not
support (a theme whose words are another need's) is rejected even when the LLM is right. Every
change, kept or not, is logged with its numbers in ``llm_stats["regrouping"]``; kept changes rebuild
the needs (:func:`feedbackiq.themes._rebuild.rebuild_needs`). Themes a team's override file placed
(split, moved, or in a need it merged or renamed) stay where they are: their needs are not sent.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, Field

from feedbackiq.llm._client import LLM, no_llm_hint
from feedbackiq.llm._outbound import Outbound
from feedbackiq.llm._outcome import EXPECTED_FAILURES, failure_reason, tally
from feedbackiq.llm._prompts import feedback_block
from feedbackiq.types import LLMOutcome, Theme, ThemeReport

__all__ = ["NeedRegrouping", "ProposedNeed", "propose_regrouping", "regroup_and_name", "partition_problems", "standard",
           "judge", "MARGIN", "FLOOR_PERCENTILE"]

log = logging.getLogger("feedbackiq")
MARGIN = 0.05
FLOOR_PERCENTILE = 10
QUOTES_SHOWN = 2


class ProposedNeed(BaseModel):
    """One need of the proposal: the ids of its themes."""

    theme_ids: list[int] = Field(min_length=1)
    label: str = ""   # no max_length: a schema cap cuts text mid-sentence; the label is not shown


class NeedRegrouping(BaseModel):
    """What the model returns: the themes grouped into needs."""

    needs: list[ProposedNeed] = Field(min_length=1)


def partition_problems(reply: NeedRegrouping, ids: set[int]) -> list[str]:
    """Why ``reply`` is not a partition of ``ids`` (empty when it is).

    >>> partition_problems(NeedRegrouping(needs=[{"theme_ids": [1, 2]}, {"theme_ids": [2, 9]}]), {1, 2, 3})
    ['theme ids not given: [9]', 'theme ids in more than one need: [2]', 'theme ids left out: [3]']
    """
    seen = Counter(i for n in reply.needs for i in n.theme_ids)
    problems = []
    if unknown := sorted(set(seen) - ids):
        problems.append(f"theme ids not given: {unknown}")
    if twice := sorted(i for i, c in seen.items() if c > 1 and i in ids):
        problems.append(f"theme ids in more than one need: {twice}")
    if missing := sorted(ids - set(seen)):
        problems.append(f"theme ids left out: {missing}")
    return problems


@dataclass
class _Change:
    kind: Literal["merge", "move", "split"]
    themes: list[int]
    source: int                            # a need id of the input report
    target: int | None                     # a need id of the input report; None: a new need
    companions: list[int] = field(default_factory=list)   # the other themes of a new need
    similarity: float | None = None        # to the target (merge, move); to the source's other themes (split)
    to_source: float | None = None         # a moved theme's cosine to the other themes of its need
    kept: bool = False
    why: str = ""


def propose_regrouping(report: ThemeReport, llm: LLM | None = None, *, vectors: np.ndarray | None = None,
                       embedder: Any = None, min_respondents: int = 3, redact: bool = True,
                       margin: float = MARGIN) -> ThemeReport:
    """Ask the LLM to regroup the themes into needs; keep the changes the embeddings support.

    Parameters
    ----------
    report : ThemeReport
        From :func:`feedbackiq.find_themes`, with its feedback attached.
    llm : LLM, optional
        ``None`` (the environment is not read: pass :meth:`LLM.from_env` for that): the report is
        returned unchanged and one line says how to give an LLM.
    vectors : ndarray, optional
        One vector per distinct text of the report's items, in order of first appearance (a run's embed
        stage). Default: embedded again by ``embedder`` (the report's model; its disk cache usually has them).
    embedder : Embedder, optional
    min_respondents : int, default 3
        Privacy threshold: a theme voiced by fewer distinct respondents is not shown (and stays in its need).
    redact : bool, default True
    margin : float, default 0.05
        How much nearer a moved theme may have been to its old need than to its new one.

    Returns
    -------
    ThemeReport
        A new report: needs rebuilt when a change was kept (need ids are given again, largest first,
        and needs are named offline again: name them after), ``llm_stats["regrouping"]`` with every
        change (kept or not, with its cosines and the standards) and ``llm_outcome`` for the call.
    """
    if llm is None:
        log.warning(no_llm_hint("propose_regrouping"))
        return report.model_copy(update={"llm_stats": {**report.llm_stats, "regrouping": {"skipped": "no LLM configured"}}})
    outbound = Outbound(report, min_respondents, redact)
    themes = {t.id: t for t in report.themes}
    fixed = set(report.parameters.get("themes_fixed_by_overrides") or [])
    open_needs = [n for n in report.needs if n.kind == "need" and not fixed & set(n.theme_ids)]
    shown = sorted((themes[i] for n in open_needs for i in n.theme_ids if i in themes and outbound.theme_ok(i)),
                   key=lambda t: (t.need_id, -t.respondents, t.id))
    stats: dict[str, Any] = {"themes_shown": len(shown), "changes": [], "kept": 0, "rejected": 0, "notes": []}
    if len(shown) < 2:
        stats["notes"].append("fewer than two themes may be sent: nothing to regroup")
        return _done(report, stats, None)
    records = [{"theme": t.id, "keywords": outbound.theme_name(t), "need": t.need_id,
                "quotes": [outbound.text(q.text) for q in t.quotes if outbound.item_ok(q.item_id)][:QUOTES_SHOWN]}
               for t in shown]
    ids = {t.id for t in shown}

    def check(reply: NeedRegrouping) -> None:
        if problems := partition_problems(reply, ids):
            raise ValueError("not a partition of the themes given: " + "; ".join(problems))

    try:
        reply = llm.generate("regroup_needs", {"themes": feedback_block(records), "n_themes": str(len(shown)),
                                               "n_needs": str(len({t.need_id for t in shown}))},
                             NeedRegrouping, check=check, validation_retries=1)
    except EXPECTED_FAILURES as exc:
        stats["notes"].append(f"no regrouping ({failure_reason(exc)}): the grouping is kept")
        return _done(report, stats, tally("need regroupings", 0, [(0, exc)]))
    outcome = tally("need regroupings", 1, [])
    changes = _changes([n.theme_ids for n in reply.needs], themes, report)
    if not changes:
        stats["notes"].append("the LLM kept the grouping")
        return _done(report, stats, outcome)

    from feedbackiq.themes import item_labels, rebuild_needs, report_vectors, theme_sums

    Xu, inverse = report_vectors(report, vectors, embedder)
    sums = theme_sums(item_labels(report), Xu, inverse, max(themes) + 1)
    members = {n.id: [i for i in n.theme_ids if i in themes] for n in (*report.needs, *report.non_needs)}
    std = standard(sums, [members[n.id] for n in report.needs if n.kind == "need"], margin)
    stats.update({k: v if v is None else round(v, 4) for k, v in asdict(std).items()})
    for ch in changes:
        judge(ch, sums, members, std)
    _alone_again(changes, sums, members, std)
    need_of_theme = np.full(max(themes) + 1, -1)
    for t in report.themes:
        need_of_theme[t.id] = -1 if t.need_id is None else t.need_id
    new_label = max(members, default=-1) + 1
    labels: dict[tuple[int, ...], int] = {}
    for ch in changes:
        if not ch.kept:
            continue
        if ch.kind == "merge":
            need_of_theme[members[ch.source]] = ch.target
        else:  # moved to a need, or to a new one (one label per proposed group)
            key = tuple(sorted(ch.themes + ch.companions))
            label = ch.target if ch.target is not None else labels.setdefault(key, new_label + len(labels))
            need_of_theme[ch.themes] = label
    out = report
    if any(ch.kept for ch in changes):
        groups = [*report.needs, *report.non_needs]
        out = rebuild_needs(report, need_of_theme, Xu, inverse,
                            names={n.id: n.name for n in groups if n.label_source == "override"},
                            kinds={n.id: n.kind for n in groups})
    now = {t.id: t.need_id for t in out.themes}
    names = {n.id: n.name for n in (*report.needs, *report.non_needs)}
    for ch in changes:
        stats["kept" if ch.kept else "rejected"] += 1
        stats["changes"].append({k: (round(v, 4) if isinstance(v, float) else v) for k, v in asdict(ch).items()})
        note = _describe(ch, names, themes) + (f": kept (now need {now[ch.themes[0]]})" if ch.kept else ": not kept")
        stats["notes"].append(f"{note}; {ch.why}")
        log.info("LLM regrouping: %s", stats["notes"][-1])
    return _done(out, stats, outcome)


def regroup_and_name(report: ThemeReport, llm: LLM | None, *, regroup: bool = False, level: str = "needs",
                     vectors: np.ndarray | None = None, language: str = "same", min_respondents: int = 3,
                     redact: bool = True) -> ThemeReport:
    """:func:`propose_regrouping` (with ``regroup``), then :func:`~feedbackiq.llm.name_themes` at ``level``:
    what a run's names stage does. The returned ``llm_outcome`` counts the calls of both."""
    from feedbackiq.llm._naming import name_themes

    regrouped = None
    if regroup:
        report = propose_regrouping(report, llm, vectors=vectors, min_respondents=min_respondents, redact=redact)
        regrouped = report.llm_outcome
    named = name_themes(report, llm, language=language, min_respondents=min_respondents, redact=redact, level=level)
    if regrouped is not None:
        named.llm_outcome = LLMOutcome.merge("names and regroupings", [regrouped, named.llm_outcome])
    return named


def _done(report: ThemeReport, stats: dict[str, Any], outcome: Any) -> ThemeReport:
    return report.model_copy(update={"llm_stats": {**report.llm_stats, "regrouping": stats}, "llm_outcome": outcome})


def _changes(groups: list[list[int]], themes: dict[int, Theme], report: ThemeReport) -> list[_Change]:
    """The proposal against the grouping: each proposed group is the need whose shown items it holds the
    largest share of (each need at most one group; on a tie the group holding more items, then the
    lower ids); what else it holds moved there, and a group that is no need's is a new need."""
    need_of = {t: themes[t].need_id for g in groups for t in g}
    overlap, shown = Counter(), Counter()
    for g, ids in enumerate(groups):
        for t in ids:
            overlap[g, need_of[t]] += themes[t].size
            shown[need_of[t]] += themes[t].size
    home: dict[int, int] = {}
    for (g, need), n in sorted(overlap.items(), key=lambda kv: (-kv[1] / shown[kv[0][1]], -kv[1], kv[0])):
        if g not in home and need not in home.values():
            home[g] = need
    dest = {t: (home.get(g), g) for g, ids in enumerate(groups) for t in ids}
    changes = []
    by_source: dict[int, list[int]] = {}
    for t in need_of:
        by_source.setdefault(need_of[t], []).append(t)
    for source, shown in sorted(by_source.items()):
        moved = sorted(t for t in shown if dest[t][0] != source)
        targets = {dest[t][0] for t in moved}
        if moved and len(moved) == len(shown) and len(targets) == 1 and None not in targets:
            changes.append(_Change("merge", moved, source, targets.pop()))
            continue
        for t in moved:
            target, g = dest[t]
            companions = sorted(u for u in groups[g] if u != t) if target is None else []
            changes.append(_Change("move" if target is not None or companions else "split", [t], source, target, companions))
    return changes


def _unit(v: np.ndarray) -> np.ndarray:
    n = float(np.linalg.norm(v))
    return v / n if n else v


def _cos(sums: np.ndarray, a: list[int], b: list[int]) -> float | None:
    if not a or not b:
        return None
    return float(_unit(sums[a].sum(axis=0)) @ _unit(sums[b].sum(axis=0)))


@dataclass
class _Standard:
    floor: float | None     # a low percentile of a theme's cosine to the rest of its need
    apart: float | None     # the median cosine between two needs
    margin: float


def standard(sums: np.ndarray, needs: list[list[int]], margin: float = MARGIN) -> _Standard:
    """The grouping's own standards, from its needs (theme ids each) and the themes' summed vectors."""
    cohesion = [_cos(sums, [t], [u for u in ids if u != t]) for ids in needs if len(ids) > 1 for t in ids]
    between = [_cos(sums, a, b) for i, a in enumerate(needs) for b in needs[i + 1:]]
    return _Standard(float(np.percentile(cohesion, FLOOR_PERCENTILE)) if cohesion else None,
                     float(np.median(between)) if between else None, margin)


def judge(ch: _Change, sums: np.ndarray, members: dict[int, list[int]], std: _Standard) -> None:
    """Keep the change or not, with why (its cosines against the standards)."""
    floor, margin = std.floor, std.margin
    if floor is None or std.apart is None:
        ch.why = "no need of two or more themes to measure a change against"
        return
    rest = [u for u in members[ch.source] if u not in ch.themes]
    if ch.kind == "merge":
        ch.similarity = _cos(sums, members[ch.source], members[ch.target])
        ch.kept = ch.similarity >= floor
        ch.why = f"cosine of the two needs {ch.similarity:.2f} {'>=' if ch.kept else '<'} floor {floor:.2f}"
        return
    ch.to_source = _cos(sums, ch.themes, rest)
    if ch.kind == "split":
        ch.similarity = ch.to_source
        ch.kept = ch.to_source is not None and ch.to_source < std.apart
        ch.why = (f"cosine to the rest of its need {ch.to_source:.2f} {'<' if ch.kept else '>='} "
                  f"{std.apart:.2f}, the median between two needs" if ch.to_source is not None
                  else "its need has no other theme")
        return
    others = [u for u in members[ch.target] if u not in ch.themes] if ch.target is not None else ch.companions
    ch.similarity = _cos(sums, ch.themes, others)
    near_enough = ch.to_source is None or ch.similarity >= ch.to_source - margin
    ch.kept = ch.similarity is not None and ch.similarity >= floor and near_enough
    ch.why = (f"cosine to its new need {ch.similarity:.2f} (floor {floor:.2f}), to its old need "
              + ("-" if ch.to_source is None else f"{ch.to_source:.2f}") + f" (margin {margin:.2f})")


def _alone_again(changes: list[_Change], sums: np.ndarray, members: dict[int, list[int]], std: _Standard) -> None:
    """A move to a new need whose companions all stay where they were is judged as a split."""
    kept = {t for ch in changes if ch.kept for t in ch.themes}
    for ch in changes:
        if ch.kept and ch.kind == "move" and ch.target is None and not kept & set(ch.companions):
            ch.kind, ch.companions = "split", []
            judge(ch, sums, members, std)


def _describe(ch: _Change, names: dict[int, str], themes: dict[int, Theme]) -> str:
    def need(i: int | None) -> str:
        return "a new need" if i is None else f"need {i} ({names.get(i, '?')!r})"

    if ch.kind == "merge":
        return f"merge {need(ch.source)} into {need(ch.target)}"
    theme = f"theme {ch.themes[0]} ({themes[ch.themes[0]].name!r})"
    if ch.kind == "split":
        return f"split {theme} from {need(ch.source)} into a need of its own"
    return f"move {theme} from {need(ch.source)} to {need(ch.target)}" + (
        f" with themes {', '.join(map(str, ch.companions))}" if ch.companions else "")
