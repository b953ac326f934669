"""A MoSCoW hint spread by the evidence, not chosen by a model.

Asked for a class, a model calls every need customers voice often "must". The hint ranks the needs (or
the themes) by three facts of their evidence, each ranked alone and the ranks averaged: the share of
respondents voicing it, the share of its items that are negative, and the deal value of its sales notes.
The classes are spread over that ranking: the first quarter "must", up to 60% "should", the rest
"could". "wont" is never suggested for a need customers voice. The rationale states the facts.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy.stats import rankdata

from feedbackiq.types import Need, Theme

__all__ = ["moscow_hints", "MUST_SHARE", "SHOULD_SHARE"]

MUST_SHARE = 0.25     # of the ranked groups: "must"
SHOULD_SHARE = 0.60   # ... up to this share (cumulative): "should"; the rest "could"


def moscow_hints(groups: Sequence[Theme | Need]) -> dict[int, tuple[str, str]]:
    """``{group id: (class, rationale)}`` for ``groups`` (the needs, or the themes, of one report).

    >>> from feedbackiq.types import Need
    >>> needs = [Need(id=i, name=str(i), size=10, respondents=r, respondent_share=r / 100,
    ...               by_sentiment={"negative": neg}) for i, (r, neg) in enumerate([(40, 9), (30, 2), (10, 1), (5, 0)])]
    >>> {k: v[0] for k, v in moscow_hints(needs).items()}
    {0: 'must', 1: 'should', 2: 'should', 3: 'could'}
    """
    groups = list(groups)
    if not groups:
        return {}
    share = np.array([g.respondent_share for g in groups], dtype=float)
    negative = np.array([g.by_sentiment.get("negative", 0) / g.size if g.size else 0.0 for g in groups])
    deals = np.array([g.deal_value or 0.0 for g in groups])
    score = np.mean([rankdata(-x) for x in (share, negative, deals)], axis=0)
    order = sorted(range(len(groups)), key=lambda i: (score[i], -groups[i].respondents, groups[i].id))
    n, out = len(groups), {}
    for pos, i in enumerate(order):
        g = groups[i]
        kind = "must" if pos < math.ceil(MUST_SHARE * n) else "should" if pos < math.ceil(SHOULD_SHARE * n) else "could"
        why = (f"rank {pos + 1} of {n} by its evidence: {100 * share[i]:.1f}% of respondents, "
               f"{100 * negative[i]:.0f}% of its items negative" + (f", deal value {deals[i]:,.0f}" if deals[i] else ""))
        out[g.id] = (kind, why)
    return out
