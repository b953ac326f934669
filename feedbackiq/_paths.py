"""Where feedbackiq keeps files between runs (embedding vectors, exported models, LLM replies)."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["default_cache_dir"]


def default_cache_dir() -> Path:
    base = os.environ.get("FEEDBACKIQ_CACHE_DIR")
    return Path(base) if base else Path.home() / ".cache" / "feedbackiq"
