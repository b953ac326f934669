"""Format sniffing and text decoding for input files.

Excel in China writes CSVs in GBK; Excel elsewhere adds a UTF-8 BOM; everything
else is plain UTF-8. We decode strictly (never with ``errors="replace"``), so a
file in some other encoding fails loudly with the row of the first bad byte
instead of turning into mojibake that would later cluster as its own "theme".
"""

from __future__ import annotations

import codecs
import hashlib
from pathlib import Path

from feedbackiq._errors import EncodingError, UnsupportedFormatError

__all__ = ["FORMATS", "sniff_format", "detect_encoding", "file_sha256"]

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


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(_CHUNK), b""):
            h.update(block)
    return h.hexdigest()


def sniff_format(path: Path) -> str:
    """Return the format name for ``path`` from its extension, checked against its first bytes."""
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise UnsupportedFormatError(
            f"unsupported file type {path.suffix or '(none)'!r}; supported: {', '.join(sorted(set(FORMATS)))}",
            file=str(path),
        )
    with path.open("rb") as fh:
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


def detect_encoding(path: Path, encoding: str | None = None) -> str:
    """Pick the encoding that decodes the WHOLE file strictly.

    Order: an explicit ``encoding``; UTF-8 (``utf-8-sig`` when a BOM is present);
    GB18030 (a superset of GBK) when the decoded Chinese is plausible. Streams in
    1 MiB chunks so large files are never held in memory.
    """
    if encoding:
        _check_decodes(path, encoding)
        return encoding
    with path.open("rb") as fh:
        head = fh.read(4)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        _check_decodes(path, "utf-16")
        return "utf-16"
    first = "utf-8-sig" if head.startswith(codecs.BOM_UTF8) else "utf-8"
    try:
        _check_decodes(path, first)
        return first
    except EncodingError as utf8_error:
        try:
            _check_decodes(path, "gb18030", plausible_chinese=True)
            return "gb18030"
        except EncodingError:
            guess = _guess(path)
            hint = f" (it looks like {guess})" if guess else ""
            raise EncodingError(
                f"cannot decode as UTF-8 or GBK/GB18030{hint}; re-save the file as UTF-8 "
                f"or pass encoding='...' (first bad byte: {utf8_error.message})",
                file=str(path),
                row=utf8_error.row,
            ) from None


def _check_decodes(path: Path, encoding: str, plausible_chinese: bool = False) -> None:
    try:
        decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    except LookupError:
        raise EncodingError(f"unknown encoding {encoding!r}", file=str(path)) from None
    newlines = 0
    cjk = common = 0
    with path.open("rb") as fh:
        offset = 0
        while True:
            block = fh.read(_CHUNK)
            final = not block
            try:
                text = decoder.decode(block, final=final)
            except UnicodeDecodeError as exc:
                bad_at = offset + max(exc.start, 0)
                row = newlines + _count_newlines_before(path, offset, bad_at) + 1
                raise EncodingError(f"byte 0x{block[exc.start]:02x} at offset {bad_at} is not valid {encoding}", file=str(path), row=row) from None
            if plausible_chinese:
                for ch in text:
                    if ord(ch) > 0x2E7F:
                        cjk += 1
                        common += _in_gb2312(ch)
            newlines += block.count(b"\n")
            offset += len(block)
            if final:
                break
    # Latin-1/Shift-JIS bytes often "decode" as GB18030 into rare characters; real
    # Chinese text is overwhelmingly made of the 6,763 common GB2312 characters.
    if plausible_chinese and cjk and common / cjk < 0.9:
        raise EncodingError(f"decodes as {encoding} only into rare characters (not real Chinese text)", file=str(path))


def _in_gb2312(ch: str) -> bool:
    try:
        ch.encode("gb2312")
        return True
    except UnicodeEncodeError:
        return False


def _count_newlines_before(path: Path, block_start: int, bad_at: int) -> int:
    with path.open("rb") as fh:
        fh.seek(block_start)
        return fh.read(bad_at - block_start).count(b"\n")


def _guess(path: Path) -> str | None:
    try:
        from charset_normalizer import from_bytes
    except ImportError:  # pragma: no cover - a declared dependency
        return None
    with path.open("rb") as fh:
        best = from_bytes(fh.read(65536)).best()
    return best.encoding if best else None
