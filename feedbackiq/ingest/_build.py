"""Turn a table's rows into FeedbackItems, writing a ledger entry for every row or cell."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

from feedbackiq._lang import detect_language, has_cjk
from feedbackiq.ingest._columns import ColumnPlan
from feedbackiq.ingest._tables import _BadRecord
from feedbackiq.ingest._values import (
    as_str,
    clean_text,
    is_non_answer,
    money_currency,
    normalize_stage,
    parse_date,
    parse_money,
    parse_rating,
)
from feedbackiq.types import FeedbackItem, Origin, SharedSegments, SkipReason, construct_trusted

__all__ = ["EntryValues", "RowBuilder"]

# Items are built without validation (values are already clean) and every field given, so each
# can share ONE complete fields set instead of carrying its own (evals/README.md, "Measurements behind the code"; pydantic only
# ever adds names to it, and every name is already there). Ledger entries go into the ledger's columns as plain values (EntryValues).
_ITEM_FIELDS = set(FeedbackItem.model_fields)
_ORIGIN_FIELDS = set(Origin.model_fields)


class EntryValues(NamedTuple):
    """One ledger entry's values, in ``LedgerEntries.add`` order (no model is built per row)."""

    file: str
    row: int
    column: str | None
    outcome: str
    item_id: str | None
    reason: SkipReason | None
    detail: str | None
# Rows of one export repeat the same few segment values and dates: items share one read-only
# segments mapping and one parsed value per distinct input (about 300 bytes a row at 1M rows).
_CACHE_LIMIT = 100_000
# Reviews repeat texts too ("Great app!"): each distinct cell is cleaned, judged (non-answer?) and
# tagged with its language once, and items with the same text share one string. Bounded, so a file
# of all-different texts does not keep a second copy of them during the read.
_TEXT_CACHE_LIMIT = 250_000
_MISSING = object()


class RowBuilder:
    """Builds items from rows of one file; ``seen`` is shared across files to collapse repeats."""

    def __init__(self, file: str, plan: ColumnPlan, header: list[str], questions: dict[str, str],
                 seen: dict[tuple, str], used_ids: set[str]) -> None:
        self.file = file
        self.name = file.rsplit("/", 1)[-1]
        self.plan = plan
        self.header = header
        self.index = {h: i for i, h in enumerate(header)}
        self.questions = questions
        self.seen = seen
        self.used_ids = used_ids
        self._segments: dict[tuple, SharedSegments] = {}
        self._parsed: dict[tuple, Any] = {}
        self._cleaned: dict[str, str] = {}
        self._judged: dict[str, tuple[bool, str]] = {}

    def build(self, row: int, values: list[Any]) -> Iterator[FeedbackItem | EntryValues]:
        if len(values) == 1 and isinstance(values[0], _BadRecord):
            yield self._skip(row, None, SkipReason.UNPARSEABLE, str(values[0]))
            return
        if len(values) > len(self.header) and any(as_str(v).strip() for v in values[len(self.header):]):
            yield self._skip(row, None, SkipReason.UNPARSEABLE,
                             f"row has {len(values)} fields but the header has {len(self.header)}; "
                             "a delimiter or quote is probably missing")
            return
        if len(values) < len(self.header):   # short rows: the missing cells are empty
            values = [*values, *[None] * (len(self.header) - len(values))]
        get = self._getter(values)
        notes: list[str] = []
        common = self._common_fields(get, notes)
        voice = common["respondent_id"] or (as_str(get(self.plan.id)) if self.plan.id else None) or _row_hash(values)
        for col in self.plan.text:
            text = self._clean(get(col))
            if self.plan.layout != "survey_wide" and self.plan.title:
                title = self._clean(get(self.plan.title))
                if title and not text.startswith(title):
                    text = f"{title}{_title_sep(title)}{text}" if text else title
            column = col if self.plan.layout == "survey_wide" else None
            if not text:
                yield self._skip(row, column, SkipReason.EMPTY, None)
                continue
            non_answer, language = self._judge(text)
            if non_answer:
                yield self._skip(row, column, SkipReason.NON_ANSWER, text[:80])
                continue
            question = self.questions.get(col, col) if self.plan.layout == "survey_wide" else None
            key = (self.plan.source.value, voice, question, text)
            if key in self.seen:
                yield self._skip(row, column, SkipReason.DUPLICATE, f"duplicate of {self.seen[key]}")
                continue
            item_id = self._item_id(get, row, col)
            self.seen[key] = item_id
            meta = common["metadata"]
            if self.plan.layout == "survey_wide":   # one row, several items: each its own metadata
                meta = {**meta, "question_column": col}
            item = construct_trusted(FeedbackItem, _ITEM_FIELDS, {
                "id": item_id, "text": text, "source": self.plan.source, "question": question,
                "respondent_id": common["respondent_id"], "segments": common["segments"],
                "created_at": common["created_at"], "rating": common["rating"], "language": language,
                "deal_value": common["deal_value"], "deal_stage": common["deal_stage"], "metadata": meta,
                "origin": construct_trusted(Origin, _ORIGIN_FIELDS, {"file": self.file, "row": row, "column": col}),
            })
            yield item
            yield EntryValues(self.file, row, column, "item", item_id, None, "; ".join(notes) or None)

    def _clean(self, raw: Any) -> str:
        if type(raw) is not str:
            return clean_text(raw)
        return _memo(self._cleaned, raw, _TEXT_CACHE_LIMIT, clean_text)

    def _judge(self, text: str) -> tuple[bool, str]:
        """(is a non-answer, language) of a cleaned text."""
        return _memo(self._judged, text, _TEXT_CACHE_LIMIT, _judgement)

    def header_row(self, row: int) -> EntryValues:
        return self._skip(row, None, SkipReason.HEADER_ROW, "survey export header row (question text / import ids)")

    def _getter(self, values: list[Any]) -> Callable[[str | None], Any]:
        index = self.index

        def get(col: str | None) -> Any:
            return None if col is None else values[index[col]]
        return get

    def _parse(self, col: str | None, raw: Any, fn: Callable[[Any], Any], notes: list[str]) -> Any:
        """``fn(raw)``, once per distinct cell; a bad value is noted (the row keeps its text)."""
        if col is None:
            return None
        key = (col, raw) if type(raw) in (str, int, float) else None
        if key is not None:
            value = self._parsed.get(key, _MISSING)
            if value is not _MISSING:
                return value
        try:
            value = fn(raw)
        except ValueError as exc:  # keep the text; note the bad value instead of dropping the row
            notes.append(f"{col}: {exc}")
            return None
        if key is not None and len(self._parsed) < _CACHE_LIMIT:
            self._parsed[key] = value
        return value

    def _common_fields(self, get: Callable[[str | None], Any], notes: list[str]) -> dict[str, Any]:
        """Fields every item of the row shares (``get`` reads a cell of the row by column)."""
        p = self.plan

        def cell(col: str | None) -> str:
            return as_str(get(col)).strip()

        respondent = cell(p.respondent_id) or None
        names = p.segment_names
        segments = self._shared_segments({names.get(s, s): v for s in p.segments if (v := cell(s))})
        metadata: dict[str, Any] = {m: v for m in p.metadata if (v := cell(m))}
        if source_id := cell(p.id):
            metadata["source_id"] = source_id
        if p.layout == "survey_wide" and (title := cell(p.title)):
            metadata["title"] = title
        deal_value = self._parse(p.deal_value, get(p.deal_value), parse_money, notes)
        if deal_value is not None and (currency := money_currency(get(p.deal_value))):
            metadata["deal_currency"] = currency   # "$12,000" and "1.2万" are not one currency
        return {
            "respondent_id": respondent,
            "segments": segments,
            "metadata": metadata,
            "created_at": self._parse(p.created_at, get(p.created_at), parse_date, notes),
            "rating": self._parse(p.rating, get(p.rating), parse_rating, notes),
            "deal_value": deal_value,
            "deal_stage": normalize_stage(get(p.deal_stage)) if p.deal_stage else None,
        }

    def _shared_segments(self, segments: dict[str, str]) -> SharedSegments:
        return _memo(self._segments, tuple(segments.items()), _CACHE_LIMIT, lambda items: SharedSegments(dict(items)))

    def _item_id(self, get: Callable[[str | None], Any], row: int, col: str) -> str:
        own = as_str(get(self.plan.id)).strip() if self.plan.id else ""
        key = f"{self.name}|{own or f'row{row}'}|{col}"
        item_id = "f" + hashlib.sha1(key.encode("utf-8")).hexdigest()[:12]
        if item_id in self.used_ids:  # the export's own id repeats with different text
            item_id = "f" + hashlib.sha1(f"{self.name}|row{row}|{col}".encode()).hexdigest()[:12]
        self.used_ids.add(item_id)
        return item_id

    def _skip(self, row: int, column: str | None, reason: SkipReason, detail: str | None) -> EntryValues:
        return EntryValues(self.file, row, column, "skipped", None, reason, detail)


def _memo(cache: dict, key: Any, limit: int, compute: Callable[[Any], Any]) -> Any:
    """``compute(key)``, kept in ``cache`` while it holds fewer than ``limit`` entries (values are never None)."""
    value = cache.get(key)
    if value is None:
        value = compute(key)
        if len(cache) < limit:
            cache[key] = value
    return value


def _judgement(text: str) -> tuple[bool, str]:
    return is_non_answer(text), detect_language(text)


def _row_hash(values: list[Any]) -> str:
    return hashlib.sha1("\x1f".join(as_str(v) for v in values).encode("utf-8")).hexdigest()[:16]


def _title_sep(title: str) -> str:
    """Chinese titles join with a full stop of their own; others with ". "."""
    if title[-1] in ".!?。！？":
        return " " if title[-1] in ".!?" else ""
    return "。" if has_cjk(title[-1]) else ". "
