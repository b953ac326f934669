"""``read_feedback``: files in, one FeedbackSet with a complete ledger out."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any, NamedTuple

from feedbackiq._errors import (
    ColumnError,
    EmptyFileError,
    IngestError,
    InputError,
    UnreadableFileError,
    UnsupportedFormatError,
)
from feedbackiq._hashing import file_sha256, open_bytes
from feedbackiq.ingest._build import RowBuilder
from feedbackiq.ingest._columns import ColumnPlan, plan_columns
from feedbackiq.ingest._decode import FORMATS, detect_encoding, sniff_format
from feedbackiq.ingest._headers import HeaderInfo, resolve_header
from feedbackiq.ingest._segments import harmonise_segments
from feedbackiq.ingest._tables import RawTable, _BadRecord, open_table, peek_rows
from feedbackiq.types import FeedbackItem, FeedbackSet, FileRecord, Ledger, SkippedFile, SourceKind

__all__ = ["read_feedback", "LAYOUTS", "InputPath", "expand_inputs", "skipped_reason"]

LAYOUTS = ("survey_wide", "review", "sales_note", "long")
_SAMPLE_ROWS = 200
log = logging.getLogger("feedbackiq")
# A file found in a folder is skipped, not fatal, when it holds no feedback to read: another kind of
# file, one that may not be read, an empty one, one without a column of free text. A file the user
# named is always read, and any of these is an error.
_NOT_AN_EXPORT = (UnsupportedFormatError, UnreadableFileError, EmptyFileError, ColumnError)


class InputPath(NamedTuple):
    """An input file, and whether the user named it (``False``: found in a folder)."""

    path: Path
    named: bool


def read_feedback(
    path_or_paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
    source: str | SourceKind | None = None,
    *,
    layout: str | None = None,
    encoding: str | None = None,
    sheet: str | int | None = None,
    segment_names: dict[str, str] | None = None,
    segment_values: dict[str, dict[str, str]] | None = None,
    **mapping: Any,
) -> FeedbackSet:
    """Read survey, review and CRM exports into one :class:`~feedbackiq.FeedbackSet`.

    Parameters
    ----------
    path_or_paths : path or list of paths
        CSV/TSV, XLSX, JSON, JSONL or Parquet files; a directory reads every file in it. A file found
        in a directory that is not a feedback export (another type, unreadable, empty, no text column,
        a ``.txt`` that is not tab-separated) is skipped with a warning and listed in
        ``ledger.skipped_files``; named on its own, it is an error.
    source : {"survey", "review", "sales_note", "support_ticket", "other"}, optional
        What the files hold. Detected from the columns when omitted.
    layout : {"survey_wide", "review", "sales_note", "long"}, optional
        ``survey_wide``: one row per respondent, each open-text column a question.
        Detected when omitted.
    encoding : str, optional
        Text encoding; UTF-8, UTF-8 with BOM and GBK/GB18030 are detected.
    sheet : str or int, optional
        XLSX sheet (default: the first).
    **mapping
        Column overrides by role: ``text`` (a column, or a list of question columns),
        ``title``, ``id``, ``respondent_id``, ``created_at``, ``rating``, ``deal_value``,
        ``deal_stage``, ``segments`` (list).
    segment_names : dict, optional
        Column header -> segment name, for segment columns whose header is no known synonym (known:
        ``公司规模``/``Company Size`` -> ``company_size``, ``行业`` -> ``industry``, ``套餐``/``tier`` -> ``plan`` ...).
        A header listed here is read as a segment column wherever a file has it.
    segment_values : dict, optional
        Segment name -> {value as written: value to count it as}, e.g. ``{"plan": {"旗舰版": "Enterprise"}}``;
        applied before the built-in matching (company-size bands, Chinese industries and plans, spelling).

    Returns
    -------
    FeedbackSet
        Items plus a ledger that accounts for every input row.

    Raises
    ------
    IngestError
        With the file, row and column, for unreadable files, undecidable columns and bad rows.

    Examples
    --------
    >>> import feedbackiq as fiq
    >>> fs = fiq.read_feedback("datasets/samples/app_reviews.csv")    # doctest: +SKIP
    >>> fs.ledger.row_counts()                                          # doctest: +SKIP
    """
    inputs = expand_inputs(path_or_paths)
    kind = _source_kind(source)
    if layout is not None and layout not in LAYOUTS:
        raise InputError(f"unknown layout {layout!r}; choose one of {', '.join(LAYOUTS)}")
    items: list[FeedbackItem] = []
    ledger = Ledger()
    seen: dict[tuple, str] = {}
    used_ids: set[str] = set()
    segment_columns: set[str] = set()
    for path, named in inputs:
        try:
            opened = _open(path, named, kind, layout, encoding, sheet, mapping, segment_names)
        except IngestError as exc:
            if named or not isinstance(exc, _NOT_AN_EXPORT):
                raise
            reason = skipped_reason(exc)
            ledger.skipped_files.append(SkippedFile(path=str(path), reason=reason))
            log.warning("skipped %s (found in a folder, not read as feedback): %s", path, reason)
            continue
        segment_columns.update(opened[-1].segments)
        _read_rows(*opened, items, ledger, seen, used_ids)
    if not ledger.files:   # every input was a folder, and nothing in them could be read
        raise IngestError("no file could be read as feedback: " + "; ".join(
            f"{s.path}: {s.reason}" for s in ledger.skipped_files))
    unused = [h for h in segment_names or {} if h not in segment_columns]
    if unused:
        log.warning("segment_names: no file read has a segment column %s", ", ".join(map(repr, unused)))
    ledger.segment_values, ledger.segment_conflicts = harmonise_segments(items, segment_values)
    return FeedbackSet.model_construct(items=items, ledger=ledger)


def skipped_reason(exc: IngestError) -> str:
    """The error without the file's name (it is said beside it): where in the file, and what."""
    where = ", ".join(x for x in (exc.row and f"row {exc.row}", exc.column and f"column {exc.column!r}") if x)
    return f"{where}: {exc.message}" if where else exc.message


def _open(path: Path, named: bool, kind, layout, encoding, sheet,
          mapping, segment_names=None) -> tuple[Path, str, str | None, RawTable, HeaderInfo, ColumnPlan]:
    """Everything up to the first row: any error here leaves nothing half read."""
    if not path.exists():
        raise IngestError("file not found", file=str(path))
    if path.stat().st_size == 0:
        raise EmptyFileError("the file is empty (0 bytes)", file=str(path))
    fmt = sniff_format(path)
    if not named and path.suffix.lower() == ".txt" and not _tab_separated(path):
        # Notes and read-me files are .txt as often as exports are; the .txt exports (Excel's "Text (Tab
        # delimited)", survey tools) are tab-separated, and comma-separated prose would read as a "table".
        raise UnsupportedFormatError("a .txt file that is not tab-separated (notes?); name it on its own to read it "
                                     "as CSV", file=str(path))
    enc = detect_encoding(path, encoding, fmt) if fmt in ("csv", "tsv", "json", "jsonl") else None
    table = open_table(path, fmt, enc, sheet)
    head = peek_rows(table, _SAMPLE_ROWS + 3)
    info = resolve_header(table.header, head)
    skip_rows = set(info.header_rows)
    # rows that could not be parsed (they go to the ledger) say nothing about the columns
    rows = [(r, vals) for r, vals in head if r not in skip_rows]
    sample = [vals for r, vals in rows if not (len(vals) == 1 and isinstance(vals[0], _BadRecord))]
    if not sample and rows:
        raise IngestError(f"no row could be read; the first: {rows[0][1][0]}", file=str(path), row=rows[0][0])
    if not sample:
        raise EmptyFileError("the file has a header but no data rows", file=str(path))
    plan = plan_columns(path, info.header, sample, source=kind, layout=layout, style=info.style, mapping=mapping,
                        segment_names=segment_names)
    return path, fmt, enc, table, info, plan


def _tab_separated(path: Path) -> bool:
    with open_bytes(path) as fh:
        return b"\t" in fh.readline(65536)


def _read_rows(path: Path, fmt: str, enc: str | None, table: RawTable, info: HeaderInfo, plan: ColumnPlan,
               items, ledger, seen, used_ids) -> None:
    skip_rows = set(info.header_rows)
    builder = RowBuilder(str(path), plan, info.header, info.questions, seen, used_ids)
    n_rows = 0
    entries = ledger.entries
    for row, values in table.rows:
        n_rows += 1
        if row in skip_rows:
            entries.add(*builder.header_row(row))
            continue
        for out in builder.build(row, values):
            if isinstance(out, FeedbackItem):
                items.append(out)
            else:
                entries.add(*out)
    ledger.files.append(FileRecord(
        path=str(path), sha256=file_sha256(path), format=fmt, encoding=enc, layout=plan.layout,
        source=plan.source, rows=n_rows, columns=plan.roles(),
    ))
    for warning in table.warnings:
        log.warning("%s: %s", path, warning)


def expand_inputs(path_or_paths: Any) -> list[InputPath]:
    """The files to read: named files as given, and every file of a named folder (not its subfolders,
    not hidden files such as ``.DS_Store``), sorted by name."""
    if isinstance(path_or_paths, (str, os.PathLike)):
        raw = [path_or_paths]
    else:
        raw = list(path_or_paths)
    if not raw:
        raise InputError("no input files given")
    out: list[InputPath] = []
    for p in map(Path, raw):
        if p.is_dir():
            found = sorted(f for f in p.iterdir() if not f.name.startswith(".") and f.is_file())
            if not found:
                raise IngestError(f"no files in this folder (supported: {', '.join(sorted(FORMATS))})", file=str(p))
            out.extend(InputPath(f, False) for f in found)
        else:
            out.append(InputPath(p, True))
    return out


def _source_kind(source: str | SourceKind | None) -> SourceKind | None:
    if source is None or isinstance(source, SourceKind):
        return source
    aliases = {"sales": "sales_note", "crm": "sales_note", "reviews": "review", "support": "support_ticket", "ticket": "support_ticket"}
    try:
        return SourceKind(aliases.get(str(source).lower(), str(source).lower()))
    except ValueError:
        raise InputError(f"unknown source {source!r}; choose one of {', '.join(s.value for s in SourceKind)}") from None


