"""Which need a card target is about: listed need or theme ids, keywords, or closeness in meaning.

One target is one need, and the need's themes are its evidence. Praise and small talk
(``report.non_needs``) are no need: they are never matched, by meaning or by keywords.

Matching by meaning compares the target's ``need`` text with each need in the report's own vector
space (:func:`feedbackiq.themes._similarity.need_similarities`, shared with feature translation: a
need is as close as its own document or its closest theme's). The closest need is the match.
Nothing is guessed silently:

- the best need is below ``MATCH_MIN_SIMILARITY`` by more than ``AMBIGUOUS_MARGIN`` -> ``unmatched``,
  with the nearest needs listed;
- the best is just below the threshold (within ``AMBIGUOUS_MARGIN``) -> ``ambiguous``;
- another need is within ``TIE_MARGIN`` of the best -> ``ambiguous``: the text does not say which of
  them it means, and counting one of them would be a guess. Listing the right one(s) with
  ``match: {needs: [...]}`` (or an LLM confirming the match) settles it.

The thresholds were measured on the bundled samples (evals/README.md, "KPI-card matching on needs");
a team that disagrees lists need ids, theme ids or keywords instead.

Keywords are looked up in the needs' member texts, as whole words (:class:`feedbackiq._terms.TermMatcher`):
a need matches when at least ``min_share`` of its items (and ``KEYWORD_MIN_ITEMS``) carry one of them,
and the match records which keyword was found on how many of its items. One stray mention in a large
need is not demand for the target's need. Keywords are explicit, so every need that passes counts.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from feedbackiq._terms import TermMatcher
from feedbackiq.embed import Embedder
from feedbackiq.themes import need_similarities
from feedbackiq.types import CardTarget, MatchedNeed, Need, ThemeReport

__all__ = ["TargetMatch", "match_targets", "needs_of_themes", "MATCH_MIN_SIMILARITY", "AMBIGUOUS_MARGIN", "TIE_MARGIN",
           "N_CANDIDATES", "N_CONFIRM", "STRONG_MATCH"]

MATCH_MIN_SIMILARITY = 0.40
AMBIGUOUS_MARGIN = 0.05
# A match this far above the threshold (the ambiguous band's width) is strong: an LLM confirming matches
# may doubt it, with its reason shown, but not drop it (cards/_confirm.py).
STRONG_MATCH = MATCH_MIN_SIMILARITY + AMBIGUOUS_MARGIN
TIE_MARGIN = 0.05
N_CANDIDATES = 3
N_CONFIRM = 4  # needs shown to an LLM confirming a match
KEYWORD_MIN_ITEMS = 2  # a keyword match needs at least this many of the need's items


@dataclass
class TargetMatch:
    status: str                                   # matched / unmatched / ambiguous
    method: str                                   # needs / themes / keywords / similarity / none
    needs: list[MatchedNeed] = field(default_factory=list)
    candidates: list[MatchedNeed] = field(default_factory=list)
    note: str | None = None
    nearest: list[MatchedNeed] = field(default_factory=list)  # the top N_CONFIRM by similarity (for LLM confirmation)
    before: "TargetMatch | None" = None   # the similarity match, when an LLM's confirmation changed it
    changes: list[str] = field(default_factory=list)   # what the LLM's confirmation did or wanted to, with its reasons


def match_targets(targets: list[CardTarget], report: ThemeReport, embedder: Embedder | None = None) -> list[TargetMatch]:
    """Match each target (one embedding call for all ``need`` texts that need it).

    Explicit need and theme ids must exist in the report and belong to needs (checked by the caller,
    which knows the card).
    """
    by_meaning = [i for i, t in enumerate(targets) if t.need and not (t.match and (t.match.themes or t.match.needs))]
    sims = need_similarities([targets[i].need for i in by_meaning], report, embedder)  # type: ignore[misc]
    row = {i: sims[k] for k, i in enumerate(by_meaning)}
    texts = _member_texts(report) if any(t.match and t.match.keywords for t in targets) else None
    return [_match_one(t, report, row.get(i), texts) for i, t in enumerate(targets)]


def needs_of_themes(theme_ids: list[int], report: ThemeReport) -> list[MatchedNeed]:
    """The needs holding these themes, each with the listed themes as its evidence (themes of praise, in
    no need, are left out: praise is not demand)."""
    groups = {tid: n for n in report.needs for tid in n.theme_ids}
    out: dict[int, MatchedNeed] = {}
    for tid in dict.fromkeys(theme_ids):
        n = groups.get(tid)
        if n is not None:
            out.setdefault(n.id, MatchedNeed(need_id=n.id, name=n.name)).theme_ids.append(tid)
    return list(out.values())


def _whole(n: Need, similarity: float | None = None) -> MatchedNeed:
    return MatchedNeed(need_id=n.id, name=n.name, similarity=None if similarity is None else round(float(similarity), 3),
                       theme_ids=list(n.theme_ids))


def _member_texts(report: ThemeReport) -> dict[int, list[str]] | None:
    """Each need's item texts (None when the report has no items attached)."""
    if report.feedback is None:
        return None
    need_of = {tid: n.id for n in report.needs for tid in n.theme_ids}
    text = {it.id: it.text for it in report.feedback.items}
    out: dict[int, list[str]] = {}
    for a in report.assignments:
        if a.item_id in text and a.theme_id in need_of:
            out.setdefault(need_of[a.theme_id], []).append(text[a.item_id])
    return out


def _keyword_matches(keywords: list[str], min_share: float, report: ThemeReport,
                     texts: dict[int, list[str]]) -> list[MatchedNeed]:
    """Needs where enough items carry a keyword, with each keyword's item count."""
    matcher = TermMatcher(keywords)
    found = []
    for n in report.needs:
        members = texts.get(n.id, [])
        found_in = {x: matcher.find(x) for x in set(members)}  # each distinct text looked at once
        hits = [found_in[x] for x in members]
        if sum(bool(h) for h in hits) >= max(KEYWORD_MIN_ITEMS, min_share * len(members)):
            counts = {k: sum(k in h for h in hits) for k in matcher.terms}
            m = _whole(n)
            m.items, m.keyword_items = len(members), {k: c for k, c in counts.items() if c}
            found.append(m)
    return found


def _match_one(target: CardTarget, report: ThemeReport, sims: np.ndarray | None,
               texts: dict[int, list[str]] | None = None) -> TargetMatch:
    needs = report.needs
    order = [] if sims is None else list(np.argsort(-sims, kind="stable"))
    ranked = [_whole(needs[j], sims[j]) for j in order[:max(N_CANDIDATES, N_CONFIRM)]]  # type: ignore[index]
    nearest = ranked[:N_CANDIDATES]
    if target.match and target.match.needs:
        wanted = set(target.match.needs)
        return TargetMatch("matched", "needs", [_whole(n) for n in needs if n.id in wanted])
    if target.match and target.match.themes:
        return TargetMatch("matched", "themes", needs_of_themes(target.match.themes, report))
    if target.match and target.match.keywords:
        words = ", ".join(map(repr, target.match.keywords))
        if texts is None:
            return TargetMatch("unmatched", "keywords", candidates=nearest,
                               note="matching by keywords needs the needs' items (the report has none attached)")
        found = _keyword_matches(target.match.keywords, target.match.min_share, report, texts)
        if found:
            return TargetMatch("matched", "keywords", found)
        return TargetMatch("unmatched", "keywords", candidates=nearest,
                           note=f"no need has {target.match.min_share:.0%} or more of its items carrying {words} "
                                "as whole words")
    if sims is None or not len(sims):
        return TargetMatch("unmatched", "none", note="no needs to match (the report has none)")
    best = float(sims[order[0]])
    if best >= MATCH_MIN_SIMILARITY:
        tied = [m for j, m in zip(order[1:], ranked[1:]) if best - float(sims[j]) <= TIE_MARGIN]
        if tied:
            names = ", ".join(f"#{m.need_id} {m.name!r} ({m.similarity:.2f})" for m in [ranked[0], *tied])
            return TargetMatch("ambiguous", "similarity", candidates=[ranked[0], *tied], nearest=ranked[:N_CONFIRM],
                               note=f"needs {names} are about equally close: list the right one(s) with "
                                    "match: {needs: [...]}")
        return TargetMatch("matched", "similarity", [ranked[0]], nearest=ranked[:N_CONFIRM])
    if best >= MATCH_MIN_SIMILARITY - AMBIGUOUS_MARGIN:
        return TargetMatch("ambiguous", "similarity", candidates=nearest, nearest=ranked[:N_CONFIRM],
                           note=f"best similarity {best:.2f} is just below the threshold {MATCH_MIN_SIMILARITY}: "
                                "confirm with match: {needs: [...]}")
    return TargetMatch("unmatched", "similarity", candidates=nearest,
                       note=f"no need is close in meaning (best {best:.2f} < {MATCH_MIN_SIMILARITY}): nobody asked for this")
