"""Language tagging: zh / en / other, cheap enough to run on every item.

Customer feedback is short and often mixed ("app 老是闪退"), so a statistical
detector is unreliable; the share of CJK ideographs among letters decides instead.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from feedbackiq.types import Language

__all__ = ["detect_language", "dominant_language"]

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z]")
_OTHER_LETTER = re.compile(r"[^\W\d_A-Za-z\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def detect_language(text: str) -> Language:
    """Tag one text as ``"zh"``, ``"en"`` or ``"other"``.

    A text is ``zh`` when CJK ideographs make up at least 30% of its letters (one
    ideograph carries about as much as a short English word), ``en`` when Latin
    letters dominate, ``other`` otherwise (other scripts, digits or emoji only).

    Examples
    --------
    >>> detect_language("电池续航太差了")
    'zh'
    >>> detect_language("app 老是闪退")
    'zh'
    >>> detect_language("Battery drains fast")
    'en'
    >>> detect_language("👍 10/10")
    'other'
    """
    cjk = len(_CJK.findall(text))
    latin = len(_LATIN.findall(text))
    other = len(_OTHER_LETTER.findall(text))
    letters = cjk + latin + other
    if letters == 0:
        return "other"
    if cjk / letters >= 0.3:
        return "zh"
    if latin / letters >= 0.5:
        return "en"
    return "other"


def dominant_language(languages: Iterable[str]) -> dict[str, float]:
    """Share of each language tag, e.g. ``{"en": 0.8, "zh": 0.2}``."""
    counts = Counter(languages)
    total = sum(counts.values()) or 1
    return {k: v / total for k, v in counts.most_common()}
