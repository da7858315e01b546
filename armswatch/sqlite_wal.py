"""Switching a SQLite file to write-ahead logging, safely when several connections
open a new file at once (the store's crawl workers, the web app's threads).

Changing the journal mode needs an exclusive lock. Two connections that both read
the new file and then ask for that lock would deadlock, so SQLite fails one of
them at once with "database is locked" instead of calling its busy handler:
the switch is retried until the busy timeout runs out.
"""

from __future__ import annotations

import sqlite3
import time

RETRY_EVERY_S = 0.02


def use_wal(conn: sqlite3.Connection, timeout_s: float) -> str:
    """Put `conn`'s file in WAL mode; return the mode it ends in ('wal', or another
    where the file system cannot share memory). Raises sqlite3.Error past `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            (mode,) = conn.execute("PRAGMA journal_mode = WAL").fetchone()
            return str(mode)
        except sqlite3.OperationalError as exc:
            busy = exc.sqlite_errorcode & 0xFF == sqlite3.SQLITE_BUSY
            if not busy or time.monotonic() >= deadline:
                raise
            time.sleep(RETRY_EVERY_S)
