"""Keeping prompts inside a small model's context window.

A local model has a context of a few thousand tokens (8,192 by default here), shared by the
system prompt, the instructions, the feedback shown as evidence and the reply. The feedback is
the part that grows with the data, so it is what gets cut: fewer items, and long items shortened
to a prefix (a prefix of an item is still its exact text, so a quote taken from it stays
checkable against the item).

Token counts are estimated without the model's tokenizer, on the safe side: one token per
Chinese, Japanese or Korean character (BPE vocabularies such as Qwen's average more than one
character per token) and one per three characters of other text (English averages about four),
plus a few tokens per chat message for the role markers.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

__all__ = ["estimate_tokens", "estimate_messages", "evidence_budget", "fit_records", "fit_items", "shorten",
           "REPLY_TOKENS"]

T = TypeVar("T")

# What a structured reply (a name, a statement, a few claims with citations) needs, with room to spare.
REPLY_TOKENS = 1024
_PER_MESSAGE = 4  # role and separator tokens of the chat template
_WIDE = re.compile(r"[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef\u3000-\u303f]")
_SENTENCE_END = re.compile(r"[.!?。！？；;]\s*")


def estimate_tokens(text: str) -> int:
    """A safe (high) estimate of the tokens in ``text``.

    >>> estimate_tokens("Battery dies by noon"), estimate_tokens("电池续航太短")
    (7, 6)
    """
    if not text:
        return 0
    wide = len(_WIDE.findall(text))
    return wide + math.ceil((len(text) - wide) / 3)


def estimate_messages(messages: Sequence[dict[str, Any]]) -> int:
    """Estimated prompt tokens of chat messages, role markers included."""
    return sum(_PER_MESSAGE + estimate_tokens(str(m.get("content") or "")) for m in messages)


def evidence_budget(messages_without_evidence: Sequence[dict[str, Any]], context_tokens: int, *,
                    reply_tokens: int = REPLY_TOKENS) -> int:
    """Tokens left for the feedback shown as evidence: the context less the rest of the prompt and the reply.

    Render the prompt once with an empty evidence block, then fill the block with :func:`fit_records`
    within this budget. Never negative.

    >>> evidence_budget([{"role": "system", "content": "x" * 3000}], 8192)
    6164
    """
    return max(0, context_tokens - reply_tokens - estimate_messages(messages_without_evidence))


def shorten(text: str, max_chars: int) -> str:
    """A prefix of ``text`` of at most ``max_chars``, ending at a sentence end when one is in the last half,
    else at a word boundary, with ``...`` dropped: the result is always a substring of ``text``.

    >>> shorten("Battery dies by noon. Charging is slow too.", 30)
    'Battery dies by noon.'
    >>> shorten("电池续航太短，一天要充三次电", 8)
    '电池续航太短，一'
    """
    if len(text) <= max_chars:
        return text
    head = text[:max_chars]
    ends = [m.end() for m in _SENTENCE_END.finditer(head)]
    if ends and ends[-1] >= max_chars // 2:
        return head[: ends[-1]].rstrip()
    space = head.rfind(" ")
    return head[:space].rstrip() if space >= max_chars // 2 else head


def fit_records(records: Sequence[T], budget_tokens: int, *, text: Callable[[T], str] | str = "text",
                max_chars: int | None = None, min_records: int = 1) -> list[T]:
    """The records (best first) that fit in ``budget_tokens`` once written as JSON lines.

    Parameters
    ----------
    records : sequence of dict (or any object)
        The evidence in order of preference, as it will be shown (``feedback_block`` records).
    budget_tokens : int
        From :func:`evidence_budget`.
    text : str or callable
        The key of a dict record's text (default ``"text"``), or a function returning the text; with a
        function, records are kept or dropped but not shortened.
    max_chars : int, optional
        Longer texts are cut to a prefix first (:func:`shorten`), so one long item does not crowd out
        the others. Dict records are copied, never changed in place.
    min_records : int, default 1
        Kept even when over budget (cut to ``max_chars`` or to what the budget leaves), so a call always
        has some evidence to cite; the prompt may then exceed the estimate.

    Returns
    -------
    list
        Kept records, in their original order; a record that does not fit is skipped and a later,
        shorter one may still fit.

    Examples
    --------
    >>> recs = [{"id": i, "text": "word " * n} for i, n in enumerate([50, 500, 20])]
    >>> [r["id"] for r in fit_records(recs, 200)]
    [0, 2]
    >>> [len(r["text"]) for r in fit_records(recs, 400, max_chars=100)]
    [99, 99, 100]
    """
    kept: list[T] = []
    used = 0
    for i, rec in enumerate(records):
        shown = rec
        if max_chars is not None and isinstance(rec, dict) and isinstance(text, str):
            value = str(rec.get(text) or "")
            if len(value) > max_chars:
                shown = {**rec, text: shorten(value, max_chars)}  # type: ignore[assignment]
        cost = _record_tokens(shown, text)
        if used + cost <= budget_tokens:
            kept.append(shown)
            used += cost
        elif len(kept) < min_records and isinstance(shown, dict) and isinstance(text, str):
            room = max(40, 3 * (budget_tokens - used - _record_tokens({**shown, text: ""}, text)))
            kept.append({**shown, text: shorten(str(shown.get(text) or ""), room)})  # type: ignore[arg-type]
            used = budget_tokens
        elif len(kept) < min_records and i == len(records) - 1:
            kept.append(shown)
    return kept


def _record_tokens(record: Any, text: Callable[[Any], str] | str) -> int:
    if isinstance(record, dict):
        return 1 + estimate_tokens(json.dumps(record, ensure_ascii=False))
    return 1 + estimate_tokens(text(record) if callable(text) else str(record))


def fit_items(items: Sequence[Any], budget_tokens: int, *, texts: dict[str, str] | None = None,
              max_chars: int | None = None, min_records: int = 1) -> tuple[list[Any], dict[str, str]]:
    """Feedback items (best first) that fit in ``budget_tokens`` as an :class:`~feedbackiq.llm._evidence.EvidenceSet`
    block, and the text to show for each (``texts``, e.g. redacted, else the item's own; shortened to a prefix).

    Use as ``EvidenceSet(*fit_items(items, evidence_budget(messages, llm.context_tokens), max_chars=400))``.

    >>> from feedbackiq.types import FeedbackItem
    >>> items = [FeedbackItem(id=f"r{n}", text="Battery dies by noon. " * n, source="review") for n in (2, 90, 3)]
    >>> kept, shown = fit_items(items, 120)
    >>> [it.id for it in kept], shown["r3"] == items[2].text
    (['r2', 'r3'], True)
    """
    texts = texts or {}
    # As EvidenceSet.block writes them (the handle a model cites is renumbered when the set is built).
    records = [{"ref": n, "source": getattr(it.source, "value", str(it.source)), "text": texts.get(it.id, it.text)}
               for n, it in enumerate(items, 1)]
    kept = fit_records(records, budget_tokens, max_chars=max_chars, min_records=min_records)
    return [items[r["ref"] - 1] for r in kept], {items[r["ref"] - 1].id: r["text"] for r in kept}
