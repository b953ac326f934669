"""Opening the SQLite files shared between processes (embedding cache, LLM cache and call log)."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

__all__ = ["connect"]


def connect(path: str | Path, attempts: int = 50) -> sqlite3.Connection:
    """A connection in WAL mode, usable from several threads (callers hold their own lock).

    Switching to WAL is retried: another process or thread opening the same new file can hold the
    lock for a moment, and changing the journal mode does not wait on SQLite's busy timeout.
    """
    conn = sqlite3.connect(path, timeout=60, check_same_thread=False)
    for attempt in range(attempts):
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            return conn
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == attempts - 1:
                conn.close()
                raise
            time.sleep(0.05 * (attempt + 1))
    return conn
