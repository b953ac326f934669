"""Persona cards computed from the themes: who they are, what they need more than others, in their words.

This is the extractive part (no LLM): every number is computed here. Two modes:
- by a segment column (company size, industry, plan ...): one persona per value;
- data-driven, when there is no usable segment column: respondents/accounts are clustered by
  their theme profile (which needs they voice), one persona per cluster.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from feedbackiq._errors import EmptyInputError, InputError
from feedbackiq.gtm._vocab import distinctive_words
from feedbackiq.themes._describe import voice_of
from feedbackiq.themes._keywords import tokenize
from feedbackiq.types import Persona, PersonaNeed, PersonaSet, Quote, SourceKind, ThemeReport

__all__ = ["draft_personas", "CONFIDENCE_LEVELS"]

CONFIDENCE_LEVELS = {"high": 30, "medium": 10}  # respondents needed for each level


@dataclass(slots=True)   # one per respondent: a million reviews are a million voices
class _Voice:
    themes: set[int] = field(default_factory=set)
    segments: Mapping[str, str] = field(default_factory=dict)   # read only: may be an item's own
    items: list = field(default_factory=list)


def draft_personas(report: ThemeReport, by: str | None = "segment", *, min_respondents: int = 5,
                   max_personas: int = 8, top_needs: int = 5, seed: int = 0) -> PersonaSet:
    """Draft persona cards from a theme report.

    Parameters
    ----------
    report : ThemeReport
        From :func:`feedbackiq.find_themes`, with its feedback attached.
    by : str or None, default "segment"
        A segment column (e.g. ``"company_size"``); ``"segment"`` picks the column that covers
        most respondents with 2..``max_personas`` values; ``None`` (or no usable column) clusters
        respondents by their theme profile instead.
    min_respondents : int, default 5
        Smaller groups get no persona (too little evidence).

    Examples
    --------
    >>> personas = fiq.draft_personas(report, by="company_size")    # doctest: +SKIP
    >>> personas.personas[0].top_needs[0].lift                       # doctest: +SKIP
    """
    if report.feedback is None or not report.feedback.items:
        raise EmptyInputError("the report carries no feedback items; run find_themes on a FeedbackSet first")
    voices = _voices(report)
    column = _choose_column(voices, by, min_respondents, max_personas)
    if column is not None:
        groups: dict[str, list[str]] = defaultdict(list)
        for v, info in voices.items():
            if column in info.segments:
                groups[info.segments[column]].append(v)
        keyed = sorted(((k, vs) for k, vs in groups.items() if len(vs) >= min_respondents), key=lambda kv: -len(kv[1]))
        mode = "segment"
    else:
        keyed = _profile_clusters(voices, report, min_respondents, max_personas, seed)
        mode = "data_driven"
    theme_voices = Counter(t for info in voices.values() for t in info.themes)
    names = {t.id: t.name for t in report.themes}
    quotes_by_theme = {t.id: {q.item_id for q in t.quotes} for t in report.themes}
    theme_of = {a.item_id: a.theme_id for a in report.assignments}
    by_text: dict[str, list[str]] = {}   # each distinct text tokenised once; repeats share the list
    all_tokens = {it.id: by_text[it.text] if it.text in by_text else by_text.setdefault(it.text, tokenize(it.text))
                  for info in voices.values() for it in info.items}
    personas = []
    for i, (key, members) in enumerate(keyed):
        personas.append(_persona(i, column, key, members, voices, theme_voices, len(voices), names, quotes_by_theme,
                                 theme_of, all_tokens, top_needs))
    return PersonaSet(mode=mode, by=column, personas=personas, input_hash=report.input_hash)


def _voices(report: ThemeReport) -> dict[str, _Voice]:
    theme_of = {a.item_id: a.theme_id for a in report.assignments}
    voices: dict[str, _Voice] = defaultdict(_Voice)
    for it in report.feedback.items:  # type: ignore[union-attr]
        v = voices[voice_of(it)]
        v.items.append(it)
        if not v.segments:        # a voice's first item: share its (read-only) segments, no copy
            v.segments = it.segments
        elif it.segments and it.segments != v.segments:
            v.segments = {**v.segments, **it.segments}
        if theme_of.get(it.id, -1) >= 0:
            v.themes.add(theme_of[it.id])
    return dict(voices)


def _choose_column(voices: dict[str, _Voice], by: str | None, min_respondents: int, max_personas: int) -> str | None:
    columns = Counter(c for info in voices.values() for c in info.segments)
    if by is None:
        return None
    if by != "segment":
        if by not in columns:
            raise InputError(f"no segment column {by!r} in this feedback; segment columns: {sorted(columns) or 'none'}")
        return by
    usable = []
    for col, n in columns.items():
        values = Counter(info.segments[col] for info in voices.values() if col in info.segments)
        big = [v for v, c in values.items() if c >= min_respondents]
        if 2 <= len(big) <= max_personas:
            usable.append((n, col))
    return max(usable)[1] if usable else None


def _profile_clusters(voices: dict[str, _Voice], report: ThemeReport, min_respondents: int, max_personas: int,
                      seed: int) -> list[tuple[str, list[str]]]:
    """Cluster voices by which needs they voice (k chosen by silhouette)."""
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score

    ids = [v for v, info in voices.items() if info.themes]
    k_themes = max((t.id for t in report.themes), default=-1) + 1
    if len(ids) < 2 * min_respondents or k_themes < 2:
        return [("all respondents", list(voices))]
    M = np.zeros((len(ids), k_themes), dtype=np.float32)
    for r, v in enumerate(ids):
        M[r, list(voices[v].themes)] = 1.0
    M /= np.linalg.norm(M, axis=1, keepdims=True)
    best = None
    for k in range(2, min(max_personas, len(ids) // min_respondents) + 1):
        labels = KMeans(n_clusters=k, n_init=5, random_state=seed).fit_predict(M)
        score = silhouette_score(M, labels, random_state=seed) if len(set(labels)) > 1 else -1
        if best is None or score > best[0]:
            best = (score, labels)
    labels = best[1] if best else np.zeros(len(ids), dtype=int)
    groups = defaultdict(list)
    for v, lab in zip(ids, labels):
        groups[int(lab)].append(v)
    keyed = [(f"cluster {lab}", vs) for lab, vs in groups.items() if len(vs) >= min_respondents]
    return sorted(keyed, key=lambda kv: -len(kv[1]))


def _persona(i, column, key, members, voices, theme_voices, n_voices, names, quotes_by_theme, theme_of, all_tokens,
             top_n) -> Persona:
    counts = Counter(t for v in members for t in voices[v].themes)
    needs = []
    for t, c in counts.items():
        share, overall = c / len(members), theme_voices[t] / n_voices
        needs.append(PersonaNeed(theme_id=t, theme_name=names.get(t, str(t)), respondents=c, share=round(share, 4),
                                 overall_share=round(overall, 4), lift=round(share / overall, 3) if overall else 0.0))
    # Distinctive AND substantial: a need voiced by 2 of 40 at 5x lift matters less than 15 of 40 at 2x.
    needs.sort(key=lambda n: -(n.share * n.lift))
    needs = needs[:top_n]
    items = [it for v in members for it in voices[v].items]
    quotes = _quotes(items, needs, quotes_by_theme, theme_of)
    group_tokens = [all_tokens[it.id] for it in items]
    mine = {it.id for it in items}
    rest_tokens = [toks for iid, toks in all_tokens.items() if iid not in mine]
    words = [w for w, _ in distinctive_words(group_tokens, rest_tokens, top_n=10)]
    facts: dict[str, Counter] = defaultdict(Counter)
    for v in members:
        for col, val in voices[v].segments.items():
            if col != column:
                facts[col][val] += 1
    deals = [it.deal_value for it in items if it.deal_value is not None and it.source == SourceKind.SALES_NOTE]
    lost = [it.deal_value for it in items if it.deal_value is not None and it.deal_stage == "lost"]
    n = len(members)
    confidence = "high" if n >= CONFIDENCE_LEVELS["high"] else "medium" if n >= CONFIDENCE_LEVELS["medium"] else "low"
    label = f"{column}: {key}" if column else f"Persona {i + 1}: {needs[0].theme_name if needs else 'mixed needs'}"
    top = needs[0] if needs else None
    summary = (f"{n} respondents/accounts ({100 * n / n_voices:.0f}% of all)"
               + (f"; most distinctive need: {top.theme_name} ({100 * top.share:.0f}% here vs "
                  f"{100 * top.overall_share:.0f}% overall)" if top else ""))
    return Persona(id=i, label=label, summary=summary, segment={column: key} if column else {},
                   facts={c: dict(v.most_common()) for c, v in facts.items()}, respondents=n, items=len(items),
                   deal_value=float(sum(deals)) if deals else None, deals_lost_value=float(sum(lost)) if lost else None,
                   top_needs=needs, quotes=quotes, preferred_words=words, confidence=confidence)


def _quotes(items, needs: list[PersonaNeed], quotes_by_theme: dict[int, set[str]], theme_of: dict[str, int],
            k: int = 5) -> list[Quote]:
    """Verbatim quotes from the persona's own items: one per top need, the theme's own quotes preferred."""
    out, seen = [], set()
    for need in needs:
        pool = [it for it in items if it.id in quotes_by_theme.get(need.theme_id, set())]
        pool += [it for it in items if theme_of.get(it.id) == need.theme_id]
        for it in pool:
            if it.text not in seen:
                out.append(Quote(item_id=it.id, text=it.text, source=it.source, respondent_id=it.respondent_id))
                seen.add(it.text)
                break
        if len(out) >= k:
            break
    return out
