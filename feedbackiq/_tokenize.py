"""Content words of one text, for Chinese, English and other languages.

Chinese has no spaces, so it is segmented with jieba; other text is split into words
of Unicode letters (so "aplicación", "Gerät" and "батарея" stay whole) and gets
bigrams too ("battery life"). Stop words: English, Chinese and Russian, and in text
that reads as another European language (``feedbackiq._lang.reads_foreign``) the most
frequent function words of Spanish, Portuguese, French, Italian, German and Dutch too:
not in English text, where "la", "im" or "eu" can be words that matter (LA, I'm, EU).
Theme keywords, persona words, feature messaging and prompt budgets all count words this way.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from importlib import resources

import regex

from feedbackiq._lang import CJK_IDEOGRAPHS, has_accented_latin, has_cjk, reads_foreign

__all__ = ["tokenize", "stopwords"]

# A word: a letter, then letters, combining marks (Hindi's vowel signs), digits, ' or -, ending in no ' or -.
_WORD = regex.compile(r"\p{L}\p{M}*(?:[\p{L}\p{M}\p{N}'\-]*[\p{L}\p{M}\p{N}])?")
_ASCII_WORD = re.compile(r"[a-z][a-z0-9'\-]*[a-z0-9]|[a-z]")   # the same words in ASCII text, faster
_CJK_WORD = re.compile(rf"^[{CJK_IDEOGRAPHS}]{{2,}}$")


@functools.cache
def stopwords(latin_foreign: bool = False) -> frozenset[str]:
    """Stop words of English, Chinese and Russian; with ``latin_foreign`` also of Spanish, Portuguese,
    French, Italian, German and Dutch."""
    names = ("stopwords_en.txt", "stopwords_zh.txt", "stopwords_ru.txt") + (("stopwords_latin.txt",) if latin_foreign else ())
    words: set[str] = set()
    for name in names:
        words.update(resources.files("feedbackiq").joinpath("_data", name).read_text(encoding="utf-8").split())
    return frozenset(words)


@functools.cache
def _jieba():
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)  # jieba prints its dictionary loading to stderr otherwise
    jieba.initialize()
    return jieba


def tokenize(text: str) -> list[str]:
    """Content words and English bigrams of one text.

    >>> tokenize("The battery life is terrible")
    ['battery', 'life', 'terrible', 'battery life', 'life terrible']
    >>> "电池" in tokenize("电池续航太差了")
    True
    >>> tokenize("La aplicación del Gerät")
    ['aplicación', 'gerät', 'aplicación gerät']
    """
    # NFC: a letter typed as base + combining accent ("e" + U+0301) is one letter, as in the word lists.
    lowered = text.lower() if text.isascii() else unicodedata.normalize("NFC", text).lower()
    if has_cjk(lowered):
        stop = stopwords()
        raw = _jieba().lcut(lowered)
        words = [w for w in (t.strip() for t in raw) if w and w not in stop and (_CJK_WORD.match(w) or _WORD.fullmatch(w))]
        return [w for w in words if len(w) > 1]
    found = (_ASCII_WORD if lowered.isascii() else _WORD).findall(lowered)
    stop = stopwords(reads_foreign(found, has_accented_latin(lowered)))
    words = [w for w in found if w not in stop and len(w) > 1]
    return words + [f"{a} {b}" for a, b in zip(words, words[1:])]
