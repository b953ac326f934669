"""Describe each theme: keywords, representative quotes, size and breakdowns.

Sizes count distinct voices (respondent or account id; an item without one is
its own voice), because demand is about how many customers, not how many rows.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Sequence

import numpy as np

from feedbackiq.types import FeedbackItem, Quote, SourceKind, Theme

__all__ = ["voice_of", "VoiceSet", "count_voices", "sentiment_of", "representative_quotes", "describe_theme", "keyword_name", "rating_scales"]

_NEG = re.compile(r"\b(terrible|awful|bad|worse|worst|slow|broken|fails?|failed|useless|confusing|expensive|overpriced|"
                  r"can't|cannot|never|hate|annoying|problem|issue|bug|crash\w*|dies|drains?|blurry|missing|lost|waste\w*)\b"
                  r"|差|慢|糊|贵|烂|卡|崩|不行|不好|不能|没法|失败|麻烦|太难|看不懂|浪费|问题|投诉|退款|坑", re.I)
_POS = re.compile(r"\b(great|love|good|nice|excellent|awesome|smooth|fast|easy|happy|satisfied|thanks?|perfect)\b"
                  r"|好用|满意|不错|很好|喜欢|漂亮|流畅|方便|谢谢|加油", re.I)


def voice_of(item: FeedbackItem) -> str:
    return item.respondent_id or f"item:{item.id}"


class VoiceSet:
    """The distinct voices of some items (:func:`voice_of`'s), without building a string per item.

    Most reviews have no respondent id, so each is its own voice ``"item:<id>"``; a set of those
    strings was 100 MB at a million reviews. Here such items are kept by their id (a string they
    already hold) and counted as voices of their own; ``len`` is what ``len({voice_of(it) ...})`` gives.

    >>> from feedbackiq.types import FeedbackItem
    >>> vs = VoiceSet()
    >>> for it in [FeedbackItem(id="a", text="x", source="review"), FeedbackItem(id="b", text="y", source="review", respondent_id="u1"),
    ...            FeedbackItem(id="c", text="z", source="review", respondent_id="u1")]:
    ...     vs.add(it)
    >>> len(vs)
    2
    """

    __slots__ = ("named", "anonymous")

    def __init__(self) -> None:
        self.named: set[str] = set()
        self.anonymous: set[str] = set()

    def add(self, item: FeedbackItem) -> None:
        if item.respondent_id:
            self.named.add(item.respondent_id)
        else:
            self.anonymous.add(item.id)

    def __len__(self) -> int:
        n = len(self.named) + len(self.anonymous)
        if self.anonymous:   # a respondent id spelled like an item's own voice is that voice
            n -= sum(1 for r in self.named if r.startswith("item:") and r[5:] in self.anonymous)
        return n


def count_voices(items: Sequence[FeedbackItem]) -> int:
    """``len({voice_of(it) for it in items})``, without a string per item (:class:`VoiceSet`)."""
    vs = VoiceSet()
    for it in items:
        vs.add(it)
    return len(vs)


def sentiment_of(item: FeedbackItem, rating_scale: float | None) -> str:
    """negative / neutral / positive from the rating (stars or 0-10), else from a small en/zh lexicon."""
    if item.rating is not None and rating_scale:
        if rating_scale > 5:  # 0-10 (NPS): detractors 0-6, passives 7-8, promoters 9-10
            return "negative" if item.rating <= 6 else "neutral" if item.rating <= 8 else "positive"
        return "negative" if item.rating <= 2 else "neutral" if item.rating < 4 else "positive"
    neg, pos = len(_NEG.findall(item.text)), len(_POS.findall(item.text))
    return "negative" if neg > pos else "positive" if pos > neg else "neutral"


def representative_quotes(texts: Sequence[str], X: np.ndarray, centroid: np.ndarray, k: int = 5,
                          diversity: float = 0.5, near_duplicate: float = 0.9) -> list[int]:
    """Indices of up to ``k`` quotes, central AND diverse (maximal marginal relevance).

    A candidate too similar (cosine >= ``near_duplicate``) to a chosen quote, or with
    the same normalised text, is never chosen.
    """
    if len(texts) == 0:
        return []
    rel = X @ centroid
    norm_text = [re.sub(r"\W+", "", t.lower()) for t in texts]
    # Very short answers ("bad") are poor evidence; use them only when nothing longer exists.
    short = np.array([len(t) < 12 for t in texts])
    order_pool = np.where(~short)[0] if (~short).sum() >= min(k, 3) else np.arange(len(texts))
    chosen: list[int] = []
    seen_text: set[str] = set()
    pool = list(order_pool[np.argsort(-rel[order_pool], kind="stable")][:200])
    while pool and len(chosen) < k:
        if chosen:
            sim_chosen = (X[pool] @ X[chosen].T).max(axis=1)
            mmr = (1 - diversity) * rel[pool] - diversity * sim_chosen
            ranked = [pool[i] for i in np.argsort(-mmr, kind="stable")]
        else:
            ranked = pool
        pick = None
        for cand in ranked:
            if norm_text[cand] in seen_text:
                continue
            if chosen and float((X[chosen] @ X[cand]).max()) >= near_duplicate:
                continue
            pick = cand
            break
        if pick is None:
            break
        chosen.append(pick)
        seen_text.add(norm_text[pick])
        pool.remove(pick)
    return chosen


def keyword_name(keywords: Sequence[str], n: int = 3) -> str:
    """A readable name from keywords, skipping words already inside a chosen phrase."""
    picked: list[str] = []
    for kw in keywords:
        if any(kw in p or p in kw for p in picked):
            continue
        picked.append(kw)
        if len(picked) == n:
            break
    return " / ".join(picked) if picked else "(no keywords)"


def describe_theme(theme_id: int, members: list[FeedbackItem], X: np.ndarray, centroid: np.ndarray,
                   keywords: list[str], total_voices: int, rating_scales: dict[str, float]) -> Theme:
    """Build a :class:`Theme` from its member items and their embeddings (rows of ``X``)."""
    voices = count_voices(members)
    by_segment: dict[str, dict[str, VoiceSet]] = defaultdict(lambda: defaultdict(VoiceSet))
    for it in members:
        for col, val in it.segments.items():
            by_segment[col][val].add(it)
    stars = [it.rating for it in members if it.rating is not None and it.source == SourceKind.REVIEW]
    deals = [it.deal_value for it in members if it.deal_value is not None and it.source == SourceKind.SALES_NOTE]
    quotes_idx = representative_quotes([it.text for it in members], X, centroid)
    return Theme(
        id=theme_id,
        name=keyword_name(keywords),
        keywords=keywords,
        quotes=[Quote(item_id=members[i].id, text=members[i].text, source=members[i].source,
                      respondent_id=members[i].respondent_id) for i in quotes_idx],
        size=len(members),
        respondents=voices,
        respondent_share=voices / total_voices if total_voices else 0.0,
        by_segment={col: {v: len(s) for v, s in sorted(vals.items())} for col, vals in by_segment.items()},
        by_source=dict(Counter(it.source.value for it in members)),
        by_sentiment=dict(Counter(sentiment_of(it, rating_scales.get(_file_of(it))) for it in members)),
        by_period=dict(sorted(Counter(f"{it.created_at:%Y-%m}" for it in members if it.created_at).items())),
        by_language=dict(Counter(it.language for it in members)),
        mean_rating=float(np.mean(stars)) if stars else None,
        deal_value=float(np.sum(deals)) if deals else None,
    )


def _file_of(item: FeedbackItem) -> str:
    return item.origin.file if item.origin else ""


def rating_scales(items: Sequence[FeedbackItem]) -> dict[str, float]:
    """Largest rating per input file: > 5 means a 0-10 scale (NPS), else stars."""
    out: dict[str, float] = {}
    for it in items:
        if it.rating is not None:
            f = _file_of(it)
            out[f] = max(out.get(f, 0.0), it.rating)
    return out

