"""Words a group uses distinctively: log-odds ratios with an informative Dirichlet prior.

Monroe, Colaresi & Quinn (2008), "Fightin' Words": the z-score of the log-odds of a word
in the group vs the rest, shrunk towards the overall frequency so rare words do not
dominate. Used for a persona's "preferred words" and a segment's "words they use".
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

__all__ = ["distinctive_words", "distinctive_words_from_counts"]


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
    cg, cr = Counter(), Counter()
    for doc in group:
        cg.update(doc)
    for doc in rest:
        cr.update(doc)
    return distinctive_words_from_counts(cg, cr, top_n, min_count, prior_weight)


def distinctive_words_from_counts(cg: Mapping[str, int], cr: Mapping[str, int], top_n: int = 10, min_count: int = 3,
                                  prior_weight: float = 500.0) -> list[tuple[str, float]]:
    """:func:`distinctive_words` from word counts of the group (``cg``) and of the rest (``cr``).

    Ties in z keep the order of ``cg`` (a Counter's: the order words were first counted).

    >>> distinctive_words_from_counts(Counter(cheap=3, plan=1), Counter(team=3, plan=1), top_n=1, min_count=2)
    [('cheap', 0.247)]
    """
    total = Counter(cg) + Counter(cr)
    n_all = sum(total.values())
    if not cg or not n_all:
        return []
    ng, nr = sum(cg.values()), sum(cr.values())
    out = []
    for word, count in cg.items():
        if count < min_count:
            continue
        a = prior_weight * total[word] / n_all
        a0 = prior_weight
        rest = cr.get(word, 0)
        lg = math.log((count + a) / (ng + a0 - count - a))
        lr = math.log((rest + a) / (nr + a0 - rest - a)) if nr + a0 - rest - a > 0 else lg
        var = 1.0 / (count + a) + 1.0 / (rest + a)
        out.append((word, (lg - lr) / math.sqrt(var)))
    out.sort(key=lambda wz: -wz[1])
    return [(w, round(z, 3)) for w, z in out[:top_n] if z > 0]
