"""SQLite-backed reply cache and call log for the LLM layer.

The cache key is a sha256 over everything that can change a reply: model,
prompt name + version, the rendered messages, the output schema and the
temperature. Never a bare name: editing a prompt without bumping its version
still changes the messages, so stale replies are never served.

A call's final failure is stored under its key too (``failure``: the error's
kind, message and reason, the last reply, attempts and usage), so a rerun with
the same inputs does not pay again for a reply that will fail again.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

from feedbackiq._sqlite import connect

__all__ = ["LLMStore", "cache_key"]


def cache_key(**parts: Any) -> str:
    blob = json.dumps(parts, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


class LLMStore:
    """Replies (``cache``) and one row per call (``calls``) in ``{dir}/llm.sqlite``."""

    def __init__(self, directory: str | Path) -> None:
        self.path = Path(directory) / "llm.sqlite"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._conn = connect(self.path)
        with self._lock, self._conn:
            self._conn.execute("CREATE TABLE IF NOT EXISTS cache (key TEXT PRIMARY KEY, reply TEXT, usage TEXT, created REAL, "
                               "failure TEXT)")
            self._conn.execute(
                "CREATE TABLE IF NOT EXISTS calls (id INTEGER PRIMARY KEY, ts REAL, prompt TEXT, version TEXT, model TEXT, "
                "input_tokens INTEGER, output_tokens INTEGER, latency_ms REAL, cache_hit INTEGER, attempts INTEGER, error TEXT)")
            columns = {row[1] for row in self._conn.execute("PRAGMA table_info(cache)")}
            if "failure" not in columns:  # a file from before failures were stored: its replies stay valid
                try:
                    self._conn.execute("ALTER TABLE cache ADD COLUMN failure TEXT")
                except sqlite3.OperationalError as exc:  # another process added it first
                    if "duplicate column" not in str(exc):
                        raise

    def get(self, key: str) -> tuple[str, dict] | None:
        """The validated reply and its usage, or None (also when the stored outcome is a failure)."""
        with self._lock:
            row = self._conn.execute("SELECT reply, usage FROM cache WHERE key = ? AND failure IS NULL", (key,)).fetchone()
        return (row[0], json.loads(row[1])) if row else None

    def get_failure(self, key: str) -> dict[str, Any] | None:
        """The stored final failure of this call (as :meth:`put_failure` got it), or None."""
        with self._lock:
            row = self._conn.execute("SELECT failure FROM cache WHERE key = ? AND failure IS NOT NULL", (key,)).fetchone()
        return json.loads(row[0]) if row else None

    def put(self, key: str, reply: str, usage: dict) -> None:
        with self._lock, self._conn:
            self._conn.execute("INSERT OR REPLACE INTO cache (key, reply, usage, created, failure) VALUES (?, ?, ?, ?, NULL)",
                               (key, reply, json.dumps(usage), time.time()))

    def put_failure(self, key: str, failure: dict[str, Any]) -> None:
        """Store a call's final failure (replaces whatever the key held)."""
        with self._lock, self._conn:
            self._conn.execute("INSERT OR REPLACE INTO cache (key, reply, usage, created, failure) VALUES (?, ?, ?, ?, ?)",
                               (key, failure.get("last_reply", ""), json.dumps(failure.get("usage", {})), time.time(),
                                json.dumps(failure, ensure_ascii=False)))

    def log(self, *, prompt: str, version: str, model: str, input_tokens: int, output_tokens: int,
            latency_ms: float, cache_hit: bool, attempts: int, error: str | None) -> None:
        with self._lock, self._conn:
            self._conn.execute(
                "INSERT INTO calls (ts, prompt, version, model, input_tokens, output_tokens, latency_ms, cache_hit, attempts, error) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (time.time(), prompt, version, model, input_tokens, output_tokens, latency_ms, int(cache_hit), attempts, error))

    def calls(self) -> list[dict[str, Any]]:
        with self._lock:
            cur = self._conn.execute("SELECT * FROM calls ORDER BY id")
            names = [d[0] for d in cur.description]
            return [dict(zip(names, row)) for row in cur.fetchall()]

