"""Card metrics over a population of feedback items, with their confidence intervals.

Shares get a Wilson score interval (sound for small n and for shares near 0 or 1, unlike the
normal approximation). Sums of deal value get a percentile bootstrap: the sales notes of the
population are resampled with replacement (2,000 times, seeded, so reruns agree), each resample's
sum is recomputed, and the 2.5th and 97.5th percentiles bound the sum. Counts (respondents,
accounts, sources, churn mentions) are what the data hold and carry no interval.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from feedbackiq._terms import TermMatcher, lexicon
from feedbackiq._voice import sentiment_of, voice_of
from feedbackiq.types import FeedbackItem, SourceKind, TargetResult

__all__ = ["Measure", "wilson_interval", "bootstrap_sum", "measure", "judge", "churn_terms", "BOOTSTRAP_RESAMPLES",
           "DEAL_STAGES"]

BOOTSTRAP_RESAMPLES = 2000
Z_95 = 1.959963984540054
# Which sales notes each deal-value metric sums (stages as ingest normalises them).
DEAL_STAGES: dict[str, frozenset[str] | None] = {
    "pipeline_value": frozenset({"open"}), "won_value": frozenset({"won"}), "lost_deal_value": frozenset({"lost"}),
    "deal_value": None,  # all stages
}


@dataclass
class Measure:
    actual: float | None
    ci_low: float | None = None
    ci_high: float | None = None
    n: int | None = None
    note: str | None = None


def wilson_interval(successes: int, n: int, z: float = Z_95) -> tuple[float, float]:
    """Wilson score interval for a proportion (95% by default).

    >>> [round(x, 4) for x in wilson_interval(5, 10)]
    [0.2366, 0.7634]
    >>> [round(x, 4) for x in wilson_interval(0, 20)]
    [0.0, 0.1611]
    """
    if n <= 0:
        raise ValueError("n must be positive")
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def bootstrap_sum(values, *, n_resamples: int = BOOTSTRAP_RESAMPLES, seed: int = 0, level: float = 0.95) -> tuple[float, float]:
    """Percentile bootstrap interval of ``sum(values)``, resampling the values with replacement.

    ``values`` holds one entry per member of the population (0 for members that add nothing),
    so the interval reflects how much the sum depends on which notes happened to be written.

    >>> lo, hi = bootstrap_sum([0, 0, 100, 0, 250, 0, 0, 50], seed=1)
    >>> lo <= 400 <= hi
    True
    """
    v = np.asarray(values, dtype=float)
    if v.size == 0:
        return 0.0, 0.0
    rng = np.random.default_rng(seed)
    sums = v[rng.integers(0, v.size, size=(n_resamples, v.size))].sum(axis=1)
    tail = (1 - level) / 2 * 100
    return float(np.percentile(sums, tail)), float(np.percentile(sums, 100 - tail))


def churn_terms() -> TermMatcher:
    """The churn/renewal-risk terms in ``feedbackiq/_data/churn_terms.txt``, matched as whole words
    (English, with inflections) or whole jieba tokens (Chinese)."""
    return lexicon("churn_terms.txt")


def measure(metric: str, population: list[FeedbackItem], matched: set[str], rating_scales: dict[str, float],
            seed: int = 0) -> Measure:
    """The value of a feedback metric: ``matched`` holds the ids of the population's items in the target's need."""
    hits = [it for it in population if it.id in matched]
    notes = [it for it in population if it.source == SourceKind.SALES_NOTE]
    if metric in ("respondent_share", "respondents"):
        voices = {voice_of(it) for it in population}
        k = len({voice_of(it) for it in hits})
        if not voices:
            return Measure(None, note="no respondents in the segment/window")
        if metric == "respondents":
            return Measure(float(k), n=len(voices))
        return Measure(k / len(voices), *wilson_interval(k, len(voices)), n=len(voices))
    if metric in ("accounts", "accounts_affected"):
        if not notes:
            return Measure(None, note="no sales notes in the segment/window")
        return Measure(float(len({voice_of(it) for it in hits if it.source == SourceKind.SALES_NOTE})), n=len(notes))
    if metric == "sources":
        counts: dict[str, int] = {}
        for it in hits:
            counts[it.source.value] = counts.get(it.source.value, 0) + 1
        return Measure(float(sum(c >= 2 for c in counts.values())), n=len(hits),
                       note="items per source: " + (", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "none"))
    if metric == "negative_rating_share":
        rated = [it for it in hits if it.rating is not None]
        if not rated:
            return Measure(None, note="no rated items in the matched need")
        neg = sum(sentiment_of(it, rating_scales.get(it.origin.file if it.origin else "")) == "negative" for it in rated)
        return Measure(neg / len(rated), *wilson_interval(neg, len(rated)), n=len(rated))
    if metric == "mention_share":
        if not population:
            return Measure(None, note="no items of this source in the window")
        return Measure(len(hits) / len(population), *wilson_interval(len(hits), len(population)), n=len(population))
    if metric in DEAL_STAGES:
        priced = [it for it in notes if it.deal_value is not None]
        if not priced:
            return Measure(None, note="no sales notes with a deal value in the segment/window")
        stages = DEAL_STAGES[metric]
        values = [it.deal_value if it.id in matched and (stages is None or it.deal_stage in stages) else 0.0 for it in priced]
        lo, hi = bootstrap_sum(values, seed=seed)
        unpriced = len(notes) - len(priced)
        return Measure(float(sum(values)), lo, hi, n=len(priced),
                       note=f"{unpriced} sales notes without a deal value not counted" if unpriced else None)
    if metric == "churn_mentions":
        terms = churn_terms()
        return Measure(float(sum(terms.search(it.text) for it in hits)), n=len(hits))
    raise ValueError(f"not a feedback metric: {metric}")


def judge(res: TargetResult) -> None:
    """Status, attainment ratio and confidence from ``actual`` vs the target (``no_data`` without a value)."""
    if res.actual is None:
        res.status = "no_data"
        return
    a, v = res.actual, res.target_value
    ok = a >= v if res.direction == "min" else a <= v
    res.status = "pass" if ok else "fail"
    if res.direction == "min":
        res.ratio = round(a / v, 4) if v else None
    else:
        res.ratio = round(v / a, 4) if a else None
    if res.ci_low is None or res.ci_high is None:
        res.confident = True  # a count of what the data hold, not an estimate
    elif res.direction == "min":
        res.confident = res.ci_low >= v if ok else res.ci_high < v
    else:
        res.confident = res.ci_high <= v if ok else res.ci_low > v
