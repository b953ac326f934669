"""Whole-word term matching in English (and other space-separated scripts) and Chinese.

Used wherever a user's or a lexicon's words are looked up in feedback text (card ``match:
{keywords}``, churn terms). A substring test would find "warehouse" in a camera complaint about
"dim warehouses" and "permission" in "permissionless"; here:

- a term in a space-separated script matches whole words, case-insensitive, with an inflection
  allowed on its last word ("permission" finds "permissions", "cancel" finds "cancelled", "ship"
  finds "shipping"), never inside a longer word; a phrase matches its words in order with any
  spacing between them;
- a Chinese term matches whole jieba tokens: its own tokens in a row among the text's tokens, or
  one of the finer tokens jieba's search mode gives for a long word ("部门" in "部门间"), so
  "卡" is not found in "信用卡".
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from importlib import resources

from feedbackiq._lang import CJK_IDEOGRAPHS, has_cjk

__all__ = ["TermMatcher", "lexicon"]

# A word boundary that treats Chinese characters as spaces: in mixed text ("权限permission") the
# Latin word still stands alone, where \b would see one long word.
_BEFORE = rf"(?:(?<!\w)|(?<=[{CJK_IDEOGRAPHS}]))"
_AFTER = rf"(?:(?!\w)|(?=[{CJK_IDEOGRAPHS}]))"


@functools.cache
def _jieba():
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)  # jieba prints its dictionary loading to stderr otherwise
    jieba.initialize()
    return jieba


def _word_pattern(term: str) -> str:
    words = [re.escape(w) for w in term.lower().split()]
    last = term.lower().split()[-1]
    if last[-1].isalpha():
        ending = rf"(?:{re.escape(last[-1])}?(?:ed|ing|er|ers)|s|es|'s|d)?"
        if last.endswith("y"):
            words[-1] = re.escape(last[:-1]) + r"(?:y|ies|ied)"
            ending = r"(?:'s|ing)?"
        words[-1] += ending
    return _BEFORE + r"\s+".join(words) + _AFTER


class TermMatcher:
    """Find which of a list of terms a text carries, as whole words or whole Chinese tokens.

    Parameters
    ----------
    terms : iterable of str
        English, Chinese or mixed; blank terms are ignored; matching ignores case.

    Examples
    --------
    >>> m = TermMatcher(["warehouse", "permission", "cancel", "部门", "卡"])
    >>> sorted(m.find("Per-sheet permissions, or we cancelled"))
    ['cancel', 'permission']
    >>> sorted(m.find("photos in dim warehouses are grainy")), sorted(m.find("the warehousing team"))
    (['warehouse'], [])
    >>> sorted(m.find("各部门之间看不到库存")), sorted(m.find("信用卡付款失败"))
    (['部门'], [])
    """

    def __init__(self, terms: Iterable[str]) -> None:
        self.terms = list(dict.fromkeys(t.strip() for t in terms if t and t.strip()))
        self._latin = {t: re.compile(_word_pattern(t), re.I) for t in self.terms if not has_cjk(t)}
        self._chinese = {t: [w for w in _jieba().lcut(t.lower()) if w.strip()] for t in self.terms if has_cjk(t)}

    def find(self, text: str) -> set[str]:
        """The terms ``text`` carries."""
        lowered = text.lower()
        found = {t for t, pat in self._latin.items() if _maybe(t, lowered) and pat.search(lowered)}
        candidates = [t for t in self._chinese if t.lower().replace(" ", "") in lowered.replace(" ", "")]
        if candidates:   # jieba only for the texts that hold the characters at all
            tokens = [w for w in _jieba().lcut(lowered) if w.strip()]
            fine = set(_jieba().lcut_for_search(lowered))
            found.update(t for t in candidates if _contains_run(tokens, self._chinese[t]) or t.lower() in fine)
        return found

    def search(self, text: str) -> bool:
        """Whether ``text`` carries any of the terms."""
        return bool(self.find(text))

    def count_items(self, texts: Sequence[str]) -> dict[str, int]:
        """For each term, how many of ``texts`` carry it (each distinct text looked at once)."""
        counts = dict.fromkeys(self.terms, 0)
        seen: dict[str, set[str]] = {}
        for text in texts:
            hit = seen.get(text)
            if hit is None:
                hit = seen[text] = self.find(text)
            for t in hit:
                counts[t] += 1
        return counts


def _maybe(term: str, lowered: str) -> bool:
    """Cheap pre-check: the term's first word's stem is in the text (the regex decides)."""
    first = term.lower().split()[0]
    return first[: max(len(first) - 1, 1)] in lowered


def _contains_run(tokens: list[str], run: list[str]) -> bool:
    n = len(run)
    return n > 0 and any(tokens[i:i + n] == run for i in range(len(tokens) - n + 1))


@functools.cache
def lexicon(name: str) -> TermMatcher:
    """A word list of ``feedbackiq/_data`` (one term a line, ``#`` comments) as a :class:`TermMatcher`."""
    text = resources.files("feedbackiq").joinpath("_data", name).read_text(encoding="utf-8")
    return TermMatcher(t.strip() for t in text.splitlines() if t.strip() and not t.lstrip().startswith("#"))
