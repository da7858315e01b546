"""SQLite files for queues that must survive a crash (the Elasticsearch outbox,
the alert ledger)."""

from __future__ import annotations

import sqlite3
from pathlib import Path


def open_durable(path: Path, schema: str) -> sqlite3.Connection:
    """Open (creating) `path` with `schema`: WAL, so that readers never block the
    writer; fsync at every commit; transactions begun explicitly. Raises OSError
    or sqlite3.Error for the caller to explain."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, isolation_level=None, timeout=10)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.executescript(schema)
    return conn
