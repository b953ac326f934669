"""Needs in a report: themes grouped by :class:`~feedbackiq.themes._needs.NeedGrouper`, each need
described like a theme, told apart from praise, and named without an LLM.

A need's offline name is its most typical short quote in the report's language (the member text
nearest the need's centroid among the short ones, with openers such as "Honestly," or "说实话，"
taken off): a sentence a PM can read, where keyword lists ("price / went / 别家") are not. Names of
one report never repeat.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import numpy as np

from feedbackiq._lang import CJK, has_cjk
from feedbackiq.themes._breakdowns import ItemColumns
from feedbackiq.themes._describe import describe_group
from feedbackiq.themes._non_need import non_need_kind
from feedbackiq.types import FeedbackItem, Need, Theme

__all__ = ["build_needs", "need_name", "PRAISE_NAMES", "CLASSIFY_TEXTS"]

PRAISE_NAMES = {"en": "Praise and thanks", "zh": "好评与感谢"}
CLASSIFY_TEXTS = 2000      # distinct texts per need read by the praise lexicons (drawn by weight)
_SHORT_WORDS, _SHORT_CJK = 12, 24
_OPENER = re.compile(
    r"^\s*(?:honestly|well|so|also|ok|okay|to be honest|tbh|main thing|biggest issue|the biggest issue|my main issue|"
    r"one thing|overall|please|说实话|老实说|主要是|最大的问题是|其实|总之|另外)\s*[,:，：、\-–—!！]*\s*", re.I)


def build_needs(need_of_theme: np.ndarray, labels: np.ndarray, themes: list[Theme], columns: ItemColumns,
                Xu: np.ndarray, inverse: np.ndarray, keywords_of: Callable[[np.ndarray], dict[int, list[str]]],
                total_voices: int, language: str, seed: int = 0, names: dict[int, str] | None = None,
                kinds: dict[int, str] | None = None) -> tuple[list[Need], list[Need], np.ndarray]:
    """Describe each need; returns ``(needs, non_needs, need_of_item)``.

    Parameters
    ----------
    need_of_theme : ndarray of int
        The grouper's need index per theme.
    labels : ndarray of int
        Each item's theme (``-1``: "other", in no need).
    themes : list of Theme
        The report's themes; their ``need_id`` is set here.
    columns, Xu, inverse
        The items' columns, the distinct texts' unit vectors and each item's distinct text.
    keywords_of : callable
        c-TF-IDF keywords of a labelling of the items (``-1`` excluded), by label.
    total_voices : int
    language : {"en", "zh"}
        The report's language: needs are named in it where their items allow.
    seed : int
    names, kinds : dict, optional
        A team's names and kinds for some needs (by the index in ``need_of_theme``): they replace the
        offline name and the praise rule (:mod:`feedbackiq.themes._overrides`).

    Returns
    -------
    needs : list of Need
        Kind ``"need"``, ids ``0..`` by respondents, largest first.
    non_needs : list of Need
        Praise and small talk, ids after the needs'.
    need_of_item : ndarray of int
        Each item's need id (``-1`` in "other").
    """
    # Dense indices 0..k-1 (overrides may leave gaps); the given names and kinds follow them.
    present, need_of_theme = np.unique(need_of_theme, return_inverse=True)
    dense = {int(old): new for new, old in enumerate(present.tolist())}
    names = {dense[g]: v for g, v in (names or {}).items() if g in dense}
    kinds = {dense[g]: v for g, v in (kinds or {}).items() if g in dense}
    k = len(present)
    group = np.where(labels >= 0, need_of_theme[np.maximum(labels, 0)], -1) if k else np.full(len(labels), -1)
    keywords = keywords_of(group)
    members = _members(group, k)
    rng = np.random.default_rng(seed)
    built: list[tuple[Need, np.ndarray]] = []
    for g in range(k):
        idx = members[g]
        centroid = Xu[inverse[idx]].mean(axis=0)
        centroid /= np.linalg.norm(centroid) or 1.0
        need = describe_group(Need, g, idx, columns, Xu[inverse[idx]], centroid, keywords.get(g, []), total_voices)
        need.theme_ids = [t.id for t in themes if need_of_theme[t.id] == g]
        need.kind = kinds.get(g) or _kind(idx, columns, inverse, rng) or "need"
        built.append((need, idx))
    real = sorted((b for b in built if b[0].kind == "need"), key=lambda b: (-b[0].respondents, -b[0].size, b[0].id))
    apart = sorted((b for b in built if b[0].kind != "need"), key=lambda b: (-b[0].respondents, b[0].id))
    renumber = np.full(max(k, 1), -1)
    taken: set[str] = {v.casefold() for v in names.values()}
    for new_id, (need, idx) in enumerate(real + apart):
        renumber[need.id] = new_id
        if need.id in names:
            need.name, need.label_source = names[need.id], "override"
        elif need.kind == "need":
            need.name = need_name(idx, columns.items, Xu, inverse, language, taken, need.keywords)
            need.label_source = "quote"
        else:
            name = PRAISE_NAMES.get(language, PRAISE_NAMES["en"])
            need.name = name if name.casefold() not in taken else f"{name} ({new_id})"
        need.id = new_id
        taken.add(need.name.casefold())
    for t in themes:
        t.need_id = int(renumber[need_of_theme[t.id]])
    need_of_item = np.where(group >= 0, renumber[np.maximum(group, 0)], -1)
    return [n for n, _ in real], [n for n, _ in apart], need_of_item


def _members(group: np.ndarray, k: int) -> list[np.ndarray]:
    order = np.argsort(group, kind="stable")
    bounds = np.searchsorted(group[order], np.arange(k + 1))
    return [order[bounds[g]:bounds[g + 1]] for g in range(k)]


def _kind(idx: np.ndarray, columns: ItemColumns, inverse: np.ndarray, rng: np.random.Generator) -> str | None:
    """Praise or a need, read on at most ``CLASSIFY_TEXTS`` distinct texts drawn by weight."""
    rows, first, count = np.unique(inverse[idx], return_index=True, return_counts=True)
    if len(rows) > CLASSIFY_TEXTS:
        pick = np.sort(rng.choice(len(rows), CLASSIFY_TEXTS, replace=False, p=count / count.sum()))
        first, count = first[pick], np.ones(CLASSIFY_TEXTS)
    items = columns.items
    texts = [items[int(idx[i])].text for i in first]
    stars = columns.rating[idx[first]]
    return non_need_kind(texts, count, [None if np.isnan(s) else float(s) for s in stars])


def need_name(idx: np.ndarray, items: Sequence[FeedbackItem], Xu: np.ndarray, inverse: np.ndarray, language: str,
              taken: set[str] | frozenset[str] = frozenset(), keywords: Sequence[str] = (), candidates: int = 40) -> str:
    """The need's most typical short quote in ``language`` (else in any language), not one of
    ``taken`` (compared without case).

    The ``candidates`` member texts nearest the need's centroid are cut into sentences (openers such
    as "Honestly," taken off); the short sentence carrying most of the need's top ``keywords`` wins,
    the nearer text first on a tie: "Battery!! Main thing - the battery drains way too fast" gives
    "The battery drains way too fast".
    """
    rows, first = np.unique(inverse[idx], return_index=True)
    centroid = Xu[rows].mean(axis=0)
    sims = Xu[rows] @ (centroid / (np.linalg.norm(centroid) or 1.0))
    order = np.argsort(-sims, kind="stable")[:candidates]
    texts = [(items[int(idx[first[i]])].text, items[int(idx[first[i]])].language) for i in order]
    wanted_terms = [k.casefold() for k in keywords[:10]]
    for wanted in (language, None):
        best, best_score = None, (-1, 0)
        for rank, (text, lang) in enumerate(texts):
            if wanted is not None and lang != wanted:
                continue
            for sentence in _sentences(text):
                if not _short(sentence) or sentence.casefold() in taken:
                    continue
                low = sentence.casefold()
                # top keywords weigh most; within a tenth of a point the shorter sentence wins
                score = (round(sum(1 / (r + 1) for r, k in enumerate(wanted_terms) if k in low), 1), -len(low))
                if score > best_score:
                    best, best_score = sentence, score
        if best is not None:
            return best
    for text, _ in texts:
        name = _clip(_clean(text))
        if name and name.casefold() not in taken:
            return name
    return f"Need {len(taken) + 1}"


def _sentences(text: str) -> list[str]:
    """The text's sentences and their first clauses, cleaned; fragments of fewer than 3 words (or 4
    Chinese characters) dropped."""
    out = []
    for sentence in re.split(r"(?<=[.!?。！？])\s*|\s+[-–—]\s+", text):
        for part in dict.fromkeys([sentence, re.split(r"[,，;；]", sentence)[0]]):
            part = _clean(part)
            cjk = len(CJK.findall(part))
            if (cjk >= 4) or (not cjk and len(part.split()) >= 3):
                out.append(part)
    return out


def _clean(text: str) -> str:
    t = " ".join(text.split())
    for _ in range(2):   # "Honestly, biggest issue: ..."
        t = _OPENER.sub("", t)
    t = t.strip(" .。!！?？,，;；:：-–—\"'“”")
    return t[:1].upper() + t[1:] if t else t


def _short(text: str) -> bool:
    cjk = len(CJK.findall(text))
    return cjk <= _SHORT_CJK if cjk else len(text.split()) <= _SHORT_WORDS


def _clip(text: str) -> str:
    """The first clause of a long text, at most 12 words or 24 Chinese characters."""
    head = re.split(r"[,，.。;；!！?？]", text)[0].strip()
    if has_cjk(head):
        return head[:_SHORT_CJK]
    return " ".join(head.split()[:_SHORT_WORDS])
