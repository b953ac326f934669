"""Read any supported file as a header plus a stream of rows.

Every reader yields ``(row_number, values)`` where ``row_number`` is 1-based as a
spreadsheet shows it (the header is row 1) and ``values`` is a list aligned with
the header (JSON records are aligned by key). Rows are streamed: CSV/TSV/JSONL and
Parquet never hold the whole file in memory.
"""

from __future__ import annotations

import collections
import csv
import itertools
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from feedbackiq._errors import EmptyFileError, IngestError, UnsupportedFormatError

__all__ = ["RawTable", "open_table", "peek_rows", "sniff_delimiter"]

csv.field_size_limit(min(sys.maxsize, 2**31 - 1))  # survey answers can be long essays
_JSON_SCAN = 1000  # records scanned to learn the JSON keys


@dataclass
class RawTable:
    """A header and a row stream of ``(row_number, values)``; ``warnings`` fills as rows are read
    (for the reader's caller to say once the file is read: a file that fails anyway says it in its error)."""

    path: Path
    format: str
    encoding: str | None
    header: list[str]
    rows: Iterator[tuple[int, list[Any]]]
    warnings: list[str] = field(default_factory=list)


def open_table(path: Path, fmt: str, encoding: str | None, sheet: str | int | None = None) -> RawTable:
    readers = {"csv": _csv, "tsv": _csv, "xlsx": _xlsx, "json": _json, "jsonl": _jsonl, "parquet": _parquet}
    return readers[fmt](path, fmt, encoding, sheet)


def _csv(path: Path, fmt: str, encoding: str | None, sheet: Any) -> RawTable:
    fh = path.open("r", encoding=encoding, newline="")
    sample = fh.read(65536)
    fh.seek(0)
    if not sample.strip():
        fh.close()
        raise EmptyFileError("the file is empty", file=str(path))
    delimiter = "\t" if fmt == "tsv" else sniff_delimiter(sample)
    # The reader's lines, and the same lines again a record behind (a tee, in C): the raw text of a
    # record that spans lines is there to check, at no cost for the records that do not.
    ahead, behind = itertools.tee(fh)
    reader = csv.reader(ahead, delimiter=delimiter)
    try:
        header = next(reader)
    except csv.Error as exc:
        fh.close()
        raise IngestError(f"cannot parse the header: {exc}", file=str(path), row=1) from None
    warnings: list[str] = []

    def rows() -> Iterator[tuple[int, list[Any]]]:
        row = 1
        done, behind_at = reader.line_num, 0   # lines the reader has read; lines ``behind`` has passed
        try:
            while True:
                try:
                    values = next(reader)
                except StopIteration:
                    return
                except csv.Error as exc:
                    raise IngestError(f"malformed CSV: {exc}", file=str(path), row=row + 1) from None
                start, done = done, reader.line_num
                if done - start > 1:
                    _skip(behind, start - behind_at)
                    raw = list(itertools.islice(behind, done - start))
                    behind_at = done
                    if _unbalanced_quote(raw, delimiter, len(header)):
                        yield from _swallowed(row + 1, done - start, warnings)
                        row += done - start
                        continue
                elif done - behind_at > 4096:   # keep ``behind`` near, so the tee holds few lines
                    _skip(behind, done - behind_at)
                    behind_at = done
                row += 1
                if not values:  # a fully blank line is still a row the user sees
                    values = [""]
                yield row, values
        finally:
            fh.close()

    return RawTable(path, fmt, encoding, [str(h) for h in header], rows(), warnings)


def _skip(lines: Iterator[str], n: int) -> None:
    collections.deque(itertools.islice(lines, n), maxlen=0)


def _unbalanced_quote(raw: list[str], delimiter: str, width: int) -> bool:
    """Whether a record over several lines is a quote left open that swallowed the rows after it,
    rather than a cell with line breaks: its quotes do not pair up (a strict reader refuses it) and
    a line inside it splits into cells as a row would."""
    try:
        for _ in csv.reader(raw, delimiter=delimiter, strict=True):
            pass
        return False
    except csv.Error:
        pass
    return any(len(cells) >= min(width, 2) for cells in csv.reader(raw[1:], delimiter=delimiter))


def _swallowed(first: int, lines: int, warnings: list[str]) -> Iterator[tuple[int, list[Any]]]:
    """Each line of a record an open quote ran together, as an unparseable row of its own."""
    last = first + lines - 1
    why = (f"unbalanced quote: the quote opened in row {first} is not closed in that row, so rows {first}-{last} "
           "ran together into one cell; these rows were not read (close the quote and read the file again)")
    warnings.append(f"rows {first}-{last} skipped: the quote opened in row {first} is not closed in that row")
    for r in range(first, last + 1):
        yield r, [_BadRecord(why)]


def sniff_delimiter(sample: str) -> str:
    first = sample.split("\n", 1)[0]
    counts = {d: first.count(d) for d in [",", "\t", ";", "|"]}
    best = max(counts, key=counts.get)  # type: ignore[arg-type]
    return best if counts[best] > 0 else ","


def _xlsx(path: Path, fmt: str, encoding: str | None, sheet: str | int | None) -> RawTable:
    import zipfile

    import openpyxl

    # Merged cells are only visible outside read-only mode; that mode holds the
    # sheet in memory, fine for the spreadsheet sizes people export to Excel.
    big = path.stat().st_size > 50 * 2**20
    try:
        wb = openpyxl.load_workbook(path, read_only=big, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise UnsupportedFormatError(f"not a readable XLSX workbook ({exc})", file=str(path)) from None
    if sheet is None:
        ws = wb.worksheets[0]
    elif isinstance(sheet, int):
        if not -len(wb.worksheets) <= sheet < len(wb.worksheets):
            raise IngestError(f"no sheet {sheet} (counting from 0); sheets: {wb.sheetnames}", file=str(path))
        ws = wb.worksheets[sheet]
    else:
        if sheet not in wb.sheetnames:
            raise IngestError(f"no sheet {sheet!r}; sheets: {wb.sheetnames}", file=str(path))
        ws = wb[sheet]
    fills: dict[tuple[int, int], Any] = {}
    if not big:
        for rng in ws.merged_cells.ranges:
            value = ws.cell(rng.min_row, rng.min_col).value
            for r in range(rng.min_row, rng.max_row + 1):
                for c in range(rng.min_col, rng.max_col + 1):
                    fills[(r, c)] = value
    it = ws.iter_rows(values_only=True)
    first = next(it, None)
    if first is None or all(v is None for v in first):
        raise EmptyFileError("the sheet has no header row", file=str(path))
    header = [_cell(fills.get((1, c + 1), v)) for c, v in enumerate(first)]

    def rows() -> Iterator[tuple[int, list[Any]]]:
        for r, values in enumerate(it, start=2):
            vals = [fills.get((r, c + 1), v) for c, v in enumerate(values)]
            yield r, vals
        wb.close()

    return RawTable(path, fmt, None, header, _drop_trailing_blank_rows(rows()))


def _cell(v: Any) -> str:
    return "" if v is None else str(v)


def _drop_trailing_blank_rows(rows: Iterator[tuple[int, list[Any]]]) -> Iterator[tuple[int, list[Any]]]:
    """openpyxl reports formatted-but-empty rows after the data; they are not rows a user made."""
    pending: list[tuple[int, list[Any]]] = []
    for r, vals in rows:
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in vals):
            pending.append((r, vals))
            continue
        yield from pending
        pending.clear()
        yield r, vals


def _records_table(path: Path, fmt: str, encoding: str | None, records: Iterator[tuple[int, Any]], peek: list[tuple[int, Any]]) -> RawTable:
    keys: dict[str, None] = {}
    for _, rec in peek:
        if isinstance(rec, dict):
            keys.update(dict.fromkeys(str(k) for k in rec))
    if not keys:
        raise EmptyFileError("no JSON objects with fields found", file=str(path))
    header = list(keys)

    def rows() -> Iterator[tuple[int, list[Any]]]:
        for r, rec in _chain(peek, records):
            if isinstance(rec, Exception):
                yield r, [_BadRecord(str(rec))]
            elif not isinstance(rec, dict):
                yield r, [_BadRecord(f"expected a JSON object, got {type(rec).__name__}")]
            else:
                extra = [k for k in rec if str(k) not in keys]
                for k in extra:  # keys first seen after the scan window are kept, not dropped
                    keys[str(k)] = None
                    header.append(str(k))
                yield r, [_flatten(rec.get(k)) for k in header]

    return RawTable(path, fmt, encoding, header, rows())


class _BadRecord(str):
    """Marks a record that could not be parsed; the builder turns it into a ledger entry."""


def _flatten(v: Any) -> Any:
    return json.dumps(v, ensure_ascii=False) if isinstance(v, (dict, list)) else v


def _chain(first: list[tuple[int, Any]], rest: Iterator[tuple[int, Any]]) -> Iterator[tuple[int, Any]]:
    yield from first
    yield from rest


def _json(path: Path, fmt: str, encoding: str | None, sheet: Any) -> RawTable:
    text = path.read_text(encoding=encoding or "utf-8")
    if not text.strip():
        raise EmptyFileError("the file is empty", file=str(path))
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise IngestError(f"invalid JSON: {exc.msg}", file=str(path), row=exc.lineno) from None
    if isinstance(data, dict):
        for key in ("data", "items", "records", "rows", "reviews", "responses", "results"):
            if isinstance(data.get(key), list):
                data = data[key]
                break
        else:
            raise UnsupportedFormatError("JSON object without a list of records (expected a top-level array or a 'data'/'items'/'records' list)", file=str(path))
    if not isinstance(data, list):
        raise UnsupportedFormatError("JSON must hold a list of records", file=str(path))
    # Records are numbered from 2 so that "row" means the same as in a spreadsheet.
    numbered = list(enumerate(data, start=2))
    return _records_table(path, fmt, encoding, iter(()), numbered)


def _jsonl(path: Path, fmt: str, encoding: str | None, sheet: Any) -> RawTable:
    fh = path.open("r", encoding=encoding or "utf-8")

    def records() -> Iterator[tuple[int, Any]]:
        # JSONL has no header line, so line N is "row" N+1 to match spreadsheets.
        with fh:
            for lineno, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                try:
                    yield lineno + 1, json.loads(line)
                except json.JSONDecodeError as exc:
                    yield lineno + 1, ValueError(f"invalid JSON on this line: {exc.msg}")

    it = records()
    peek = []
    for rec in it:
        peek.append(rec)
        if len(peek) >= _JSON_SCAN:
            break
    if not peek:
        raise EmptyFileError("the file is empty", file=str(path))
    return _records_table(path, fmt, encoding, it, peek)


def _parquet(path: Path, fmt: str, encoding: str | None, sheet: Any) -> RawTable:
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(path)
    except Exception as exc:  # pyarrow raises ArrowInvalid/OSError variants
        raise UnsupportedFormatError(f"not a readable Parquet file ({exc})", file=str(path)) from None
    header = list(pf.schema_arrow.names)
    if pf.metadata.num_rows == 0:
        raise EmptyFileError("the Parquet file has no rows", file=str(path))

    def rows() -> Iterator[tuple[int, list[Any]]]:
        r = 1
        for batch in pf.iter_batches(batch_size=10_000):
            cols = [batch.column(i).to_pylist() for i in range(batch.num_columns)]
            for values in zip(*cols):
                r += 1
                yield r, list(values)

    return RawTable(path, fmt, None, header, rows())


def peek_rows(table: RawTable, n: int) -> list[tuple[int, list[Any]]]:
    """Take the first ``n`` rows and put them back in front of the stream."""
    head = []
    for row in table.rows:
        head.append(row)
        if len(head) >= n:
            break
    table.rows = _chain(head, table.rows)
    return head

