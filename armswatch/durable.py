"""SQLite files for queues that must survive a crash (the Elasticsearch outbox,
the alert ledger)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from armswatch.sqlite_wal import use_wal

BUSY_TIMEOUT_S = 10.0
"""How long a writer waits for another connection's lock."""


def open_durable(path: Path, schema: str) -> sqlite3.Connection:
    """Open (creating) `path` with `schema`: WAL, so that readers never block the
    writer; fsync at every commit; transactions begun explicitly. Raises OSError
    or sqlite3.Error for the caller to explain."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, isolation_level=None, timeout=BUSY_TIMEOUT_S)
    use_wal(conn, BUSY_TIMEOUT_S)
    conn.execute("PRAGMA synchronous = FULL")
    conn.executescript(schema)
    return conn
