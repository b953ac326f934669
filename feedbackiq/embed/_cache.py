"""A disk cache for embeddings, keyed by model id and text hash (SQLite, safe across processes).

Vectors live in an ordinary (rowid) table with a unique index on (model, key), appended in rowid order
and looked up in sorted key order: SQLite advises against a WITHOUT ROWID table for rows over about 1/20
of a page, as a vector is, and the first schema (one) was slow and large (evals/README.md, "Measurements behind the code"). A cache in the old
layout is copied into the new table once, when first opened.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from feedbackiq._paths import default_cache_dir
from feedbackiq._sqlite import connect
from feedbackiq.embed._base import Embedder

__all__ = ["CachedEmbedder", "default_cache_dir"]

_LOOKUP_CHUNK = 500  # SQLite's default limit on bound parameters is 999


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
            _ensure_schema(conn)
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
        keys = sorted(keys)   # each chunk then reads neighbouring index pages
        for i in range(0, len(keys), _LOOKUP_CHUNK):
            chunk = keys[i : i + _LOOKUP_CHUNK]
            marks = ",".join("?" * len(chunk))
            rows = db.execute(f"SELECT key, vec FROM {_TABLE} WHERE model = ? AND key IN ({marks})", [self.model_id, *chunk])
            for key, blob in rows:
                out[key] = np.frombuffer(blob, dtype=np.float32)
        return out

    def _store(self, keys: list[bytes], vecs: np.ndarray) -> None:
        db = self._db()
        with db:
            db.executemany(
                f"INSERT OR REPLACE INTO {_TABLE} (model, key, vec) VALUES (?, ?, ?)",
                [(self.model_id, k, np.asarray(v, dtype=np.float32).tobytes()) for k, v in zip(keys, vecs)],
            )


_TABLE = "embeddings"
_OLD_TABLE = "vectors"   # the first layout (WITHOUT ROWID, keyed by model and key): see the module docstring


def _ensure_schema(conn: sqlite3.Connection) -> None:
    """Create the table and its index; copy a cache in the old layout into it once, then drop the old table.

    In one write transaction (``BEGIN IMMEDIATE``), so two processes opening an old cache at once
    copy it once: the second finds the old table gone.
    """
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute(f"CREATE TABLE IF NOT EXISTS {_TABLE} (model TEXT NOT NULL, key BLOB NOT NULL, vec BLOB NOT NULL)")
        conn.execute(f"CREATE UNIQUE INDEX IF NOT EXISTS {_TABLE}_model_key ON {_TABLE} (model, key)")
        old = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (_OLD_TABLE,)).fetchone()
        if old:
            conn.execute(f"INSERT OR IGNORE INTO {_TABLE} (model, key, vec) SELECT model, key, vec FROM {_OLD_TABLE}")
            conn.execute(f"DROP TABLE {_OLD_TABLE}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    if old:
        # The old table's pages are free now: give them back (about half the file). Only space is at
        # stake, so a cache busy in another process stays as it is.
        try:
            conn.execute("VACUUM")
        except sqlite3.OperationalError:
            pass
