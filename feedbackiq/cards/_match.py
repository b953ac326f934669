"""Which themes a card target is about: listed theme ids, keywords, or closeness in meaning.

Matching by meaning compares the target's ``need`` text with each theme's document (name,
keywords, quotes) in the report's own vector space (:mod:`feedbackiq.themes._similarity`, shared
with feature translation). One need is often several themes (the same need said in Chinese and in
English, or framed as cost by some and as coordination by others), so every theme at or above
``MATCH_MIN_SIMILARITY`` counts, as long as it is within ``MATCH_BAND`` of the best one (a strong
match should not drag in loosely related themes). Nothing is guessed silently:

- no theme reaches the threshold -> ``unmatched``, with the nearest candidates listed;
- the best is just below it (within ``AMBIGUOUS_MARGIN``) -> ``ambiguous``, with the candidates.

The defaults were set on the bundled samples with the multilingual model (true matches scored
0.33-0.61, unrelated needs 0.14-0.24); a team that disagrees lists theme ids or keywords instead.

Keywords are looked up in the themes' member texts, as whole words (:class:`feedbackiq._terms.TermMatcher`):
a theme matches when at least ``min_share`` of its items (and ``KEYWORD_MIN_ITEMS``) carry one of them,
and the match records which keyword was found on how many of its items. One stray mention in a large
theme is not demand for the target's need.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from feedbackiq._terms import TermMatcher
from feedbackiq.embed import Embedder
from feedbackiq.themes._similarity import theme_similarities
from feedbackiq.types import CardTarget, MatchedTheme, ThemeReport

__all__ = ["TargetMatch", "match_targets", "MATCH_MIN_SIMILARITY", "AMBIGUOUS_MARGIN", "MATCH_BAND", "N_CANDIDATES"]

MATCH_MIN_SIMILARITY = 0.30
AMBIGUOUS_MARGIN = 0.05
MATCH_BAND = 0.25
N_CANDIDATES = 3
N_CONFIRM = 6  # themes shown to an LLM confirming a match
KEYWORD_MIN_ITEMS = 2  # a keyword match needs at least this many of the theme's items


@dataclass
class TargetMatch:
    status: str                                   # matched / unmatched / ambiguous
    method: str                                   # themes / keywords / similarity / none
    themes: list[MatchedTheme] = field(default_factory=list)
    candidates: list[MatchedTheme] = field(default_factory=list)
    note: str | None = None
    nearest: list[MatchedTheme] = field(default_factory=list)  # the top N_CONFIRM by similarity (for LLM confirmation)


def match_targets(targets: list[CardTarget], report: ThemeReport, embedder: Embedder | None = None) -> list[TargetMatch]:
    """Match each target (one embedding call for all ``need`` texts that need it).

    Explicit theme ids must exist in the report (checked by the caller, which knows the card).
    """
    by_meaning = [i for i, t in enumerate(targets) if t.need and not (t.match and t.match.themes)]
    sims = theme_similarities([targets[i].need for i in by_meaning], report, embedder)  # type: ignore[misc]
    row = {i: sims[k] for k, i in enumerate(by_meaning)}
    texts = _member_texts(report) if any(t.match and t.match.keywords for t in targets) else None
    return [_match_one(t, report, row.get(i), texts) for i, t in enumerate(targets)]


def _member_texts(report: ThemeReport) -> dict[int, list[str]] | None:
    """Each theme's item texts (None when the report has no items attached)."""
    if report.feedback is None:
        return None
    text = {it.id: it.text for it in report.feedback.items}
    out: dict[int, list[str]] = {}
    for a in report.assignments:
        if a.item_id in text:
            out.setdefault(a.theme_id, []).append(text[a.item_id])
    return out


def _keyword_matches(keywords: list[str], min_share: float, report: ThemeReport,
                     texts: dict[int, list[str]]) -> list[MatchedTheme]:
    """Themes where enough items carry a keyword, with each keyword's item count."""
    matcher = TermMatcher(keywords)
    found = []
    for t in report.themes:
        members = texts.get(t.id, [])
        hits = [matcher.find(x) for x in members]
        carrying = sum(bool(h) for h in hits)
        if carrying >= max(KEYWORD_MIN_ITEMS, min_share * len(members)):
            counts = {k: sum(k in h for h in hits) for k in matcher.terms}
            found.append(MatchedTheme(theme_id=t.id, name=t.name, items=len(members),
                                      keyword_items={k: n for k, n in counts.items() if n}))
    return found


def _match_one(target: CardTarget, report: ThemeReport, sims: np.ndarray | None,
               texts: dict[int, list[str]] | None = None) -> TargetMatch:
    themes = report.themes
    ranked = [] if sims is None else [MatchedTheme(theme_id=themes[j].id, name=themes[j].name, similarity=round(float(sims[j]), 3))
                                      for j in np.argsort(-sims)[:max(N_CANDIDATES, N_CONFIRM)]]
    nearest = ranked[:N_CANDIDATES]
    if target.match and target.match.themes:
        wanted = set(target.match.themes)
        return TargetMatch("matched", "themes", [MatchedTheme(theme_id=t.id, name=t.name) for t in themes if t.id in wanted])
    if target.match and target.match.keywords:
        words = ", ".join(map(repr, target.match.keywords))
        if texts is None:
            return TargetMatch("unmatched", "keywords", candidates=nearest,
                               note="matching by keywords needs the themes' items (the report has none attached)")
        found = _keyword_matches(target.match.keywords, target.match.min_share, report, texts)
        if found:
            return TargetMatch("matched", "keywords", found)
        return TargetMatch("unmatched", "keywords", candidates=nearest,
                           note=f"no theme has {target.match.min_share:.0%} or more of its items carrying {words} "
                                "as whole words")
    if sims is None or not len(sims):
        return TargetMatch("unmatched", "none", note="no themes to match")
    best = float(sims.max())
    if best >= MATCH_MIN_SIMILARITY:
        floor = max(MATCH_MIN_SIMILARITY, best - MATCH_BAND)
        found = [MatchedTheme(theme_id=themes[j].id, name=themes[j].name, similarity=round(float(sims[j]), 3))
                 for j in np.argsort(-sims) if sims[j] >= floor]
        return TargetMatch("matched", "similarity", found, nearest=_union(found, ranked[:N_CONFIRM]))
    if best >= MATCH_MIN_SIMILARITY - AMBIGUOUS_MARGIN:
        return TargetMatch("ambiguous", "similarity", candidates=nearest, nearest=ranked[:N_CONFIRM],
                           note=f"best similarity {best:.2f} is just below the threshold {MATCH_MIN_SIMILARITY}: "
                                "confirm with match: {themes: [...]}")
    return TargetMatch("unmatched", "similarity", candidates=nearest,
                       note=f"no theme is close in meaning (best {best:.2f} < {MATCH_MIN_SIMILARITY}): nobody asked for this")


def _union(first: list[MatchedTheme], more: list[MatchedTheme]) -> list[MatchedTheme]:
    seen = {m.theme_id for m in first}
    return first + [m for m in more if m.theme_id not in seen]
