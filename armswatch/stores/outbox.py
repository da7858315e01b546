"""The outbox: a durable queue of writes for a remote store, in a local SQLite file.

A crawl must not lose listings because the cluster is down. Every write to
Elasticsearch is first committed here; it leaves the outbox only once the
cluster has acknowledged it. Operations keep their order (a sequence number),
so the versions of a listing reach the index in the order they were crawled.
An operation the cluster refuses for good (a mapping error) is kept as failed,
with the reason, until an operator retries it: nothing is dropped silently.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from armswatch.durable import open_durable
from armswatch.stores.base import StoreError

_SCHEMA = """
CREATE TABLE IF NOT EXISTS operations (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,          -- listing | run | review
    key TEXT NOT NULL,           -- the document id it writes
    body TEXT NOT NULL,          -- JSON
    queued_at TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    failed INTEGER NOT NULL DEFAULT 0,
    error TEXT
);
CREATE INDEX IF NOT EXISTS operations_pending ON operations(failed, seq);
CREATE INDEX IF NOT EXISTS operations_key ON operations(kind, key, seq);
"""


@dataclass(frozen=True)
class Operation:
    seq: int
    kind: str
    key: str
    body: dict[str, Any]
    attempts: int = 0
    error: str | None = None


@dataclass(frozen=True)
class Depth:
    """How much waits in the outbox."""

    pending: int
    failed: int
    oldest: str | None
    """When the oldest pending operation was queued."""


class Outbox:
    """Operations queued in one SQLite file. Writes are buffered until `commit`."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.uncommitted = 0
        try:
            self._conn = open_durable(self.path, _SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(
                f"cannot open the Elasticsearch outbox {self.path} ({exc}); check that the "
                "data directory is writable, or point --data-dir elsewhere"
            ) from exc

    def add(self, kind: str, key: str, body: dict[str, Any]) -> None:
        """Queue an operation inside the open batch (durable at `commit`)."""
        if not self._conn.in_transaction:
            self._conn.execute("BEGIN IMMEDIATE")
        self._conn.execute(
            "INSERT INTO operations (kind, key, body, queued_at) VALUES (?, ?, ?, ?)",
            (kind, key, json.dumps(body, ensure_ascii=False), _now()),
        )
        self.uncommitted += 1

    def commit(self) -> None:
        if self._conn.in_transaction:
            self._conn.execute("COMMIT")
        self.uncommitted = 0

    def rollback(self) -> int:
        """Discard the uncommitted batch; returns how many operations it held."""
        count, self.uncommitted = self.uncommitted, 0
        if self._conn.in_transaction:
            self._conn.execute("ROLLBACK")
        return count

    def pending(self, limit: int) -> list[Operation]:
        """The oldest committed operations not yet acknowledged, in order."""
        return self._select("failed = 0 ORDER BY seq LIMIT ?", (limit,))

    def for_keys(self, kinds: Sequence[str], keys: Iterable[str]) -> list[Operation]:
        """The queued operations (pending or failed) of these kinds on these keys,
        oldest first: what the cluster does not know yet."""
        wanted = list(dict.fromkeys(keys))
        kind_marks = ", ".join("?" * len(kinds))
        found: list[Operation] = []
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            found += self._select(
                f"kind IN ({kind_marks}) AND key IN ({', '.join('?' * len(chunk))})",
                [*kinds, *chunk],
            )
        return sorted(found, key=lambda operation: operation.seq)

    def of_kind(self, kind: str) -> list[Operation]:
        """Every queued operation of `kind`, oldest first."""
        return self._select("kind = ? ORDER BY seq", (kind,))

    def done(self, seqs: Sequence[int]) -> None:
        """The cluster acknowledged these: remove them."""
        self._each("DELETE FROM operations WHERE seq IN ({})", seqs)

    def retry_later(self, seqs: Sequence[int], error: str) -> None:
        """A passing failure (overload, conflict, blocked index): count the attempt."""
        self._each(
            "UPDATE operations SET attempts = attempts + 1, error = ? WHERE seq IN ({})",
            seqs,
            error,
        )

    def fail(self, seqs: Sequence[int], error: str) -> None:
        """Refused for good: keep them, set aside, with the reason."""
        self._each(
            "UPDATE operations SET attempts = attempts + 1, failed = 1, error = ?"
            " WHERE seq IN ({})",
            seqs,
            error,
        )

    def failed(self, limit: int = 100) -> list[Operation]:
        return self._select("failed = 1 ORDER BY seq LIMIT ?", (limit,))

    def retry_failed(self) -> int:
        """Put the failed operations back in the queue (after the cause was fixed)."""
        (count,) = self._conn.execute("SELECT count(*) FROM operations WHERE failed = 1").fetchone()
        self._conn.execute("UPDATE operations SET failed = 0 WHERE failed = 1")
        return int(count)

    def depth(self) -> Depth:
        pending, failed, oldest = self._conn.execute(
            "SELECT sum(failed = 0), sum(failed = 1), min(CASE WHEN failed = 0 THEN queued_at END)"
            " FROM operations"
        ).fetchone()
        return Depth(pending=pending or 0, failed=failed or 0, oldest=oldest)

    def close(self) -> None:
        self._conn.close()

    def _select(self, where: str, params: Sequence[Any]) -> list[Operation]:
        """The operations matching an SQL condition (and ordering)."""
        rows = self._conn.execute(
            "SELECT seq, kind, key, body, attempts, error FROM operations WHERE " + where,
            params,
        ).fetchall()
        return [_operation(row) for row in rows]

    def _each(self, sql: str, seqs: Sequence[int], *params: Any) -> None:
        """Run `sql` (with `{}` for the seq marks) over `seqs` in chunks, in its own
        transaction unless a batch is open."""
        own = not self._conn.in_transaction
        if own:
            self._conn.execute("BEGIN IMMEDIATE")
        for start in range(0, len(seqs), 500):
            chunk = list(seqs[start : start + 500])
            self._conn.execute(sql.format(", ".join("?" * len(chunk))), [*params, *chunk])
        if own:
            self._conn.execute("COMMIT")


def _operation(row: Sequence[Any]) -> Operation:
    seq, kind, key, body, attempts, error = row
    return Operation(seq, kind, key, json.loads(body), attempts, error)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
