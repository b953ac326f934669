"""Claims a model makes, each kept or dropped on its own evidence; a reply is sent back only when too little survives.

Every LLM step (need and theme names, persona drafts, feature messages) asks for claims that carry the
handles of the evidence items they rest on (``refs``: required in the reply schema, so a server that
follows the schema never leaves it out) and optional quotes. Each claim is judged alone
(:func:`feedbackiq.llm._evidence.judge_claim`, then the language of the run and, given the report's meaning
checks, the claim's nearness in meaning to the items it cites): one bad claim is dropped, with its reason,
and the rest of the reply stands.

**When a reply is sent back.** A reply is sent back once, with what was dropped and why, when fewer
than ``RETRY_SHARE`` (half) of its claims survive, or when a part the output cannot do without has no
claim left (a name; a persona's pains or goals; a message's headline and proof points). A reply of
several parts is asked again for the failing parts only (``partial=True``: a slow local model writes
a fraction of the reply again, not all of it); the parts that held are kept as they were. After that
one retry, whatever survives is kept, and an output with nothing left of a required part comes from
the offline path (and is counted, with why, in the step's :class:`~feedbackiq.types.LLMOutcome`).

**Lengths.** A slow local model spends its time writing: the reply schemas (:mod:`feedbackiq.llm._replies`)
cap how many claims, refs and quotes it writes and how long a quote is (a quote cut short still aligns to
the item, whose own text is shown). Texts carry no ``maxLength``: a grammar would cut them mid-sentence
("...satisfaction with a."). Texts are trimmed here, at a sentence end (:func:`trim`).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from feedbackiq._errors import LLMOutputError
from feedbackiq._lang import CJK
from feedbackiq.llm._client import LLM, parse_json_reply
from feedbackiq.llm._context import fit_items
from feedbackiq.llm._evidence import ClaimVerdict, EvidenceSet, judge_claim
from feedbackiq.llm._meaning import NOT_SUPPORTED, MeaningChecks
from feedbackiq.llm._prompts import load_prompt
from feedbackiq.llm._replies import part_model
from feedbackiq.types import FeedbackItem, LLMOutcome, SourceKind

__all__ = ["Judgement", "ClaimChecker", "judged_generate", "evidence_set", "fit_evidence", "sales_refs", "in_language",
           "cjk_share", "trim", "trim_name", "RETRY_SHARE", "MAX_CLAIM_CHARS", "MAX_NAME_CHARS", "CHINESE_SHARE"]

RETRY_SHARE = 0.5        # a reply keeping fewer than this share of its claims is sent back (once)
MAX_CLAIM_CHARS = 300    # a claim, a need statement, a summary or a value proposition
MAX_NAME_CHARS = 60      # a name, a persona label, a headline
EVIDENCE_MAX_CHARS = 600  # an item shown to a model whose context is too small for all of them: cut to a prefix
CHINESE_SHARE = 0.3      # of a text's letters that are CJK ideographs: Chinese at or above it (as ingest tags items)

_SENTENCE_END = re.compile(r"[.!?](?=\s|$)|[。！？]")
T = TypeVar("T", bound=BaseModel)


def cjk_share(text: str) -> float | None:
    """Share of a text's letters that are CJK ideographs (None: no letters)."""
    cjk = len(CJK.findall(text))
    letters = sum(1 for ch in text if ch.isalpha())
    return cjk / letters if letters else None


def in_language(text: str, language: str) -> bool:
    """Whether ``text`` reads as ``language`` ("en" or "zh"), by its share of CJK ideographs: Chinese with an
    English product term ("App 闪退") is Chinese, an English name with a Chinese word in it is English.

    >>> in_language("Voice recognition for dialects", "en"), in_language("方言语音识别", "en"), in_language("App 老是闪退", "zh")
    (True, False, True)
    """
    share = cjk_share(text)
    if share is None:
        return True
    return share >= CHINESE_SHARE if language == "zh" else share < CHINESE_SHARE


def trim(text: str, max_chars: int = MAX_CLAIM_CHARS) -> str:
    """``text`` on one line, cut after its last sentence that ends within ``max_chars``; with no sentence end
    there, at the last word, marked with an ellipsis.

    >>> trim("Teams wait on each other. Orders slip by days and nobody knows why.", 40)
    'Teams wait on each other.'
    >>> trim("Teams keep waiting on each other because nobody sees the order flow", 40)
    'Teams keep waiting on each other…'
    """
    text = " ".join(str(text).split())
    if len(text) <= max_chars:
        return text
    cut = text[:max_chars]
    ends = [m.end() for m in _SENTENCE_END.finditer(cut)]
    if ends:
        return cut[:ends[-1]].strip()
    space = cut.rfind(" ")
    return (cut[:space] if space > max_chars // 2 else cut).rstrip(" ,;:-、，") + "…"


def trim_name(name: str, max_chars: int = MAX_NAME_CHARS) -> str:
    """A name as a heading shows it: one line, no quotes or full stop around it, at most ``max_chars``.

    >>> trim_name('"Battery life."'), trim_name("更长的续航。")
    ('Battery life', '更长的续航')
    """
    name = " ".join(str(name).split()).strip(" \"'“”‘’「」《》*#")
    name = name.rstrip("。.!！;；,，:：")
    return trim(name, max_chars).rstrip("…").rstrip() if len(name) > max_chars else name


@dataclass
class Judgement:
    """What survived of one reply: claims made and kept, drops by reason, and what to tell the model."""

    made: int = 0
    kept: int = 0
    dropped: Counter = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    result: Any = None    # what the step made of the reply (its kept claims), for the caller
    empty_ok: bool = False   # a reply with no claim at all is a full answer (objections where the notes show none)

    def add(self, where: str, verdict: ClaimVerdict, detail: str = "") -> bool:
        """Count one claim (``where``: e.g. ``"pains[2]"``); True when it is kept. ``detail`` tells the model
        more than the counted reason (which words of the jargon to avoid it used)."""
        self.made += 1
        if verdict.kept:
            self.kept += 1
        else:
            self.dropped[verdict.reason or "dropped"] += 1
            self.problems.append(f"{where}: {verdict.reason}" + (f" ({detail})" if detail else ""))
        return verdict.kept

    def absorb(self, other: "Judgement") -> None:
        """Count another reply's claims in this one (two calls that make one output)."""
        self.made, self.kept = self.made + other.made, self.kept + other.kept
        self.dropped.update(other.dropped)
        self.problems += other.problems
        self.missing += other.missing

    def require(self, part: str, kept: int) -> None:
        """A part the output cannot do without: none of it kept sends the reply back."""
        if not kept:
            self.missing.append(part)

    def failing_parts(self) -> list[str]:
        """The parts of the reply (its fields) with a dropped claim or nothing kept, in order."""
        return list(dict.fromkeys([p.split(":")[0].split("[")[0] for p in self.problems] + self.missing))

    @property
    def enough(self) -> bool:
        return (self.made > 0 or self.empty_ok) and self.kept >= RETRY_SHARE * self.made and not self.missing

    def message(self) -> str:
        """The retry message: what was dropped and why, and what is missing."""
        parts = [f"{self.made - self.kept} of {self.made} claims were dropped: " + "; ".join(self.problems)]
        if self.missing:
            parts.append("nothing was kept of: " + ", ".join(self.missing))
        if "wrong language" in self.dropped:   # a model that copied a quote in another language goes on in it
            parts.append("write every \"text\" in the language the instructions ask for; only quotes stay as written")
        return ". ".join(parts) + ". Cite evidence by its ref number in \"refs\"; a quote must be words copied from that item."

    def count_into(self, outcome: LLMOutcome) -> None:
        outcome.claims += self.made
        outcome.claims_kept += self.kept
        for why, n in self.dropped.items():
            outcome.claims_dropped[why] = outcome.claims_dropped.get(why, 0) + n


class ClaimChecker:
    """Judges the claims of one reply against one evidence set, in the run's output language.

    Parameters
    ----------
    evidence : EvidenceSet
        What the model was shown, under its handles.
    language : {"en", "zh"}
        The run's output language (:func:`feedbackiq.llm._prompts.output_language`).
    facts : str
        Computed facts the claims may take numbers from.
    meaning : MeaningChecks, optional
        The report's meaning checks: a claim whose mean cosine to the items it cites (as they were shown)
        is below ``MIN_SUPPORT`` is dropped ("not supported by its cited items"). A copied quote proves the
        item exists, not that the claim says what it says: a small model attaches a real quote of one item to
        a claim about another.
    """

    def __init__(self, evidence: EvidenceSet, language: str, facts: str = "",
                 meaning: MeaningChecks | None = None) -> None:
        self.evidence, self.language, self.facts, self.meaning = evidence, language, facts, meaning
        self._numbers = set(_numbers(facts)) | {n for t in evidence.texts.values() for n in _numbers(t)}

    def claim(self, claim: Any, text: str | None = None, *, sources: Sequence[SourceKind] | None = None,
              max_chars: int = MAX_CLAIM_CHARS) -> tuple[str, ClaimVerdict]:
        """The claim's text (trimmed; ``text`` instead of ``claim.text``) and its verdict: its citations (``claim.refs``,
        ``claim.quotes``), numbers and language."""
        text = trim(text if text is not None else getattr(claim, "text", ""), max_chars)
        if not text:
            return text, ClaimVerdict(False, "empty", [])
        verdict = judge_claim(text, claim.refs, claim.quotes, self.evidence, sources=sources, facts=self.facts)
        if verdict.kept and not in_language(text, self.language):
            verdict = ClaimVerdict(False, "wrong language", [])
        if verdict.kept and self.meaning is not None and not self.meaning.supported(
                text, [self.evidence.texts[c.item_id] for c in verdict.citations]):
            verdict = ClaimVerdict(False, NOT_SUPPORTED, [])
        return text, verdict

    def text(self, text: str, max_chars: int = MAX_CLAIM_CHARS) -> tuple[str, str | None]:
        """An uncited text (a label, a summary, a headline): trimmed, and why it is not usable (None: it is):
        empty, in the wrong language, or with a number found neither in the facts nor in the evidence."""
        text = trim(text, max_chars)
        if not text:
            return text, "empty"
        if not in_language(text, self.language):
            return text, "wrong language"
        if any(n not in self._numbers for n in _numbers(text)):
            return text, "invented number"
        return text, None


def _numbers(text: str) -> list[str]:
    return re.findall(r"\d+(?:[.,]\d+)*", text)


def judged_generate(llm: LLM, prompt: str, variables: dict[str, Any], reply_model: type[T],
                    judge: Callable[[T], Judgement], *, partial: bool = False) -> tuple[T, Judgement]:
    """One call whose reply is judged claim by claim: sent back once when too little survives
    (:attr:`Judgement.enough`), then whatever survives of the last reply is kept.

    ``partial``: the retry asks for the failing parts only (:meth:`Judgement.failing_parts`) and merges
    them into the first reply; of the first reply and the merged one, the better judged is kept.

    Raises the client's error when the call fails, or when no reply parsed into ``reply_model``.
    """
    if partial:
        return _judged_in_parts(llm, prompt, variables, reply_model, judge)

    def check(reply: T) -> None:
        judgement = judge(reply)
        if not judgement.enough:
            raise ValueError(judgement.message())

    try:
        reply = llm.generate(prompt, variables, reply_model, check=check, validation_retries=1)
    except LLMOutputError as exc:
        try:
            reply = reply_model.model_validate(parse_json_reply(exc.last_reply))
        except (ValidationError, ValueError):
            raise exc from None
    return reply, judge(reply)


def _judged_in_parts(llm: LLM, prompt: str, variables: dict[str, Any], reply_model: type[T],
                     judge: Callable[[T], Judgement]) -> tuple[T, Judgement]:
    p = load_prompt(prompt)
    reply = llm.generate(p, variables, reply_model, validation_retries=1)
    judgement = judge(reply)
    parts = [f for f in judgement.failing_parts() if f in reply_model.model_fields]
    if judgement.enough or not parts:
        return reply, judgement
    messages = p.render(**variables) + [
        {"role": "assistant", "content": reply.model_dump_json(exclude_defaults=True, by_alias=True)},
        {"role": "user", "content": f"{judgement.message()} Reply with one JSON object holding only "
                                    f"{', '.join(repr(f) for f in parts)}, written again; the other parts are kept."}]
    try:
        fix = llm.complete(messages, part_model(reply_model, tuple(parts)), prompt_name=p.name,
                           prompt_version=p.version, validation_retries=0)
    except LLMOutputError:
        return reply, judgement   # the retry did not parse: what survived of the first reply stands
    merged = reply.model_copy(update={f: getattr(fix, f) for f in parts})
    again = judge(merged)
    better = (len(again.missing), -again.kept) <= (len(judgement.missing), -judgement.kept)
    return (merged, again) if better else (reply, judgement)


def sales_refs(evidence: EvidenceSet, parts: str) -> str:
    """The prompt's line on which handles are sales notes, the only evidence ``parts`` may cite.

    >>> from feedbackiq.types import FeedbackItem
    >>> ev = EvidenceSet([FeedbackItem(id="a", text="Slow.", source="survey"), FeedbackItem(id="b", text="Price.", source="sales_note")])
    >>> sales_refs(ev, "objections")
    'The sales notes are refs [2]: cite ONLY these for objections.'
    >>> sales_refs(EvidenceSet(ev.items[:1]), "objections")
    'There are no sales notes here: write no objections.'
    """
    refs = [n for n, it in enumerate(evidence.items, 1) if it.source == SourceKind.SALES_NOTE]
    if not refs:
        return f"There are no sales notes here: write no {parts}."
    return f"The sales notes are refs [{', '.join(map(str, refs))}]: cite ONLY these for {parts}."


def evidence_set(items: Iterable[FeedbackItem], text: Callable[[str], str], *, sales_last: bool = False) -> EvidenceSet:
    """The evidence a prompt shows, under handles 1..n, each item as ``text`` (the privacy gate's redaction)
    makes it: what the model sees is what its quotes are aligned to and what a reader is shown.
    ``sales_last``: the sales notes after the other items (in their order), so the prompt can name their
    handles as one run (:func:`sales_refs`).

    Trimmed to a small model's context by :func:`fit_evidence` once the rest of the prompt is known.
    """
    items = list(items)
    if sales_last:
        items.sort(key=lambda it: it.source == SourceKind.SALES_NOTE)
    return EvidenceSet(items, texts={it.id: text(it.text) for it in items})


def fit_evidence(llm: LLM, prompt: str, variables: dict[str, Any], reply_model: type[BaseModel],
                 evidence: EvidenceSet, *, with_source: bool = True) -> tuple[EvidenceSet, dict[str, Any]]:
    """``evidence`` cut to what ``llm.context_tokens`` leaves after the rest of the prompt and the reply, and
    a copy of ``variables`` with its block as ``evidence``.

    Items are kept best first (the order given); when they do not all fit, long ones are shown as a prefix
    of ``EVIDENCE_MAX_CHARS`` (a prefix of what the model sees, so quotes still align) and the rest that do
    not fit are left out. When everything fits, the evidence is returned as it is.
    """
    budget = max(0, llm.context_tokens - llm.max_reply_tokens - llm.prompt_tokens(prompt, {**variables, "evidence": ""}, reply_model))
    kept, _ = fit_items(evidence.items, budget, texts=evidence.texts)
    if len(kept) < len(evidence.items):
        evidence = EvidenceSet(*fit_items(evidence.items, budget, texts=evidence.texts, max_chars=EVIDENCE_MAX_CHARS))
    return evidence, {**variables, "evidence": evidence.block(with_source=with_source)}
