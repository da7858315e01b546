"""The alert ledger: what is to be alerted and what was, in a local SQLite file.

Crawls record *candidates* (newly flagged listings) here; a dispatch matches
them against the rules and turns each match into one *delivery* per channel,
keyed by (rule, listing, channel), so that no listing is alerted twice for
one rule on one channel. A delivery stays pending, with its attempts and last
error, until its channel took it: a channel that is down loses nothing.
"""

from __future__ import annotations

import fcntl
import json
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from armswatch.durable import open_durable

LEDGER_FILE = "alerts.sqlite3"
"""Under the data directory."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS candidates (
    listing_id TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    found_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS deliveries (
    rule TEXT NOT NULL,
    listing_id TEXT NOT NULL,
    channel TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',   -- pending | sent
    alert TEXT NOT NULL,                      -- JSON: what the message says of the listing
    attempts INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    created_at TEXT NOT NULL,
    sent_at TEXT,
    PRIMARY KEY (rule, listing_id, channel)
);
CREATE INDEX IF NOT EXISTS deliveries_pending ON deliveries(status, rule, channel);
"""


class LedgerError(Exception):
    """The ledger cannot be opened or written; the message says what to do."""


@dataclass(frozen=True)
class Candidate:
    listing_id: str
    source: str
    found_at: str


@dataclass(frozen=True)
class Delivery:
    """One alert for one listing, by one rule, to one channel."""

    rule: str
    listing_id: str
    channel: str
    alert: dict[str, Any]
    attempts: int = 0
    error: str | None = None

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.rule, self.listing_id, self.channel)


@dataclass(frozen=True)
class RouteStatus:
    """The deliveries of one rule to one channel."""

    rule: str
    channel: str
    pending: int
    sent: int
    attempts: int
    """The most attempts of a pending delivery."""
    error: str | None
    """The last error of a pending delivery."""
    last_sent: str | None


class Ledger:
    """The alert ledger in one SQLite file (WAL: a crawl records candidates while
    another process reads the status)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        try:
            self._conn = open_durable(self.path, _SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise LedgerError(
                f"cannot open the alert ledger {self.path} ({exc}); check that the data "
                "directory is writable, or point --data-dir elsewhere"
            ) from exc

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def add_candidate(self, listing_id: str, source: str) -> None:
        """Record a newly flagged listing (once: a second record of it waits as one)."""
        self._conn.execute(
            "INSERT OR IGNORE INTO candidates (listing_id, source, found_at) VALUES (?, ?, ?)",
            (listing_id, source, _now()),
        )

    def candidates(self) -> list[Candidate]:
        rows = self._conn.execute(
            "SELECT listing_id, source, found_at FROM candidates ORDER BY found_at, listing_id"
        ).fetchall()
        return [Candidate(*row) for row in rows]

    def resolve(self, listing_id: str, deliveries: Iterable[Delivery]) -> int:
        """The candidate was matched: create its deliveries (those not made before)
        and forget the candidate, in one transaction. Returns how many are new."""
        created = 0
        with self._transaction():
            for delivery in deliveries:
                cursor = self._conn.execute(
                    "INSERT OR IGNORE INTO deliveries (rule, listing_id, channel, alert,"
                    " created_at) VALUES (?, ?, ?, ?, ?)",
                    (*delivery.key, json.dumps(delivery.alert, ensure_ascii=False), _now()),
                )
                created += cursor.rowcount
            self._conn.execute("DELETE FROM candidates WHERE listing_id = ?", (listing_id,))
        return created

    def pending(self) -> list[Delivery]:
        """Deliveries not yet taken by their channel, oldest first."""
        rows = self._conn.execute(
            "SELECT rule, listing_id, channel, alert, attempts, error FROM deliveries"
            " WHERE status = 'pending' ORDER BY created_at, rule, channel, listing_id"
        ).fetchall()
        return [Delivery(r, i, c, json.loads(a), n, e) for r, i, c, a, n, e in rows]

    def mark_sent(self, keys: Sequence[tuple[str, str, str]]) -> None:
        self._update(
            "UPDATE deliveries SET status = 'sent', attempts = attempts + 1, error = NULL,"
            " sent_at = ? WHERE rule = ? AND listing_id = ? AND channel = ?",
            keys,
            _now(),
        )

    def mark_failed(
        self, keys: Sequence[tuple[str, str, str]], error: str, attempted: bool = True
    ) -> None:
        """Keep them pending with the error; `attempted` counts a try (False when the
        channel was not even tried, e.g. its secret is unset)."""
        self._update(
            "UPDATE deliveries SET attempts = attempts + ?, error = ?"
            " WHERE rule = ? AND listing_id = ? AND channel = ? AND status = 'pending'",
            keys,
            int(attempted),
            error,
        )

    def routes(self) -> list[RouteStatus]:
        """Per rule and channel: pending and sent counts, attempts and last error."""
        rows = self._conn.execute(
            "SELECT rule, channel, sum(status = 'pending'), sum(status = 'sent'),"
            " max(CASE WHEN status = 'pending' THEN attempts ELSE 0 END),"
            " max(CASE WHEN status = 'pending' THEN error END), max(sent_at)"
            " FROM deliveries GROUP BY rule, channel ORDER BY rule, channel"
        ).fetchall()
        return [RouteStatus(*row) for row in rows]

    @contextmanager
    def dispatching(self) -> Iterator[None]:
        """Hold the dispatch lock: two dispatches at once (two crawls ending, or
        `alerts send` beside a crawl) would send the same pending deliveries twice.
        The lock is the kernel's, so a killed process never leaves it held."""
        with open(self.path.with_suffix(".lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def close(self) -> None:
        self._conn.close()

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")

    def _update(self, sql: str, keys: Sequence[tuple[str, str, str]], *params: Any) -> None:
        with self._transaction():
            self._conn.executemany(sql, [(*params, *key) for key in keys])


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
