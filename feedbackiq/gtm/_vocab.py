"""Words a group uses distinctively: log-odds ratios with an informative Dirichlet prior.

Monroe, Colaresi & Quinn (2008), "Fightin' Words": the z-score of the log-odds of a word
in the group vs the rest, shrunk towards its frequency in a background corpus (the prior) so
rare words do not dominate. Used for a persona's "words they use" and a segment's words for a
feature (that segment's feedback on the feature's needs against the other segments' on them).

What counts as a word here (:func:`phrases`): content words and two-word phrases of words next
to each other in one clause, never stop words, numbers or filler ("five", "team five", "thin
already", "Prospect says"). "Jargon to avoid" (:func:`jargon_to_avoid`) is the words of an
engineering description the group never uses, checked as whole words (with their inflections)
against the group's own feedback.
"""

from __future__ import annotations

import functools
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from importlib import resources

import regex

from feedbackiq._lang import has_cjk
from feedbackiq._terms import TermMatcher
from feedbackiq._tokenize import stopwords

__all__ = ["distinctive_words", "distinctive_words_from_counts", "phrases", "words_they_use", "top_phrases", "jargon_to_avoid"]

# A clause ends at punctuation, or at a dash between spaces ("Demo feedback - ...").
_CLAUSE = re.compile(r"[,.;:!?()\[\]\"“”‘’，。；：！？、（）…\n]+|\s[-–—]+\s")
_WORD = regex.compile(r"\p{L}\p{M}*(?:[\p{L}\p{M}\p{N}'\-]*[\p{L}\p{M}\p{N}])?")
_NUMBERISH = re.compile(r".*\d.*|[一二三四五六七八九十百千万两几]+[个名人天周月年次位家]?")


@functools.cache
def _filler() -> frozenset[str]:
    text = resources.files("feedbackiq").joinpath("_data", "filler_words.txt").read_text(encoding="utf-8")
    return frozenset(w for line in text.splitlines() if not line.lstrip().startswith("#") for w in line.split())


def _content(word: str) -> bool:
    return len(word) > 1 and word not in stopwords() and word not in _filler() and not _NUMBERISH.fullmatch(word)


def phrases(text: str) -> list[str]:
    """Content words and two-word phrases (words next to each other in one clause) of one text.

    >>> phrases("Prospect says our warehouse teams can't see stock levels, five of us")
    ['warehouse', 'teams', 'stock', 'levels', 'warehouse teams', 'stock levels']
    >>> phrases("我们就五个人，部门之间协同太难")
    ['部门', '协同', '太难']
    """
    lowered = unicodedata.normalize("NFC", text).lower()
    words, pairs = [], []
    for clause in _CLAUSE.split(lowered):
        if has_cjk(clause):
            tokens = [t.strip() for t in _jieba().lcut(clause)]
            tokens = [t for t in tokens if t and (has_cjk(t) or _WORD.fullmatch(t))]
        else:
            tokens = _WORD.findall(clause)
        keep = [_content(t) for t in tokens]
        words += [t for t, k in zip(tokens, keep) if k]
        pairs += [f"{a} {b}" for (a, ka), (b, kb) in zip(zip(tokens, keep), zip(tokens[1:], keep[1:]))
                  if ka and kb and not has_cjk(a + b)]
    return words + pairs


@functools.cache
def _jieba():
    from feedbackiq._terms import _jieba as load

    return load()


def distinctive_words(group: Iterable[Sequence[str]], rest: Iterable[Sequence[str]], top_n: int = 10,
                      min_count: int = 3, prior_weight: float = 500.0) -> list[tuple[str, float]]:
    """``(word, z)`` for the ``top_n`` words most over-represented in ``group`` vs ``rest``.

    Parameters
    ----------
    group, rest : iterables of token lists (one list per document)
    min_count : int
        A word must appear at least this often in the group.
    prior_weight : float
        Total pseudo-count of the prior (spread by overall frequency).

    Examples
    --------
    >>> g = [["cheap", "plan"], ["cheap", "price"], ["cheap", "shop"]]
    >>> r = [["team", "plan"], ["coordination", "team"], ["team", "wait"]]
    >>> distinctive_words(g, r, top_n=1, min_count=2)[0][0]
    'cheap'
    """
    return distinctive_words_from_counts(_count(group), _count(rest), top_n, min_count, prior_weight)


def _count(docs: Iterable[Sequence[str]]) -> Counter:
    out: Counter = Counter()
    for doc in docs:
        out.update(doc)
    return out


def distinctive_words_from_counts(cg: Mapping[str, int], cr: Mapping[str, int], top_n: int = 10, min_count: int = 3,
                                  prior_weight: float = 500.0, prior: Mapping[str, int] | None = None
                                  ) -> list[tuple[str, float]]:
    """:func:`distinctive_words` from word counts of the group (``cg``) and of the rest (``cr``).

    ``prior``: word counts of the background corpus the prior is spread by (default: group + rest).
    Ties in z keep the order of ``cg`` (a Counter's: the order words were first counted).

    >>> distinctive_words_from_counts(Counter(cheap=3, plan=1), Counter(team=3, plan=1), top_n=1, min_count=2)
    [('cheap', 0.247)]
    """
    total = Counter(cg) + Counter(cr) if prior is None else prior
    n_all = sum(total.values())
    if not cg or not n_all:
        return []
    ng, nr = sum(cg.values()), sum(cr.values())
    out = []
    for word, count in cg.items():
        if count < min_count:
            continue
        a = prior_weight * max(total.get(word, 0), count) / n_all
        a0 = prior_weight
        rest = cr.get(word, 0)
        lg = math.log((count + a) / (ng + a0 - count - a)) if ng + a0 - count - a > 0 else 0.0
        lr = math.log((rest + a) / (nr + a0 - rest - a)) if nr + a0 - rest - a > 0 else lg
        var = 1.0 / (count + a) + 1.0 / (rest + a)
        out.append((word, (lg - lr) / math.sqrt(var)))
    out.sort(key=lambda wz: -wz[1])
    return [(w, round(z, 3)) for w, z in out[:top_n] if z > 0]


def words_they_use(group: Iterable[Sequence[str]], rest: Iterable[Sequence[str]], prior: Mapping[str, int],
                   top_n: int = 10, min_count: int = 2) -> list[str]:
    """A group's distinctive words and phrases (lists of :func:`phrases`, one per text) against the rest,
    with ``prior`` (phrase counts of all the feedback) as the informative prior; a word already inside a
    listed phrase is not listed again. When no word sets the group apart, its most frequent words.

    >>> g = [phrases("Dead stock sits in the warehouse"), phrases("dead stock costs us money"),
    ...      phrases("Shipping costs eat my margin")]
    >>> r = [phrases("Teams wait on each other"), phrases("the warehouse teams wait")]
    >>> words_they_use(g, r, Counter(w for d in g + r for w in d), top_n=3)
    ['dead stock', 'costs']
    """
    return top_phrases(_count(group), _count(rest), prior, top_n, min_count)


def top_phrases(cg: Mapping[str, int], cr: Mapping[str, int], prior: Mapping[str, int], top_n: int = 10,
                min_count: int = 2) -> list[str]:
    """:func:`words_they_use` from phrase counts of the group (``cg``) and of the rest (``cr``)."""
    ranked = [w for w, _ in distinctive_words_from_counts(cg, cr, top_n=4 * top_n, min_count=min_count, prior=prior)]
    if not ranked:   # nothing sets them apart (a few texts, said alike elsewhere): their most frequent words
        ranked = [w for w, _ in Counter(cg).most_common(4 * top_n)]
    chosen: list[str] = []
    for w in ranked:
        parts = w.split()
        if len(parts) == 1 and any(w in c.split() for c in chosen):
            continue
        inside = [i for i, c in enumerate(chosen) if c in parts] if len(parts) > 1 else []
        if inside:   # the phrase says more than its words: it takes the place of the first of them
            chosen[inside[0]] = w
            chosen = [c for i, c in enumerate(chosen) if i not in inside[1:]]
        else:
            chosen.append(w)
        if len(chosen) >= top_n:
            break
    return chosen


def jargon_to_avoid(technical: str, own_texts: Iterable[str]) -> list[str]:
    """Words of an engineering description that the group's own feedback never uses, as a whole word or
    with an inflection ("permission" is used when they write "permissions"; "real-time" when "real time").

    >>> jargon_to_avoid("Role-based permission changes with an audit log", ["Sheet permissions are too coarse"])
    ['audit', 'changes', 'log', 'role-based']
    """
    words = sorted({w for w in phrases(technical) if " " not in w and not has_cjk(w)})
    variants = {w: {w, _stem(w), w.replace("-", " ")} for w in words}
    matcher = TermMatcher({v for vs in variants.values() for v in vs})
    used: set[str] = set()
    wanted = set(matcher.terms)
    for text in dict.fromkeys(own_texts):
        used |= matcher.find(text)
        if used >= wanted:
            break
    return [w for w in words if not variants[w] & used]


def _stem(word: str) -> str:
    """The word without a plural ending, so its matcher finds both forms ("shipments" -> "shipment")."""
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("s") and not word.endswith("ss") and len(word) > 3:
        return word[:-1]
    return word
