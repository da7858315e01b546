"""One connection to the workspace file: opening it, bringing its schema up to
date, and transactions that wait for other writers instead of failing.

The web app opens a workspace per request and thread, so opening is one
`PRAGMA user_version` read when the schema is current; WAL lets pages read while
another thread writes, and the busy timeout makes concurrent writers queue.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from armswatch.sqlite_wal import use_wal
from armswatch.workspace.errors import WorkspaceError
from armswatch.workspace.schema import MIGRATIONS, SCHEMA_VERSION

Clock = Callable[[], datetime]
"""Returns the current time, timezone-aware; tests pass their own to move time on."""

BUSY_TIMEOUT_S = 10.0
"""How long a writer waits for another's lock before giving up."""

_CORRUPT_CODES = frozenset({sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB})


def utcnow() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    """ISO 8601 in UTC to the second: one format everywhere, so strings compare as times."""
    return moment.astimezone(UTC).isoformat(timespec="seconds")


class Database:
    """The workspace file, opened and migrated; `close()` may be called twice."""

    def __init__(self, path: Path, clock: Clock = utcnow) -> None:
        self.path = Path(path)
        self.clock = clock
        self._closed = False
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.conn = sqlite3.connect(self.path, isolation_level=None, timeout=BUSY_TIMEOUT_S)
        except (OSError, sqlite3.Error) as exc:
            raise self.error(exc) from exc
        try:
            with self.errors():
                self.conn.execute("PRAGMA foreign_keys = ON")
                self._migrate()
        except BaseException:
            self.close()
            raise

    def now(self) -> str:
        return iso(self.clock())

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self.conn.close()

    # -- transactions -----------------------------------------------------------

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One transaction that takes the write lock up front (BEGIN IMMEDIATE), so a
        busy file is waited for instead of failing halfway through."""
        with self.errors():
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.conn
            except BaseException:
                if self.conn.in_transaction:  # some errors have rolled back already
                    self.conn.execute("ROLLBACK")
                raise
            self.conn.execute("COMMIT")

    @contextmanager
    def errors(self) -> Iterator[None]:
        """SQLite failures as a WorkspaceError that names the file and what to do;
        constraint errors pass through for the caller to explain."""
        try:
            yield
        except sqlite3.IntegrityError:
            raise
        except sqlite3.Error as exc:
            raise self.error(exc) from exc

    def error(self, exc: OSError | sqlite3.Error) -> WorkspaceError:
        if (getattr(exc, "sqlite_errorcode", 0) & 0xFF) in _CORRUPT_CODES:
            return WorkspaceError(
                f"the workspace {self.path} is not a SQLite database or is damaged ({exc}); "
                "restore it from a backup, or move it aside to start an empty workspace "
                "(accounts, cases, notes and the audit log would start over)"
            )
        return WorkspaceError(
            f"cannot use the workspace {self.path} ({exc}); check that the file and its "
            "folder are readable and writable by the user running armswatch, or point "
            "--data-dir elsewhere"
        )

    # -- schema -----------------------------------------------------------------

    def _version(self) -> int:
        (version,) = self.conn.execute("PRAGMA user_version").fetchone()
        return int(version)

    def _migrate(self) -> None:
        """Bring the schema to SCHEMA_VERSION (a no-op read when it is current);
        refuse a file from a newer armswatch or a database that is not a workspace."""
        if self._check_version(self._version()):
            return
        # Outside a transaction, as SQLite requires; the mode is kept in the file.
        use_wal(self.conn, BUSY_TIMEOUT_S)
        with self.write() as conn:
            version = self._version()  # another process may have migrated meanwhile
            if self._check_version(version):
                return
            if version == 0 and conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
                raise WorkspaceError(
                    f"{self.path} is a SQLite database but not an armswatch workspace; "
                    "move it aside or point --data-dir elsewhere"
                )
            for migration in MIGRATIONS[version:]:
                for statement in migration:
                    conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def _check_version(self, version: int) -> bool:
        """True when the schema is current; raises when the file is newer than us."""
        if version > SCHEMA_VERSION:
            raise WorkspaceError(
                f"the workspace {self.path} has schema version {version}, newer than this "
                f"armswatch knows ({SCHEMA_VERSION}); upgrade armswatch, or point --data-dir "
                "elsewhere"
            )
        return version == SCHEMA_VERSION
