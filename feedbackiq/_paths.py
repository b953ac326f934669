"""Where feedbackiq keeps files between runs (embedding vectors, exported models, LLM replies)."""

from __future__ import annotations

import os
from pathlib import Path

from feedbackiq._errors import InputError

__all__ = ["default_cache_dir", "result_file"]


def default_cache_dir() -> Path:
    base = os.environ.get("FEEDBACKIQ_CACHE_DIR")
    return Path(base) if base else Path.home() / ".cache" / "feedbackiq"


def result_file(path: str | os.PathLike[str], name: str, how: str) -> Path:
    """The result file ``name`` a ``write_*`` function wrote: ``path`` itself, or ``name`` in the folder ``path``.

    Raises :class:`InputError` naming the file when it is not there; ``how`` says how to make one.
    """
    p = Path(path)
    if p.is_dir():
        p = p / name
    if not p.is_file():
        raise InputError(f"{p}: not found; {how}")
    return p
