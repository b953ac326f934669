"""Persona cards computed from the needs: who they are, what they need more than others, in their words.

This is the extractive part (no LLM): every number is computed here. A persona's needs are the
report's needs (``ThemeReport.needs``); praise and small talk (``non_needs``) and the "other" bucket
are never a need of anyone. Modes:
- by a segment column (company size, industry, plan ...): one persona per value, titled by who it is
  (``_titles``: "Enterprise manufacturers (1000+ employees, Enterprise plan)");
- data-driven: respondents/accounts clustered by their need profile (which needs they voice), one
  persona per cluster, titled by who they are and their lead need;
- ``"auto"`` (the default of ``feedbackiq run``): data-driven when the clusters are distinct groups
  (:func:`why_not_distinct`: each persona's lead need has lift >= 2 and share >= 40%, and no two lead
  with the same need), else by segment, and the set's ``note`` says why.
Each persona carries its words (``_vocab.top_phrases`` of its feedback on needs against everyone
else's) and, from its sales notes, objections and buying triggers (``_sales``, cited sentences).

Voices (respondents/accounts) are held as arrays, not an object each, so that a million of them fit
(evals/README.md, "Scale: 1M rows end to end").
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence

import numpy as np

from feedbackiq._errors import EmptyInputError, InputError
from feedbackiq.gtm._sales import sales_claims, strip_lead_in
from feedbackiq.gtm._titles import persona_title
from feedbackiq.gtm._vocab import phrases, top_phrases
from feedbackiq.types import FeedbackItem, Persona, PersonaNeed, PersonaSet, Quote, SourceKind, ThemeReport

__all__ = ["draft_personas", "CONFIDENCE_LEVELS", "quoted_items", "why_not_distinct", "DISTINCT_LIFT", "DISTINCT_SHARE"]

log = logging.getLogger("feedbackiq")
CONFIDENCE_LEVELS = {"high": 30, "medium": 10}  # respondents needed for each level
# Above this many voices with needs, the data-driven mode clusters their distinct need profiles
# (weighted by how many voices share each) and scores k on a seeded sample of voices: a dense
# voices x needs matrix and an all-pairs silhouette do not fit at a million reviews.
PROFILE_SAMPLE = 10_000
# Groups by need profile are people, not noise, when each is led by a need most of it voices and few
# others do: the lead need's lift and its share in the group.
DISTINCT_LIFT = 2.0
DISTINCT_SHARE = 0.4
_PREFERRED = ("company_size", "industry", "plan")


class _Voices:
    """Every item's voice as an index (in order of first appearance), each voice's segments, and
    the distinct (voice, need) pairs."""

    def __init__(self, items: Sequence[FeedbackItem], need: np.ndarray) -> None:
        index: dict[str, int] = {}
        of_item = np.empty(len(items), dtype=np.int64)
        segments: list[Mapping[str, str]] = []
        for i, it in enumerate(items):
            if not it.respondent_id:   # a voice of its own (voice_of: "item:<id>"): no dict entry needed
                v = len(segments)
                segments.append(it.segments)
            else:
                v = index.get(it.respondent_id, -1)
                if v < 0:
                    v = index[it.respondent_id] = len(segments)
                    segments.append(it.segments)     # read only: shared with the first item
                elif it.segments and it.segments != segments[v]:
                    segments[v] = {**segments[v], **it.segments}
            of_item[i] = v
        self.of_item, self.segments, self.n = of_item, segments, len(segments)
        has = need >= 0
        width = int(need.max(initial=0)) + 1
        pairs = np.unique(of_item[has] * width + need[has])
        self.pair_voice, self.pair_need = pairs // width, pairs % width
        found, counts = np.unique(self.pair_need, return_counts=True)
        self.voices_per_need: dict[int, int] = dict(zip(found.tolist(), counts.tolist()))


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
        respondents by their need profile (the needs each voices) instead; ``"auto"`` clusters by need
        profile when that finds distinct groups (:func:`why_not_distinct`), else goes by segment, and
        says why in the set's ``note``. Data-driven personas chosen by ``"auto"`` keep the segment
        personas beside them (``segment_personas``: messages and launch-readiness cards are per segment).
    min_respondents : int, default 5
        Smaller groups get no persona (too little evidence).
    top_needs : int, default 5
        Needs per persona, most distinctive and substantial first (share here x lift); praise and
        small talk are never among them.

    Examples
    --------
    >>> personas = fiq.draft_personas(report, by="company_size")    # doctest: +SKIP
    >>> personas.personas[0].label, personas.personas[0].top_needs[0].lift    # doctest: +SKIP
    ('Enterprise manufacturers (1000+ employees, Enterprise plan)', 3.5)
    """
    if report.feedback is None or not report.feedback.items:
        raise EmptyInputError("the report carries no feedback items; run find_themes on a FeedbackSet first")
    if report.themes and not report.needs and not report.non_needs:
        log.warning("the theme report has no needs (written by an older feedbackiq?): personas get no top needs; "
                    "run `feedbackiq themes` again")
    drafter = _Drafter(report, min_respondents, max_personas, top_needs, seed)
    if by != "auto":
        return drafter.draft(drafter.column(by))
    column = drafter.column("segment")
    profiles = drafter.draft(None)
    reason = why_not_distinct(profiles.personas)
    if reason is None:
        profiles.note = (f"{len(profiles.personas)} distinct groups by the needs they voice: each led by a need with "
                         f"lift >= {DISTINCT_LIFT:g} and share >= {100 * DISTINCT_SHARE:.0f}%")
        if column is not None:
            profiles.segment_personas = drafter.draft(column).personas
        return profiles
    if column is None:
        profiles.note = f"by the needs they voice, though {reason}: no segment column to group by instead"
        log.warning("personas: %s", profiles.note)
        return profiles
    out = drafter.draft(column)
    out.note = f"by {column}: grouped by the needs they voice, {reason}"
    log.warning("personas: %s", out.note)
    return out


def why_not_distinct(personas: Sequence[Persona]) -> str | None:
    """Why personas by need profile are not distinct groups (None: they are). Distinct: two or more, each
    led by a need with lift >= ``DISTINCT_LIFT`` and share >= ``DISTINCT_SHARE``, no two by the same need."""
    if len(personas) < 2:
        return "fewer than two groups are large enough"
    leads: dict[int, str] = {}
    for p in personas:
        if not p.top_needs:
            return f"{p.label} voices no need"
        lead = p.top_needs[0]
        if lead.lift < DISTINCT_LIFT or lead.share < DISTINCT_SHARE:
            return (f"a group's lead need ({lead.need_name}) has lift {lead.lift:.1f} and share {100 * lead.share:.0f}% "
                    f"(distinct: lift >= {DISTINCT_LIFT:g} and share >= {100 * DISTINCT_SHARE:.0f}%)")
        if lead.need_id in leads:
            return f"two groups lead with the same need ({lead.need_name})"
        leads[lead.need_id] = p.label
    return None


class _Drafter:
    """Everything the personas of one report are drafted from, computed once for every mode."""

    def __init__(self, report: ThemeReport, min_respondents: int, max_personas: int, top_needs: int, seed: int) -> None:
        self.report, self.items = report, report.feedback.items
        self.min_respondents, self.max_personas, self.top_needs, self.seed = min_respondents, max_personas, top_needs, seed
        self.need = _need_per_item(report)
        self.voices = _Voices(self.items, self.need)
        self.words = _Words(self.items, self.need)
        self.names = {n.id: n.name for n in report.needs}
        self.quoted = quoted_items(report)
        self.need_of = {it.id: int(n) for it, n in zip(self.items, self.need.tolist()) if n >= 0}

    def column(self, by: str | None) -> str | None:
        return _choose_column(self.voices, by, self.min_respondents, self.max_personas)

    def draft(self, column: str | None) -> PersonaSet:
        if column is not None:
            groups: dict[str, list[int]] = defaultdict(list)
            for v, seg in enumerate(self.voices.segments):
                if column in seg:
                    groups[seg[column]].append(v)
            keyed = sorted(((k, vs) for k, vs in groups.items() if len(vs) >= self.min_respondents),
                           key=lambda kv: -len(kv[1]))
        else:
            keyed = _profile_clusters(self.voices, self.report, self.min_respondents, self.max_personas, self.seed)
        personas = [self._persona(i, column, key, np.asarray(members, dtype=np.int64))
                    for i, (key, members) in enumerate(keyed)]
        return PersonaSet(mode="segment" if column else "data_driven", by=column, personas=personas,
                          input_hash=self.report.input_hash)

    def _persona(self, i: int, column: str | None, key: str, members: np.ndarray) -> Persona:
        voices, items, need = self.voices, self.items, self.need
        n_voices = voices.n
        member = np.zeros(n_voices, dtype=bool)
        member[members] = True
        mine = member[voices.pair_voice]
        found, counts = np.unique(voices.pair_need[mine], return_counts=True)
        needs = []
        for t, c in zip(found.tolist(), counts.tolist()):
            share, overall = c / len(members), voices.voices_per_need.get(t, 0) / n_voices
            needs.append(PersonaNeed(need_id=t, need_name=self.names.get(t, str(t)), respondents=c, share=round(share, 4),
                                     overall_share=round(overall, 4), lift=round(share / overall, 3) if overall else 0.0))
        # Distinctive AND substantial: a need voiced by 2 of 40 at 5x lift matters less than 15 of 40 at 2x.
        needs.sort(key=lambda n: (-(n.share * n.lift), n.need_id))
        needs = needs[:self.top_needs]
        # The persona's items, voice by voice (members in order), each voice's items in input order.
        idx = np.where(member[voices.of_item])[0]
        order = idx[np.argsort(voices.of_item[idx], kind="stable")]
        quotes = _quotes(items, order, needs, self.quoted, need)
        facts: dict[str, Counter] = defaultdict(Counter)
        for v in members.tolist():
            for col, val in voices.segments[v].items():
                if col != column:
                    facts[col][val] += 1
        persona_items = [items[j] for j in order.tolist()]
        objections, triggers = sales_claims(persona_items, self.need_of, [n.need_id for n in needs])
        deals = [it.deal_value for it in persona_items if it.deal_value is not None and it.source == SourceKind.SALES_NOTE]
        lost = [it.deal_value for it in persona_items if it.deal_value is not None and it.deal_stage == "lost"]
        n = len(members)
        confidence = "high" if n >= CONFIDENCE_LEVELS["high"] else "medium" if n >= CONFIDENCE_LEVELS["medium"] else "low"
        top = needs[0] if needs else None
        label = persona_title({column: key} if column else {}, facts, n)
        if not column:   # who they are, by the need that sets them apart (a need's name may be a short quote)
            label = f"{label} most concerned with “{top.need_name}”" if top else f"{label} with mixed needs"
        summary = (f"{n} respondents/accounts ({100 * n / n_voices:.0f}% of all)"
                   + (f"; most distinctive need: {top.need_name} ({100 * top.share:.0f}% here vs "
                      f"{100 * top.overall_share:.0f}% overall)" if top else ""))
        return Persona(id=i, label=label, summary=summary, segment={column: key} if column else {},
                       facts={c: dict(v.most_common()) for c, v in facts.items()}, respondents=n, items=len(order),
                       deal_value=float(sum(deals)) if deals else None, deals_lost_value=float(sum(lost)) if lost else None,
                       top_needs=needs, quotes=quotes, preferred_words=self.words.distinctive(order), confidence=confidence,
                       objections=objections, buying_triggers=triggers)


def _need_per_item(report: ThemeReport) -> np.ndarray:
    """Each item's need (-1: in "other", or in praise and small talk, which is no one's need), read in
    order when the assignments are in item order (as ``find_themes`` makes them), else by item id."""
    items, assignments = report.feedback.items, report.assignments
    real = {n.id for n in report.needs}
    if report.assignments_in_item_order():
        return np.fromiter((a.need_id if a.need_id in real else -1 for a in assignments), dtype=np.int64, count=len(items))
    need_of = {a.item_id: a.need_id for a in assignments if a.need_id in real}
    return np.fromiter((need_of.get(it.id, -1) for it in items), dtype=np.int64, count=len(items))


def quoted_items(report: ThemeReport) -> dict[int, list[str]]:
    """Each need's central items: its own quotes, then its themes' quotes (the best quotes of it)."""
    themes = {t.id: t for t in report.themes}
    out: dict[int, list[str]] = {}
    for n in report.needs:
        ids = [q.item_id for q in n.quotes]
        ids += [q.item_id for t in n.theme_ids if t in themes for q in themes[t].quotes]
        out[n.id] = list(dict.fromkeys(ids))
    return out


class _Words:
    """Phrase counts (``_vocab.phrases``) of a group's items in needs and of everyone else's in needs, with
    every item's as the prior; each distinct text is read once."""

    def __init__(self, items: Sequence[FeedbackItem], need: np.ndarray) -> None:
        row: dict[str, int] = {}
        self.text_of = np.fromiter((row.setdefault(it.text, len(row)) for it in items), dtype=np.int64, count=len(items))
        self.in_need = need >= 0
        shared: dict[str, str] = {}   # one string per distinct phrase, not one per occurrence
        self.tokens = [[shared.setdefault(tok, tok) for tok in phrases(t)] for t in row]
        weight = np.bincount(self.text_of, minlength=len(self.tokens))
        self.prior = self._count(np.arange(len(self.tokens)), weight)
        self.total = self._count(*self._texts(np.where(self.in_need)[0]))

    def _texts(self, items: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The distinct texts of these items in the order they first appear, and each text's count."""
        texts = self.text_of[items]
        _, first = np.unique(texts, return_index=True)
        return texts[np.sort(first)], np.bincount(texts, minlength=len(self.tokens))

    def _count(self, texts: np.ndarray, weight: np.ndarray) -> Counter:
        out: Counter = Counter()
        for t in texts.tolist():
            w = int(weight[t])
            for tok in self.tokens[t]:
                out[tok] += w
        return out

    def distinctive(self, ordered_items: np.ndarray, top_n: int = 10) -> list[str]:
        """Words of these items on needs (in this order: ties keep the order words first appear in) vs
        everyone else's on needs."""
        group = self._count(*self._texts(ordered_items[self.in_need[ordered_items]]))
        return top_phrases(group, self.total - group, self.prior, top_n=top_n, min_count=2)


def _choose_column(voices: _Voices, by: str | None, min_respondents: int, max_personas: int) -> str | None:
    if by is None:
        return None
    # Voices share their segments mappings: count each distinct mapping once, times its voices.
    shared = Counter(id(seg) for seg in voices.segments)
    mappings = {id(seg): seg for seg in voices.segments}
    columns: Counter = Counter()
    values: dict[str, Counter] = defaultdict(Counter)
    for key, n in shared.items():
        for col, val in mappings[key].items():
            columns[col] += n
            values[col][val] += n
    if by != "segment":
        if by not in columns:
            raise InputError(f"no segment column {by!r} in this feedback; segment columns: {sorted(columns) or 'none'}")
        return by
    usable = []
    for col, n in columns.items():
        big = [v for v, c in values[col].items() if c >= min_respondents]
        if 2 <= len(big) <= max_personas:
            usable.append((n, -_PREFERRED.index(col) if col in _PREFERRED else -len(_PREFERRED), col))
    # the column covering most respondents; of equals, company size (who they are), then industry, then plan
    return max(usable)[2] if usable else None


def _profile_clusters(voices: _Voices, report: ThemeReport, min_respondents: int, max_personas: int,
                      seed: int) -> list[tuple[str, list[int]]]:
    """Cluster voices by which needs they voice (k chosen by silhouette)."""
    from scipy import sparse
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score

    ids = np.unique(voices.pair_voice)          # voices with at least one need, in voice order
    k_needs = max((n.id for n in report.needs), default=-1) + 1
    if len(ids) < 2 * min_respondents or k_needs < 2:
        return [("all respondents", list(range(voices.n)))]
    row = np.searchsorted(ids, voices.pair_voice)
    M = sparse.csr_matrix((np.ones(len(row), dtype=np.float32), (row, voices.pair_need)), shape=(len(ids), k_needs))
    M = sparse.diags(1.0 / np.sqrt(np.asarray(M.sum(axis=1)).ravel())).astype(np.float32) @ M
    if len(ids) <= PROFILE_SAMPLE:
        X, weight, of_voice, scored = M.toarray(), None, np.arange(len(ids)), None
    else:   # distinct profiles, each weighted by its voices; silhouette on a seeded sample of voices
        X, of_voice, weight = _distinct_rows(M)
        scored = np.random.default_rng(seed).choice(len(ids), PROFILE_SAMPLE, replace=False)
    best = None
    # never more groups than distinct profiles (k-means would only repeat a centre)
    distinct = len(X) if weight is not None else len(np.unique(X, axis=0))
    for k in range(2, min(max_personas, len(ids) // min_respondents, distinct) + 1):
        found = KMeans(n_clusters=k, n_init=5, random_state=seed).fit_predict(X, sample_weight=weight)
        labels = found[of_voice]
        if scored is None:
            score = silhouette_score(X, labels, random_state=seed) if len(set(labels.tolist())) > 1 else -1
        else:
            sub = labels[scored]
            score = silhouette_score(X[of_voice[scored]], sub, random_state=seed) if len(set(sub.tolist())) > 1 else -1
        if best is None or score > best[0]:
            best = (score, labels)
    labels = best[1] if best else np.zeros(len(ids), dtype=int)
    groups: dict[int, list[int]] = defaultdict(list)
    for v, lab in zip(ids.tolist(), labels.tolist()):
        groups[int(lab)].append(v)
    keyed = [(f"cluster {lab}", vs) for lab, vs in groups.items() if len(vs) >= min_respondents]
    return sorted(keyed, key=lambda kv: -len(kv[1]))


def _distinct_rows(M) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct rows of a sparse matrix (dense), each row's index in them, and how many rows each stands for."""
    keys = [M.indices[M.indptr[r]:M.indptr[r + 1]].tobytes() for r in range(M.shape[0])]
    index: dict[bytes, int] = {}
    of_row = np.fromiter((index.setdefault(k, len(index)) for k in keys), dtype=np.int64, count=len(keys))
    first = np.unique(of_row, return_index=True)[1]
    return M[first].toarray(), of_row, np.bincount(of_row).astype(np.float64)


def _quotes(items, order: np.ndarray, needs: list[PersonaNeed], quoted: dict[int, list[str]], need_of: np.ndarray,
            k: int = 5) -> list[Quote]:
    """Verbatim quotes from the persona's own items: one per top need, the need's central quotes preferred; a
    sales note's without its CRM lead-in ("Prospect says"), which is the rep's words, not the customer's."""
    out, seen = [], set()
    for need in needs:
        mine = order[need_of[order] == need.need_id]
        position = {items[j].id: j for j in mine.tolist()}
        pool = [position[i] for i in quoted.get(need.need_id, []) if i in position] + mine.tolist()
        for j in pool:
            it = items[j]
            if it.text not in seen:
                text = strip_lead_in(it.text) if it.source == SourceKind.SALES_NOTE else it.text
                out.append(Quote(item_id=it.id, text=text, source=it.source, respondent_id=it.respondent_id))
                seen.add(it.text)
                break
        if len(out) >= k:
            break
    return out
