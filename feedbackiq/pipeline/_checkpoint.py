"""Checkpoints of a run's stages, keyed by a hash of everything that went into them.

A stage's key hashes its upstream stages' keys, its own parameters, model ids and
prompt versions (never a bare stage name), so a changed parameter gives new keys
to exactly that stage and the stages downstream of it, and a resumed run reuses
everything else. Files are written to a temporary name and renamed, so a run
killed mid-write never leaves a half checkpoint that looks finished.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
from pydantic import BaseModel

from feedbackiq._errors import CheckpointError
from feedbackiq._hashing import file_sha256
from feedbackiq.pipeline import _columnar
from feedbackiq.types import FeedbackSet, ThemeReport

__all__ = ["CheckpointStore", "stage_key", "file_sha256"]

M = TypeVar("M", bound=BaseModel)


def _canonical(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, (list, tuple)):
        return [_canonical(v) for v in value]
    return value


def stage_key(stage: str, **parts: Any) -> str:
    """sha256 over the stage name and its inputs, JSON-canonical (key order does not matter).

    Examples
    --------
    >>> stage_key("themes", upstream="ab", seed=0) == stage_key("themes", seed=0, upstream="ab")
    True
    >>> stage_key("themes", upstream="ab", seed=0) == stage_key("themes", upstream="ab", seed=1)
    False
    """
    blob = json.dumps({"stage": stage, **_canonical(parts)}, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def _unreadable(path: Path, exc: Exception) -> CheckpointError:
    return CheckpointError(f"{path}: unreadable checkpoint ({exc.__class__.__name__}); delete it or run without --resume")


def _atomic_write(path: Path, write: Callable[[Path], None]) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


class CheckpointStore:
    """``RUN_DIR/.checkpoints/<stage>-<key[:16]>.<ext>``: one file per finished stage output.

    Parameters
    ----------
    run_dir : path
    enabled : bool, default True
        With ``False`` nothing is read (a fresh run); outputs are still written,
        so the next run can resume from them.
    """

    def __init__(self, run_dir: str | Path, *, enabled: bool = True) -> None:
        self.run_dir = Path(run_dir)
        self.enabled = enabled

    @property
    def directory(self) -> Path:
        return self.run_dir / ".checkpoints"

    def path(self, stage: str, key: str, ext: str) -> Path:
        return self.directory / f"{stage}-{key[:16]}.{ext}"

    def saved_keys(self, stage: str) -> list[str]:
        """Keys (as far as file names keep them) of the finished JSON-format checkpoints of ``stage``,
        newest first: for a reader that knows what it wants by content, not by its key."""
        if not self.enabled:
            return []
        done = sorted(self.directory.glob(f"{stage}-*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
        return [p.name[len(stage) + 1:-len(".json")] for p in done]

    def _ready(self, stage: str, key: str, ext: str) -> Path | None:
        p = self.path(stage, key, ext)
        return p if self.enabled and p.exists() else None

    def load_model(self, stage: str, key: str, model: type[M]) -> M | None:
        p = self._ready(stage, key, "json")
        if p is None:
            return None
        try:
            value = model.model_validate_json(p.read_bytes())
            self._load_columns(stage, key, value)
        except (ValueError, OSError) as exc:  # written by another version of feedbackiq, or damaged
            raise _unreadable(p, exc) from None
        return value

    def save_model(self, stage: str, key: str, value: BaseModel, exclude: set[str] | None = None) -> Path:
        """Write ``value`` as JSON (bytes straight from pydantic-core: no second copy as a str).

        The per-row lists of a FeedbackSet (items, ledger entries) and of a ThemeReport
        (assignments) go to Parquet files beside it, block by block (``_columnar.py`` says why);
        the JSON is written last, so its presence means the whole checkpoint is there.
        """
        p = self.path(stage, key, "json")
        p.parent.mkdir(parents=True, exist_ok=True)
        exclude_spec: dict[str, Any] = dict.fromkeys(exclude or (), True)
        if isinstance(value, FeedbackSet):
            self._save_columns(stage, key, "items", value.items, _columnar.write_items)
            self._save_columns(stage, key, "entries", value.ledger.entries, _columnar.write_entries)
            exclude_spec.update({"items": True, "ledger": {"entries": True}})
        elif isinstance(value, ThemeReport):
            self._save_columns(stage, key, "assignments", value.assignments, _columnar.write_assignments)
            exclude_spec["assignments"] = True
        data = type(value).__pydantic_serializer__.to_json(value, exclude=exclude_spec or None)
        _atomic_write(p, lambda tmp: tmp.write_bytes(data))
        return p

    def _save_columns(self, stage: str, key: str, part: str, rows: Any, write: Callable[[Path, Any], None]) -> None:
        _atomic_write(self.path(stage, key, f"{part}.parquet"), lambda tmp: write(tmp, rows))

    def _load_columns(self, stage: str, key: str, value: BaseModel) -> None:
        """Attach the Parquet parts :meth:`save_model` wrote beside the JSON (none: all was in the JSON)."""
        def part(name: str) -> Path | None:
            path = self.path(stage, key, f"{name}.parquet")
            return path if path.exists() else None

        if isinstance(value, FeedbackSet):
            if (items := part("items")) is not None:
                value.items = _columnar.read_items(items)
            if (entries := part("entries")) is not None:
                value.ledger.entries = _columnar.read_entries(entries, item_ids=[it.id for it in value.items])
        elif isinstance(value, ThemeReport) and (assignments := part("assignments")) is not None:
            value.assignments = _columnar.read_assignments(assignments)

    def load_array(self, stage: str, key: str) -> np.ndarray | None:
        p = self._ready(stage, key, "npy")
        if p is None:
            return None
        try:
            return np.load(p, mmap_mode="r")
        except (ValueError, OSError) as exc:  # cut short (a full disk, a copy that stopped), or not an array
            raise _unreadable(p, exc) from None

    def save_array(self, stage: str, key: str, value: np.ndarray) -> Path:
        p = self.path(stage, key, "npy")
        p.parent.mkdir(parents=True, exist_ok=True)

        def write(tmp: Path) -> None:
            with open(tmp, "wb") as f:  # a file object: np.save would append ".npy" to a bare tmp name
                np.save(f, np.ascontiguousarray(value, dtype=np.float32))

        _atomic_write(p, write)
        return p

    def load_json(self, stage: str, key: str) -> Any | None:
        p = self._ready(stage, key, "json")
        return None if p is None else json.loads(p.read_text(encoding="utf-8"))

    def save_json(self, stage: str, key: str, value: Any) -> Path:
        p = self.path(stage, key, "json")
        p.parent.mkdir(parents=True, exist_ok=True)
        _atomic_write(p, lambda tmp: tmp.write_text(json.dumps(value, ensure_ascii=False), encoding="utf-8"))
        return p
