"""Format sniffing and text decoding for input files.

Excel in China writes CSVs in GBK; Excel elsewhere adds a UTF-8 BOM; everything
else is plain UTF-8. We decode strictly (never with ``errors="replace"``), so a
file in some other encoding fails loudly with the row of the first bad byte
instead of turning into mojibake that would later cluster as its own "theme".
"""

from __future__ import annotations

import codecs
import csv
import io
from pathlib import Path
from typing import BinaryIO, NamedTuple

from feedbackiq._errors import EncodingError, UnsupportedFormatError
from feedbackiq._hashing import open_bytes

__all__ = ["FORMATS", "sniff_format", "detect_encoding"]

FORMATS = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".txt": "csv",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".parquet": "parquet",
    ".pq": "parquet",
}
_CHUNK = 1 << 20


def sniff_format(path: Path) -> str:
    """Return the format name for ``path`` from its extension, checked against its first bytes."""
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise UnsupportedFormatError(
            f"unsupported file type {path.suffix or '(none)'!r}; supported: {', '.join(sorted(set(FORMATS)))}",
            file=str(path),
        )
    with open_bytes(path) as fh:
        head = fh.read(8192)
    if fmt == "xlsx" and head and not head.startswith(b"PK\x03\x04"):
        raise UnsupportedFormatError("not a valid XLSX file (it is not a zip archive)", file=str(path))
    if fmt == "parquet" and head and not head.startswith(b"PAR1"):
        raise UnsupportedFormatError("not a valid Parquet file (missing PAR1 magic)", file=str(path))
    if fmt in ("csv", "tsv", "json", "jsonl") and _looks_binary(head):
        raise UnsupportedFormatError(f"looks like binary data, not {fmt.upper()} text", file=str(path))
    return fmt


def _looks_binary(head: bytes) -> bool:
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return False  # UTF-16 is text; detect_encoding reports it precisely
    if b"\x00" in head:
        return True
    control = sum(1 for b in head if b < 9 or 13 < b < 32)
    return len(head) > 0 and control / len(head) > 0.05


class _BadByte(NamedTuple):
    """The first byte of a file that ``encoding`` cannot decode."""

    encoding: str
    offset: int
    byte: int


def detect_encoding(path: Path, encoding: str | None = None, fmt: str = "csv") -> str:
    """Pick the encoding that decodes the WHOLE file strictly.

    Order: an explicit ``encoding``; UTF-8 (``utf-8-sig`` when a BOM is present);
    GB18030 (a superset of GBK) when the decoded Chinese is plausible. Streams in
    1 MiB chunks so large files are never held in memory. A byte no candidate decodes
    is reported at its row (and, in CSV, its column) as ``fmt`` numbers rows.
    """
    if encoding:
        candidates = [encoding]
    else:
        with open_bytes(path) as fh:
            head = fh.read(4)
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            candidates = ["utf-16"]
        else:
            candidates = ["utf-8-sig" if head.startswith(codecs.BOM_UTF8) else "utf-8"]
    bad, utf8_text, _ = _scan(path, candidates[0])
    if bad is None:
        return candidates[0]
    if encoding or candidates[0] == "utf-16":
        raise _located(path, fmt, bad, f"byte 0x{bad.byte:02x} at offset {bad.offset} is not valid {bad.encoding}")
    gb_bad, _, chinese = _scan(path, "gb18030", count_chinese=True)
    # Latin-1/Shift-JIS bytes often "decode" as GB18030 into rare characters; real Chinese text is
    # overwhelmingly made of the 6,763 common GB2312 characters.
    plausible = chinese[0] == 0 or chinese[1] / chinese[0] >= 0.9
    if gb_bad is None and plausible:
        return "gb18030"
    # One bad byte in a file that is otherwise one of the two (a cell pasted from elsewhere, a cut
    # multi-byte character): that byte is the problem, named where it is, not the first Chinese
    # character the other encoding stumbled on.
    if gb_bad is not None and chinese[0] and plausible and gb_bad.offset > bad.offset:
        raise _located(path, fmt, gb_bad, f"byte 0x{gb_bad.byte:02x} at offset {gb_bad.offset} is not valid GBK/GB18030 "
                                          "(the text before it is GB18030 Chinese); fix that cell, re-save the file "
                                          "as UTF-8 or pass encoding='...'")
    if utf8_text:
        raise _located(path, fmt, bad, f"byte 0x{bad.byte:02x} at offset {bad.offset} is not valid UTF-8 (the text "
                                       "before it is UTF-8); fix that cell or pass encoding='...'")
    guess = _guess(path)
    hint = f" (it looks like {guess})" if guess else ""
    raise _located(path, fmt, bad,
                   f"cannot decode as UTF-8 or GBK/GB18030{hint}; re-save the file as UTF-8 or pass encoding='...' "
                   f"(first bad byte: byte 0x{bad.byte:02x} at offset {bad.offset} is not valid utf-8)")


def _scan(path: Path, encoding: str, count_chinese: bool = False) -> tuple[_BadByte | None, bool, tuple[int, int]]:
    """The first byte ``encoding`` cannot decode (None: all decode); whether the bytes before it are
    more than ASCII; and ``(CJK characters, of them common GB2312 ones)`` in the text before it when
    ``count_chinese``."""
    try:
        decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    except LookupError:
        raise EncodingError(f"unknown encoding {encoding!r}", file=str(path)) from None
    cjk = common = 0

    def count(text: str) -> None:
        nonlocal cjk, common
        for ch in text:
            if ord(ch) > 0x2E7F:
                cjk += 1
                common += _in_gb2312(ch)

    bad, beyond_ascii = None, False
    with open_bytes(path) as fh:
        offset = 0
        while True:
            block = fh.read(_CHUNK)
            try:
                text = decoder.decode(block, final=not block)
            except UnicodeDecodeError as exc:
                # exc.object holds the bytes the decoder kept from the previous block, then this block
                bad = _BadByte(encoding, offset + len(block) - len(exc.object) + exc.start, exc.object[exc.start])
                beyond_ascii = beyond_ascii or not exc.object[:exc.start].isascii()
                if count_chinese:
                    count(exc.object[:exc.start].decode(encoding, errors="ignore"))   # a statistic only
                break
            beyond_ascii = beyond_ascii or not block.isascii()
            if count_chinese:
                count(text)
            if not block:
                break
            offset += len(block)
    return bad, beyond_ascii, (cjk, common)


def _located(path: Path, fmt: str, bad: _BadByte, message: str) -> EncodingError:
    row, column = _locate(path, fmt, bad)
    return EncodingError(message, file=str(path), row=row, column=column)


def _locate(path: Path, fmt: str, bad: _BadByte) -> tuple[int, str | None]:
    """Row (as ``_tables`` numbers rows) and CSV column of the bad byte, from the text before it.

    A CSV row is a record, not a line: a quoted cell may hold line breaks. So the text before the
    byte (valid by construction) is parsed as the table reader parses it, streamed from the disk.
    """
    with open_bytes(path) as fh:
        text = io.TextIOWrapper(io.BufferedReader(_Prefix(fh, bad.offset)), encoding=bad.encoding, newline="")
        if fmt in ("json", "jsonl"):
            lines = sum(line.endswith(("\n", "\r")) for line in text)
            return lines + (2 if fmt == "jsonl" else 1), None   # JSONL's line N is row N+1 (no header line)
        from feedbackiq.ingest._tables import sniff_delimiter

        first = text.readline()
        rows = _with_marker(first, text)
        records = csv.reader(rows, delimiter="\t" if fmt == "tsv" else sniff_delimiter(first))
        header: list[str] = []
        row, last = 0, [""]
        for row, last in enumerate(records, start=1):
            if row == 1:
                header = last
    index = len(last) - 1    # the marker ends the cell the bad byte is in
    return row, header[index] if row > 1 and index < len(header) else None


_MARK = "\ufdd0"   # a noncharacter: never in an export, so it marks where the text before the bad byte ends


def _with_marker(first: str, rest: io.TextIOWrapper):
    """The lines of the text, the marker appended to the last one, or as a line of its own after a line end."""
    line = first
    for nxt in rest:
        yield line
        line = nxt
    if line.endswith(("\n", "\r")):
        yield line
        line = ""
    yield line + _MARK


class _Prefix(io.RawIOBase):
    """The first ``n`` bytes of an open file, as a stream."""

    def __init__(self, fh: BinaryIO, n: int) -> None:
        self.fh, self.left = fh, n

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if self.left <= 0:
            return 0
        got = self.fh.readinto(memoryview(buffer)[:self.left])
        self.left -= got
        return got


def _in_gb2312(ch: str) -> bool:
    try:
        ch.encode("gb2312")
        return True
    except UnicodeEncodeError:
        return False


def _guess(path: Path) -> str | None:
    try:
        from charset_normalizer import from_bytes
    except ImportError:  # pragma: no cover - a declared dependency
        return None
    with open_bytes(path) as fh:
        best = from_bytes(fh.read(65536)).best()
    return best.encoding if best else None
