"""Evidence a model can cite and code can check: short handles, quotes aligned to the item's own text.

A real model does not copy a 200-character quote character for character: it drops a trailing
period, keeps or drops a "Prospect says" prefix, writes ``...`` for ``。`` or "can't" for "can’t". So
the model cites items by a short handle (``[12]``), the number an :class:`EvidenceSet` gave each item
in the prompt, optionally with a quote; code then finds the span of the item's text that the quote
stands for, word by word (character by character in Chinese) once both are normalised: Unicode
compatibility forms, so full-width and half-width agree; case; punctuation, quotes, dashes and
ellipses ignored; a word dropped or misspelt tolerated, a different ending not. What is shown to a
reader is always that span of the item's own text, never the model's copy.

A claim is kept or dropped on its own (:func:`judge_claim`): a claim with no citation, an unknown
handle, an item of the wrong source kind (objections and buying triggers must rest on sales notes),
a quote that matches too little of the cited item, or a number found neither in the facts nor in the
cited items is dropped, with the reason, and the rest of the reply stands.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from feedbackiq._lang import CJK
from feedbackiq.llm._prompts import feedback_block
from feedbackiq.types import Citation, FeedbackItem, SourceKind

__all__ = ["EvidenceSet", "align_quote", "judge_claim", "ClaimVerdict", "MIN_QUOTE_SHARE", "DROP_REASONS"]

MIN_QUOTE_SHARE = 0.8   # of the quote's words (Chinese: characters) the aligned span must hold
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_HANDLE = re.compile(r"^\s*\[?\s*#?(\d+)\s*\]?\s*$")
DROP_REASONS = ("no citation", "unknown reference", "wrong source", "quote not in the cited item", "invented number")


class EvidenceSet:
    """Items shown to a model, each under a short handle ``1..n`` (as they appear in the prompt).

    Examples
    --------
    >>> from feedbackiq.types import FeedbackItem
    >>> ev = EvidenceSet([FeedbackItem(id="crm:N-7", text="Prospect says: battery dies by noon.", source="sales_note")])
    >>> ev.resolve("[1]").id, ev.resolve(1).id, ev.resolve("2")
    ('crm:N-7', 'crm:N-7', None)
    """

    def __init__(self, items: Iterable[FeedbackItem], texts: dict[str, str] | None = None) -> None:
        self.items = list(items)
        # The text the model sees (redacted) per item id; the item's own text where not given.
        self.texts = {it.id: (texts or {}).get(it.id, it.text) for it in self.items}

    def __len__(self) -> int:
        return len(self.items)

    def block(self, with_source: bool = True) -> str:
        """The ``<feedback_data>`` block: one JSON line per item, ``{"ref": n, "text": ...}``."""
        return feedback_block([{"ref": n, **({"source": it.source.value} if with_source else {}), "text": self.texts[it.id]}
                               for n, it in enumerate(self.items, 1)])

    def resolve(self, handle: int | str) -> FeedbackItem | None:
        """The item a handle names (``12``, ``"12"``, ``"[12]"``), or None."""
        m = _HANDLE.match(str(handle))
        n = int(m.group(1)) if m else 0
        return self.items[n - 1] if 1 <= n <= len(self.items) else None


def _tokens(text: str) -> list[tuple[str, int, int]]:
    """Words (and single Chinese characters) of ``text`` compared without case, full/half-width or
    punctuation differences (NFKC, casefolded), each with its span in ``text``."""
    out: list[tuple[str, int, int]] = []
    word, start = "", 0
    for i, ch in enumerate(text):
        norm = unicodedata.normalize("NFKC", ch).casefold()
        if not norm or all(unicodedata.category(c)[0] in "PSZC" for c in norm):
            if word:
                out.append((word, start, i))
            word = ""
        elif CJK.match(norm):
            if word:
                out.append((word, start, i))
            out.append((norm, i, i + 1))
            word = ""
        else:
            if not word:
                start = i
            word += norm
    if word:
        out.append((word, start, len(text)))
    return out


def align_quote(quote: str, text: str, min_share: float = MIN_QUOTE_SHARE) -> tuple[int, int] | None:
    """The span ``(start, end)`` of ``text`` that ``quote`` stands for, or None.

    Quote and text are compared word by word (character by character in Chinese), ignoring case,
    punctuation and full/half-width forms. The longest run of words they share anchors the span; runs
    in order next to it (a word dropped or misspelt in between) extend it; together they must cover
    ``min_share`` of the quote's words.

    Examples
    --------
    >>> t = "Prospect says: the battery can’t last a shift。"
    >>> s = align_quote("the battery can't last a shift...", t); t[s[0]:s[1]]
    'the battery can’t last a shift'
    >>> align_quote("battery is great", t) is None
    True
    >>> t2 = "电池续航太差了，一天都撑不住"
    >>> s = align_quote("电池续航太差了...", t2); t2[s[0]:s[1]]
    '电池续航太差了'
    """
    q = [w for w, _, _ in _tokens(quote)]
    tt = _tokens(text)
    t = [w for w, _, _ in tt]
    if not q or not t:
        return None
    sm = difflib.SequenceMatcher(None, q, t, autojunk=False)
    anchor = sm.find_longest_match(0, len(q), 0, len(t))
    if anchor.size == 0:
        return None
    # Runs that keep the order of the quote within a quote's length of the anchor.
    lo_q, hi_q, lo_t, hi_t, covered = anchor.a, anchor.a + anchor.size, anchor.b, anchor.b + anchor.size, anchor.size
    for block in sm.get_matching_blocks():
        if block.size == 0 or block.b == anchor.b:
            continue
        if block.a + block.size <= lo_q and block.b + block.size <= lo_t and lo_t - (block.b + block.size) <= len(q):
            lo_q, lo_t, covered = block.a, block.b, covered + block.size
        elif block.a >= hi_q and block.b >= hi_t and block.b - hi_t <= len(q):
            hi_q, hi_t, covered = block.a + block.size, block.b + block.size, covered + block.size
    if covered < min_share * len(q):
        return None
    return tt[lo_t][1], tt[hi_t - 1][2]


@dataclass
class ClaimVerdict:
    """A claim's fate: kept with its citations (the items' own text), or dropped with a reason."""

    kept: bool
    reason: str | None
    citations: list[Citation]


def judge_claim(text: str, refs: Sequence[int | str], quotes: Sequence[str | None], evidence: EvidenceSet, *,
                sources: Sequence[SourceKind] | None = None, facts: str = "") -> ClaimVerdict:
    """Keep or drop one claim on its own evidence.

    Parameters
    ----------
    text : str
        The claim.
    refs : sequence of int or str
        The handles it cites.
    quotes : sequence of str or None
        The model's quotes, in any order (none given: each cited item's text is shown whole). A quote
        is aligned to a cited item, else to another item the model was shown (of the right source).
        The claim keeps the citations that hold and is dropped only when none does.
    evidence : EvidenceSet
    sources : sequence of SourceKind, optional
        The source kinds the cited items must be (objections and triggers: sales notes).
    facts : str
        Computed facts the claim may take numbers from.

    Examples
    --------
    >>> from feedbackiq.types import FeedbackItem
    >>> ev = EvidenceSet([FeedbackItem(id="a", text="Support takes 3 days to answer.", source="survey")])
    >>> v = judge_claim("Support is slow", ["[1]"], ["support takes 3 days to answer"], ev); v.kept, v.citations[0].quote
    (True, 'Support takes 3 days to answer')
    >>> judge_claim("Support takes 5 days", [1], [None], ev).reason
    'invented number'
    >>> judge_claim("Support is slow", [1], [None], ev, sources=[SourceKind.SALES_NOTE]).reason
    'wrong source'
    >>> judge_claim("Support is slow", [7, 1], ["...takes 3 days"], ev).citations[0].quote   # one handle too many
    'takes 3 days'
    """
    if not refs:
        return ClaimVerdict(False, "no citation", [])
    # Models cite loosely: several handles with quotes in another order, one handle too many, a quote of an
    # item they saw but did not cite. Each citation is verified on its own and the claim stands on those that
    # hold; it is dropped only when none does.
    cited = list({it.id: it for it in map(evidence.resolve, refs) if it is not None}.values())
    if not cited:
        return ClaimVerdict(False, "unknown reference", [])
    if sources is not None:
        cited = [it for it in cited if it.source in sources]
        if not cited:
            return ClaimVerdict(False, "wrong source", [])
    quotes = [q for q in quotes if q]
    citations: dict[str, Citation] = {}
    if quotes:
        # the cited items first, then the rest of what the model was shown (of the right source)
        ids = {it.id for it in cited}
        candidates = cited + [it for it in evidence.items if it.id not in ids and (sources is None or it.source in sources)]
        for quote in quotes:
            for item in candidates:
                span = align_quote(quote, evidence.texts[item.id])
                if span is not None:
                    if item.id not in citations:
                        citations[item.id] = Citation(item_id=item.id, quote=evidence.texts[item.id][span[0]:span[1]])
                    break
        if not citations:
            return ClaimVerdict(False, "quote not in the cited item", [])
    else:
        citations = {it.id: Citation(item_id=it.id, quote=evidence.texts[it.id]) for it in cited}
    allowed = set(_NUMBER.findall(facts)) | {n for i in citations for n in _NUMBER.findall(evidence.texts[i])}
    if any(n not in allowed for n in _NUMBER.findall(text)):
        return ClaimVerdict(False, "invented number", [])
    return ClaimVerdict(True, None, list(citations.values()))
