"""The audit log: who did what, when, on which listing.

Append-only twice over: SQLite triggers refuse UPDATE and DELETE on its table,
and each entry's digest is a SHA-256 over the previous entry's digest and the
entry itself, so an edit made around the triggers (with the file open in another
tool) breaks the chain where it was made, and `verify` finds it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from armswatch.workspace.db import Database, iso
from armswatch.workspace.errors import WorkspaceError

GENESIS = "0" * 64
"""The "previous digest" of the first entry."""

_COLUMNS = "id, at, actor, action, listing_id, detail, digest"


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: str
    """ISO 8601 UTC."""
    actor: str
    """The user name, or "cli:<login>" for commands."""
    action: str
    listing_id: str | None
    detail: dict[str, Any]
    digest: str


def _canonical(detail: dict[str, Any]) -> str:
    """The detail as stored and hashed; values JSON has no type for (paths, times) are
    kept as their text, since failing to record an action that happened is worse."""
    return json.dumps(
        detail, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    )


def _digest(
    previous: str, id: int, at: str, actor: str, action: str, listing_id: str | None, detail: str
) -> str:
    """SHA-256 over the previous digest and the entry's fields, the detail as stored."""
    fields = [previous, id, at, actor, action, listing_id, detail]
    text = json.dumps(fields, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def _entry(row: tuple[Any, ...]) -> AuditEntry:
    id, at, actor, action, listing_id, detail, digest = row
    return AuditEntry(id, at, actor, action, listing_id, json.loads(detail), digest)


def _since(value: str) -> str:
    """An ISO date or time (naive means UTC) in the log's own format, to compare with."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise WorkspaceError(
            f"cannot read {value!r} as a date or time: use e.g. 2026-05-01 or 2026-05-01T14:30"
        ) from None
    return iso(moment if moment.tzinfo else moment.replace(tzinfo=UTC))


class AuditLog:
    def __init__(self, db: Database) -> None:
        self._db = db

    def record(
        self, actor: str, action: str, listing_id: str | None = None, **detail: Any
    ) -> AuditEntry:
        """Append an entry, chained to the one before it."""
        detail_text = _canonical(detail)
        at = self._db.now()
        with self._db.write() as conn:
            last = conn.execute("SELECT id, digest FROM audit ORDER BY id DESC LIMIT 1").fetchone()
            id, previous = (last[0] + 1, last[1]) if last else (1, GENESIS)
            digest = _digest(previous, id, at, actor, action, listing_id, detail_text)
            conn.execute(
                f"INSERT INTO audit ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (id, at, actor, action, listing_id, detail_text, digest),
            )
        return AuditEntry(id, at, actor, action, listing_id, json.loads(detail_text), digest)

    def entries(
        self,
        *,
        actor: str | None = None,
        action: str | None = None,
        listing_id: str | None = None,
        since: str | None = None,
        limit: int | None = None,
    ) -> list[AuditEntry]:
        """Matching entries, oldest first; with `limit`, the latest `limit` of them.
        `since` is an ISO date or time (UTC when it names no zone)."""
        where, args = ["1 = 1"], []
        for column, value in (("actor", actor), ("action", action), ("listing_id", listing_id)):
            if value is not None:
                where.append(f"{column} = ?")
                args.append(value)
        if since is not None:
            where.append("at >= ?")
            args.append(_since(since))
        query = f"SELECT {_COLUMNS} FROM audit WHERE {' AND '.join(where)} ORDER BY id DESC"
        if limit is not None:
            query += " LIMIT ?"
            args.append(max(limit, 0))
        with self._db.errors():
            rows = self._db.conn.execute(query, args).fetchall()
        return [_entry(row) for row in reversed(rows)]

    def verify(self) -> list[int]:
        """Ids of the entries where the chain breaks (changed, or following a removed
        entry); [] when the log is intact."""
        broken, previous = [], GENESIS
        with self._db.errors():
            for id, at, actor, action, listing_id, detail, digest in self._db.conn.execute(
                f"SELECT {_COLUMNS} FROM audit ORDER BY id"
            ):
                if _digest(previous, id, at, actor, action, listing_id, detail) != digest:
                    broken.append(id)
                previous = digest
        return broken
