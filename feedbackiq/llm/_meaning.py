"""What an LLM's names and need statements mean, checked beyond their citations.

A reply can cite real items and still say something else. What code can check:

- **A name fits its need**: in the report's own vector space, no other need is nearer the name than its own
  by ``FIT_MARGIN`` or more. A name written for one need and given to another (the prompt's example name,
  "Longer battery life", on an onboarding need) is nearer the need it describes.
- **A need statement is supported by the items it cites**: the mean cosine between the statement and its
  cited items reaches ``MIN_SUPPORT``, and it fits its need as a name must.
- **A statement does not turn what customers have into what they need**: "contractors need to see every
  sheet" from "contractors can see every sheet, finance is worried" (the need phrase follows "can" in a
  cited item: they already can). Checked within a language (English and Chinese markers).
- **A statement does not rest on praise alone**: every cited item praises without a problem or a wish.
- **A name copies no example of its prompt** (prompts carry none; a phrase in quotes in the prompt counts).

Both thresholds are measured on the samples' planted truth (``evals/claim_checks.py``, evals/README.md).
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Sequence
from typing import Any

import numpy as np

from feedbackiq._lang import CJK_IDEOGRAPHS, has_cjk
from feedbackiq.themes import group_document, report_embedder
from feedbackiq.types import ThemeReport

__all__ = ["MeaningChecks", "inverts", "praise_only", "name_key", "prompt_examples", "FIT_MARGIN", "MIN_SUPPORT",
           "NOT_SUPPORTED", "INVERTED", "PRAISE_ONLY", "FITS_ANOTHER", "COPIES_EXAMPLE", "SAME_NAME"]

FIT_MARGIN = 0.10    # another need nearer than the own need by this much: the text is about that need
MIN_SUPPORT = 0.15   # mean cosine of a need statement to the items it cites
# Reasons a name or a statement is dropped (counted by these words).
NOT_SUPPORTED = "not supported by its cited items"
INVERTED = "says they need what a cited item says they have"
PRAISE_ONLY = "cites only praise"
FITS_ANOTHER = "fits another need better"
COPIES_EXAMPLE = "copies the prompt's example"
SAME_NAME = "same name as another need"

_WANT_EN = re.compile(r"\b(?:needs?|wants?|would like|(?:must|should) be able|ha(?:s|ve) to)\s+(?:to\s+)?(?:be able to\s+)?"
                      r"([a-z0-9][\w\-]*(?:\s+[\w\-]+){1,3})")
_HAVE_EN = r"(?<![\w'’])(?:can|could|(?:is|are) able to|already)\s+"
_WANT_ZH = re.compile(rf"(?:需要|希望能|希望|想要|要能|必须能)([{CJK_IDEOGRAPHS}]{{3,8}})")
_HAVE_ZH = r"(?<![不没無无])(?:能够|可以|能)"


def name_key(name: str) -> str:
    """A name compared without case, width, punctuation or spacing: two names with one key are one name.

    >>> name_key("Battery life.") == name_key("battery  LIFE"), name_key("电池续航。") == name_key("电池 续航")
    (True, True)
    """
    norm = unicodedata.normalize("NFKC", name).casefold()
    words = "".join(ch if ch.isalnum() else " " for ch in norm).split()
    return ("" if has_cjk(norm) else " ").join(words)


def prompt_examples(*texts: str) -> set[str]:
    """The phrases a prompt shows in quotes (field names, examples), as :func:`name_key` keys: a name equal to
    one of them was copied from the prompt."""
    found = re.findall(r'"([^"\n]{2,60})"|“([^”\n]{2,60})”', "\n".join(texts))
    return {name_key(a or b) for a, b in found}


def inverts(statement: str, cited: Sequence[str]) -> bool:
    """Whether the statement says customers need what a cited item says they already have or can do.

    >>> inverts("Contractors need to see every sheet", ["contractors can see every sheet, finance is worried"])
    True
    >>> inverts("Contractors need to see only their sheets", ["contractors can see every sheet"])
    False
    >>> inverts("Contractors need to see every sheet", ["contractors can't see every sheet"])
    False
    >>> inverts("外包人员需要看到所有表格", ["外包人员能看到所有表格，财务很担心"]), inverts("外包人员需要看到所有表格", ["外包人员不能看到所有表格"])
    (True, False)
    """
    s = unicodedata.normalize("NFKC", statement).casefold()
    texts = [unicodedata.normalize("NFKC", t).casefold() for t in cited]
    for m in _WANT_EN.finditer(s):
        words = re.split(r"\s+", m.group(1))[:3]
        pattern = re.compile(_HAVE_EN + r"\s+".join(map(re.escape, words)) + r"\b")
        if any(pattern.search(t) for t in texts):
            return True
    for m in _WANT_ZH.finditer(s):
        pattern = re.compile(_HAVE_ZH + re.escape(m.group(1)[:4]))
        if any(pattern.search(t) for t in texts):
            return True
    return False


def praise_only(cited: Sequence[str]) -> bool:
    """Every cited item praises or thanks, and none names a problem or a wish."""
    from feedbackiq.themes import item_cues

    cues = [item_cues(t) for t in cited]
    return bool(cues) and all(praise and not problem for praise, problem in cues)


class MeaningChecks:
    """The meaning checks for one report's names and statements, in its own vector space.

    Parameters
    ----------
    report : ThemeReport
        The report being named (its needs as they were before naming).
    embedder : Embedder, optional
        Default the report's model (:func:`~feedbackiq.themes._similarity.report_embedder`), loaded on first use.
    """

    def __init__(self, report: ThemeReport, embedder: Any = None) -> None:
        self.report, self._embedder = report, embedder
        self._lock = threading.Lock()   # the checks run in LLM.map's threads; one model, one call at a time
        self._docs: np.ndarray | None = None
        self._owner: np.ndarray | None = None
        self._columns: list[int] = []

    def _embed(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            if self._embedder is None:
                self._embedder = report_embedder(self.report)
            return np.asarray(self._embedder.embed(texts), dtype=np.float32)

    def _need_documents(self) -> None:
        """Each need's document and its themes' (a need is as near a text as the nearest of them); a report
        without needs: each theme's."""
        themes = {t.id: t for t in self.report.themes}
        groups = [(n.id, [n, *(themes[i] for i in n.theme_ids if i in themes)]) for n in self.report.needs] \
            or [(t.id, [t]) for t in self.report.themes]
        docs = [group_document(g) for _, members in groups for g in members]
        self._owner = np.array([k for k, (_, members) in enumerate(groups) for _ in members])
        self._columns = [gid for gid, _ in groups]
        self._docs = self._embed(docs) if docs else np.zeros((0, 1), dtype=np.float32)

    def fits(self, text: str, group_id: int | None) -> bool:
        """False when another need (a theme, in a report without needs) is nearer ``text`` than ``group_id``
        by ``FIT_MARGIN`` or more."""
        if self._docs is None:
            self._need_documents()
        if group_id not in self._columns or len(self._columns) < 2:
            return True
        sims = self._docs @ self._embed([text])[0]
        best = np.full(len(self._columns), -np.inf)
        np.maximum.at(best, self._owner, sims)
        own = best[self._columns.index(group_id)]
        return not (np.delete(best, self._columns.index(group_id)).max() >= own + FIT_MARGIN)

    def support(self, statement: str, cited: Sequence[str]) -> float:
        """Mean cosine between the statement and the texts it cites."""
        vecs = self._embed([statement, *cited])
        return float((vecs[1:] @ vecs[0]).mean()) if len(cited) else 0.0

    def supported(self, statement: str, cited: Sequence[str]) -> bool:
        """Whether the statement stands on the texts it cites: :meth:`support` reaches ``MIN_SUPPORT`` (need
        statements, persona and message claims alike)."""
        return self.support(statement, cited) >= MIN_SUPPORT

    def statement_problem(self, statement: str, cited: Sequence[str], group_id: int | None) -> str | None:
        """Why a need statement does not stand on the items it cites (None: it does)."""
        if praise_only(cited):
            return PRAISE_ONLY
        if inverts(statement, cited):
            return INVERTED
        if not self.supported(statement, cited):
            return NOT_SUPPORTED
        if not self.fits(statement, group_id):
            return FITS_ANOTHER
        return None
