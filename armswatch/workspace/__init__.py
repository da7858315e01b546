"""The review app's own records, in one SQLite file beside the listing store:
accounts, web sessions, the login throttle, the audit log, cases and notes.

Listings and analysts' verdicts stay in the listing store (they are training
data); whatever the store is (SQLite or Elasticsearch), the workspace is
`<data_dir>/workspace.sqlite3`. Callers (web app, CLI) write the audit entries,
since they know who acts.
"""

from __future__ import annotations

from pathlib import Path
from types import TracebackType

from armswatch.workspace.accounts import MIN_PASSWORD_LENGTH, ROLES, Accounts, User
from armswatch.workspace.audit import AuditEntry, AuditLog
from armswatch.workspace.cases import Case, Cases
from armswatch.workspace.db import Clock, Database, utcnow
from armswatch.workspace.errors import AccountError, CaseError, WorkspaceError
from armswatch.workspace.notes import Note, Notes
from armswatch.workspace.sessions import Sessions, WebSession
from armswatch.workspace.throttle import LoginThrottle

__all__ = [
    "MIN_PASSWORD_LENGTH",
    "ROLES",
    "AccountError",
    "Accounts",
    "AuditEntry",
    "AuditLog",
    "Case",
    "CaseError",
    "Cases",
    "LoginThrottle",
    "Note",
    "Notes",
    "Sessions",
    "User",
    "WebSession",
    "Workspace",
    "WorkspaceError",
    "workspace_path",
]

WORKSPACE_FILE = "workspace.sqlite3"


def workspace_path(data_dir: Path) -> Path:
    return Path(data_dir) / WORKSPACE_FILE


class Workspace:
    """The review app's own records. Cheap to open (the web app opens one per request
    and thread; a connection serves the thread that opened it); a context manager;
    `close()` may be called twice."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self.path = db.path
        self.accounts = Accounts(db)
        self.sessions = Sessions(db)
        self.throttle = LoginThrottle(db)
        self.audit = AuditLog(db)
        self.cases = Cases(db)
        self.notes = Notes(db)

    @classmethod
    def open(cls, path: Path, *, clock: Clock = utcnow) -> Workspace:
        """Open the workspace file, creating it or bringing its schema up to date.
        Raises WorkspaceError, saying what to do, for a file that cannot be used."""
        return cls(Database(path, clock))

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
