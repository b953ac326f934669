"""Who said it and how they feel: the voice, sentiment and rating scale of feedback items.

Every step that counts customers or sentiment (themes, personas, messaging, KPI cards, report) reads
them here, so they count the same way. Sizes count distinct voices (respondent or account id; an item
without one is its own voice), because demand is about how many customers, not how many rows.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from feedbackiq.types import FeedbackItem

__all__ = ["voice_of", "sentiment_of", "rating_scales"]

_NEG = re.compile(r"\b(terrible|awful|bad|worse|worst|slow|broken|fails?|failed|useless|confusing|expensive|overpriced|"
                  r"can't|cannot|never|hate|annoying|problem|issue|bug|crash\w*|dies|drains?|blurry|missing|lost|waste\w*)\b"
                  r"|差|慢|糊|贵|烂|卡|崩|不行|不好|不能|没法|失败|麻烦|太难|看不懂|浪费|问题|投诉|退款|坑", re.I)
_POS = re.compile(r"\b(great|love|good|nice|excellent|awesome|smooth|fast|easy|happy|satisfied|thanks?|perfect)\b"
                  r"|好用|满意|不错|很好|喜欢|漂亮|流畅|方便|谢谢|加油", re.I)


def voice_of(item: FeedbackItem) -> str:
    return item.respondent_id or f"item:{item.id}"


def sentiment_of(item: FeedbackItem, rating_scale: float | None) -> str:
    """negative / neutral / positive from the rating (stars or 0-10), else from a small en/zh lexicon.

    >>> from feedbackiq.types import FeedbackItem
    >>> sentiment_of(FeedbackItem(id="a", text="love it", source="review", rating=2), 5.0)
    'negative'
    >>> sentiment_of(FeedbackItem(id="b", text="同步太慢，经常崩", source="survey"), None)
    'negative'
    """
    if item.rating is not None and rating_scale:
        if rating_scale > 5:  # 0-10 (NPS): detractors 0-6, passives 7-8, promoters 9-10
            return "negative" if item.rating <= 6 else "neutral" if item.rating <= 8 else "positive"
        return "negative" if item.rating <= 2 else "neutral" if item.rating < 4 else "positive"
    neg, pos = len(_NEG.findall(item.text)), len(_POS.findall(item.text))
    return "negative" if neg > pos else "positive" if pos > neg else "neutral"


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
