"""Which themes are not needs: praise, thanks and small talk ("great app", "谢谢", "好评").

A PM sizes needs; a cluster of "love it, keep it up" answers is often the largest cluster of a survey
and must not top a need ranking, a heatmap or a persona. A theme is set apart as ``praise`` when most
of its items praise or thank without naming a problem or a wish, by two lexicons in English and
Chinese (``feedbackiq/_data/praise_terms.txt`` and ``problem_terms.txt``, on top of the sentiment
lexicon), or when its items are rated high and hardly any names a problem. The rule and its
thresholds are measured in evals/README.md ("Praise and small talk").
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from importlib import resources

import numpy as np

from feedbackiq._lang import has_cjk

__all__ = ["item_cues", "non_need_kind", "PRAISE_SHARE", "PROBLEM_SHARE", "HIGH_RATING"]

PRAISE_SHARE = 0.5     # of a theme's items praising without a problem: the theme is praise
PROBLEM_SHARE = 0.2    # ... and at most this share names a problem or a wish
HIGH_RATING = 4.2      # mean stars (of 5) of a theme that is praise by its ratings
RATED_SHARE = 0.5      # ... when at least this share of its items carries a rating


@functools.cache
def _lexicon(name: str) -> re.Pattern[str]:
    """English terms as whole words (with a plural/verb ending), Chinese terms anywhere: the lexicons
    hold Chinese compounds ("挺好", "太贵"), not single characters that occur inside other words."""
    text = resources.files("feedbackiq").joinpath("_data", name).read_text(encoding="utf-8")
    terms = [t.strip().lower() for t in text.splitlines() if t.strip() and not t.lstrip().startswith("#")]
    cjk = [re.escape(t) for t in terms if has_cjk(t)]
    latin = [r"\s+".join(map(re.escape, t.split())) for t in terms if not has_cjk(t)]
    parts = [r"(?<![^\W\d_])(?:" + "|".join(sorted(latin, key=len, reverse=True)) + r")(?:s|es|ed|d|ing)?(?![^\W\d_])"] if latin else []
    if cjk:
        parts.append("|".join(sorted(cjk, key=len, reverse=True)))
    return re.compile("|".join(parts), re.I)


def item_cues(text: str) -> tuple[bool, bool]:
    """(praises or thanks, names a problem or a wish) for one text.

    >>> item_cues("Great app overall, keep it up!"), item_cues("Love it but the battery dies by noon")
    ((True, False), (True, True))
    >>> item_cues("整体挺好的"), item_cues("希望能按列设置只读")
    ((True, False), (False, True))
    """
    lowered = text.lower()
    return bool(_lexicon("praise_terms.txt").search(lowered)), bool(_lexicon("problem_terms.txt").search(lowered))


def non_need_kind(texts: Sequence[str], weights: Sequence[float] | None = None,
                  ratings: Sequence[float | None] | None = None) -> str | None:
    """``"praise"`` when a theme's items are praise and small talk, else ``None`` (a need).

    Parameters
    ----------
    texts : sequence of str
        The theme's texts (each distinct text once is enough, with ``weights``).
    weights : sequence of float, optional
        How many items each text stands for.
    ratings : sequence of float or None, optional
        Each text's rating on a 1-5 scale (None when unrated).

    Examples
    --------
    >>> non_need_kind(["Great app overall", "Love the new dark mode", "谢谢你们的调查", "good", "Nice design"])
    'praise'
    >>> non_need_kind(["battery dies by noon", "great phone but the battery drains", "电池续航太差了"]) is None
    True
    >>> non_need_kind(["Works fine for me", "ok", "fine"], ratings=[5, 5, 4]) 
    'praise'
    """
    if not len(texts):
        return None
    w = np.ones(len(texts)) if weights is None else np.asarray(weights, dtype=float)
    cues = np.array([item_cues(t) for t in texts], dtype=bool).reshape(-1, 2)
    praise_only = float(w[cues[:, 0] & ~cues[:, 1]].sum() / w.sum())
    problem = float(w[cues[:, 1]].sum() / w.sum())
    if problem > PROBLEM_SHARE:
        return None
    if praise_only >= PRAISE_SHARE:
        return "praise"
    if ratings is not None:
        r = np.array([np.nan if x is None else float(x) for x in ratings])
        rated = ~np.isnan(r)
        if w[rated].sum() >= RATED_SHARE * w.sum() and np.average(r[rated], weights=w[rated]) >= HIGH_RATING:
            return "praise"
    return None
