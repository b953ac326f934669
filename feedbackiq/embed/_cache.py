"""A disk cache for embeddings, keyed by model id and text hash (SQLite, safe across processes)."""

from __future__ import annotations

import hashlib
import os
import sqlite3
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from feedbackiq._sqlite import connect
from feedbackiq.embed._base import Embedder

__all__ = ["CachedEmbedder", "default_cache_dir"]

_LOOKUP_CHUNK = 500  # SQLite's default limit on bound parameters is 999


def default_cache_dir() -> Path:
    base = os.environ.get("FEEDBACKIQ_CACHE_DIR")
    return Path(base) if base else Path.home() / ".cache" / "feedbackiq"


class CachedEmbedder(Embedder):
    """Wrap an embedder so each distinct text is embedded once, ever, per model.

    Within a call, duplicate texts are embedded once; across calls and processes,
    vectors are read back from ``{cache_dir}/embeddings.sqlite``.

    Parameters
    ----------
    inner : Embedder
    cache_dir : path, optional
        Default ``$FEEDBACKIQ_CACHE_DIR`` or ``~/.cache/feedbackiq``.

    Attributes
    ----------
    hits_, misses_ : int
        Texts served from the cache / embedded by ``inner`` so far.
    """

    def __init__(self, inner: Embedder, cache_dir: str | os.PathLike[str] | None = None) -> None:
        self.inner = inner
        self.cache_dir = cache_dir
        self.model_id = inner.model_id
        self.batch_size = inner.batch_size
        self.hits_ = 0
        self.misses_ = 0
        self._conn: sqlite3.Connection | None = None

    @property
    def dim(self) -> int:  # type: ignore[override]
        return self.inner.dim

    def _db(self) -> sqlite3.Connection:
        if self._conn is None:
            root = Path(self.cache_dir) if self.cache_dir is not None else default_cache_dir()
            root.mkdir(parents=True, exist_ok=True)
            conn = connect(root / "embeddings.sqlite")
            conn.execute("CREATE TABLE IF NOT EXISTS vectors (model TEXT, key BLOB, vec BLOB, PRIMARY KEY (model, key)) WITHOUT ROWID")
            self._conn = conn
        return self._conn

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        return self.embed(texts)

    def embed(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray:
        texts = list(texts)
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        keys = [hashlib.sha256(t.encode("utf-8")).digest() for t in texts]
        unique = list(dict.fromkeys(keys))
        found = self._lookup(unique)
        missing = [k for k in unique if k not in found]
        self.hits_ += len(unique) - len(missing)
        self.misses_ += len(missing)
        if missing:
            first_text = {}
            for k, t in zip(keys, texts):
                first_text.setdefault(k, t)
            vecs = self.inner.embed([first_text[k] for k in missing], progress=progress)
            self._store(missing, vecs)
            found.update(zip(missing, vecs))
        return np.stack([found[k] for k in keys]).astype(np.float32, copy=False)

    def _lookup(self, keys: list[bytes]) -> dict[bytes, np.ndarray]:
        db = self._db()
        out: dict[bytes, np.ndarray] = {}
        for i in range(0, len(keys), _LOOKUP_CHUNK):
            chunk = keys[i : i + _LOOKUP_CHUNK]
            marks = ",".join("?" * len(chunk))
            rows = db.execute(f"SELECT key, vec FROM vectors WHERE model = ? AND key IN ({marks})", [self.model_id, *chunk])
            for key, blob in rows:
                out[key] = np.frombuffer(blob, dtype=np.float32)
        return out

    def _store(self, keys: list[bytes], vecs: np.ndarray) -> None:
        db = self._db()
        with db:
            db.executemany(
                "INSERT OR REPLACE INTO vectors (model, key, vec) VALUES (?, ?, ?)",
                [(self.model_id, k, np.asarray(v, dtype=np.float32).tobytes()) for k, v in zip(keys, vecs)],
            )
