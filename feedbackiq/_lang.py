"""Language tagging: zh / en / other, cheap enough to run on every item.

Customer feedback is short and often mixed ("app 老是闪退"), so a statistical
detector is unreliable; the share of CJK ideographs among letters decides instead.
Text in Latin letters is English unless it reads as another European language: its
function words ("la", "und", "très") outnumber the English ones, or it has accented
letters (á, ü, ç, ß) and no English function word. ``other`` then means another language,
or no words at all (numbers, emoji); :func:`has_words` tells the two apart.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from feedbackiq.types import Language

__all__ = ["detect_language", "dominant_language", "has_words", "has_cjk", "has_accented_latin", "reads_foreign",
           "FOREIGN_FUNCTION_WORDS", "CJK", "CJK_IDEOGRAPHS"]

# CJK ideographs, as the ranges of a regex character class: extension A, the unified block and the
# compatibility block (not the Yijing hexagram symbols between the first two). Every module that asks
# "is this Chinese?" of a character uses these.
CJK_IDEOGRAPHS = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
CJK = re.compile(f"[{CJK_IDEOGRAPHS}]")
_KANA = re.compile(r"[\u3040-\u30ff\u31f0-\u31ff]")
_LATIN = re.compile(r"[A-Za-z]")
# Latin letters beyond ASCII: Latin-1 supplement and Extended-A/B (× and ÷ are not letters), Vietnamese.
_LATIN_ACCENTED = re.compile(r"[\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u1e00-\u1eff]")
_LETTER = re.compile(r"[^\W\d_]")
_WORDS = re.compile(r"[^\W\d_]+")

_EN_FUNCTION_WORDS = frozenset(
    "the and is are was were it its to of for with this that these those i my you your we our they their not "
    "but at be been have has had can can't cannot do does did don't doesn't would should will very too when "
    "what how there or if from by just all any after because about only than then"
    .split())
# Frequent Spanish, Portuguese, French, Italian, German and Dutch function words that an English sentence
# hardly ever contains (so "die", "was", "per", "come", "van", "no", "me", "so" and "a" are left out).
FOREIGN_FUNCTION_WORDS = frozenset(
    # Spanish / Portuguese
    "el la los las del que es un una unos por para con muy pero más se lo su sus al y está esta este esto "
    "cuando porque hay nada sin también mi tiene puedo funciona não uma muito em mas é ao pelo "
    "pela você isso quando sempre nunca "
    # French
    "le les des du est et une pas ne je il elle nous vous sur avec pour dans qui très mais ce cette sont "
    "peut fait trop "
    # Italian
    "il di che sono molto della questo anche perché funziona gli nel alla "
    # German
    "der das und ist nicht ich mit sehr auf ein eine zu den dem bei auch wenn noch kann keine kein nur wird "
    "für über schon immer aber oder sich mir mich wir sie bitte funktioniert "
    # Dutch
    "de het een niet en ik op te voor zijn maar wel ook erg werkt"
    .split())


def detect_language(text: str) -> Language:
    """Tag one text as ``"zh"``, ``"en"`` or ``"other"``.

    A text is ``zh`` when CJK ideographs make up at least 30% of its letters (one
    ideograph carries about as much as a short English word) and it has no Japanese kana to
    speak of, ``en`` when Latin letters dominate and it does not read as another European
    language, ``other`` otherwise (other scripts, Spanish or German ..., digits or emoji only).

    Examples
    --------
    >>> detect_language("电池续航太差了")
    'zh'
    >>> detect_language("app 老是闪退")
    'zh'
    >>> detect_language("Battery drains fast")
    'en'
    >>> [detect_language(t) for t in ("La aplicación se cierra", "Das Gerät stürzt ab", "Батарея садится")]
    ['other', 'other', 'other']
    >>> detect_language("The café's wifi is slow"), detect_language("👍 10/10")
    ('en', 'other')
    """
    cjk = len(CJK.findall(text))
    kana = len(_KANA.findall(text))
    letters = len(_LETTER.findall(text))
    if letters == 0:
        return "other"
    if cjk / letters >= 0.3 and kana <= 0.2 * (cjk + kana):
        return "zh"
    latin = len(_LATIN.findall(text))
    accented = len(_LATIN_ACCENTED.findall(text))
    if (latin + accented) / letters >= 0.5:
        return "other" if reads_foreign(_WORDS.findall(text.lower()), accented > 0) else "en"
    return "other"


def reads_foreign(words: Iterable[str], accented: bool) -> bool:
    """Whether Latin-letter text with these (lower-case) ``words`` reads as another European language
    than English: more foreign than English function words, an accented letter counting as one.

    >>> reads_foreign(["muy", "buena", "app"], False), reads_foreign(["las", "vegas", "is", "hot"], False)
    (True, False)
    """
    english = foreign = 0
    for w in words:
        english += w in _EN_FUNCTION_WORDS
        foreign += w in FOREIGN_FUNCTION_WORDS
    return foreign + accented > english


def has_cjk(text: str) -> bool:
    """Whether ``text`` holds a Chinese character.

    >>> has_cjk("app 老是闪退"), has_cjk("crashes")
    (True, False)
    """
    return CJK.search(text) is not None


def has_accented_latin(text: str) -> bool:
    """Whether ``text`` has a Latin letter beyond ASCII (á, ü, ç, ß ...)."""
    return not text.isascii() and _LATIN_ACCENTED.search(text) is not None


def has_words(text: str) -> bool:
    """Whether ``text`` has any letter (in any script): numbers and emoji alone say nothing of a language.

    >>> has_words("👍 10/10"), has_words("ok 👍")
    (False, True)
    """
    return _LETTER.search(text) is not None


def dominant_language(languages: Iterable[str]) -> dict[str, float]:
    """Share of each language tag, e.g. ``{"en": 0.8, "zh": 0.2}``."""
    counts = Counter(languages)
    total = sum(counts.values()) or 1
    return {k: v / total for k, v in counts.most_common()}
