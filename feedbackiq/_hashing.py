"""Hashes that key results to their inputs: of feedback items (what themes were computed from) and of files.

Dependency-free (the error tree only), so the data model, ingest and the pipeline share one definition.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from feedbackiq._errors import IngestError, UnreadableFileError

if TYPE_CHECKING:
    from feedbackiq.types import FeedbackItem

__all__ = ["input_hash", "file_sha256", "open_bytes"]

_CHUNK = 1 << 20


def input_hash(items: Sequence[FeedbackItem]) -> str:
    """sha256 over item ids and texts: what the themes were computed from."""
    h = hashlib.sha256()
    for it in items:
        h.update(it.id.encode())
        h.update(b"\x1f")
        h.update(it.text.encode("utf-8"))
        h.update(b"\x1e")
    return h.hexdigest()


def open_bytes(path: str | Path) -> BinaryIO:
    """``path`` opened for reading bytes; a file that may not be read is an error naming it, not an OSError."""
    try:
        return open(path, "rb")
    except FileNotFoundError:
        raise IngestError("file not found", file=str(path)) from None
    except PermissionError:
        raise UnreadableFileError("cannot be read: permission denied", file=str(path)) from None
    except OSError as exc:   # a directory, a failing disk, a network share gone away
        reason = (exc.strerror or exc.__class__.__name__).lower()
        raise UnreadableFileError(f"cannot be read: {reason}", file=str(path)) from None


def file_sha256(path: str | Path, chunk: int = _CHUNK) -> str:
    h = hashlib.sha256()
    with open_bytes(path) as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()
