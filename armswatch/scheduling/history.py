"""The run history: what each scheduled crawl did, in a SQLite file in the data directory.

Operators read it with `armswatch runs`; a run is recorded as "running" when it
starts, so a scheduler killed mid-run leaves a trace that the next start turns
into "interrupted".
"""

from __future__ import annotations

import os
import socket
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import astuple, dataclass, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from armswatch.sqlite_wal import use_wal

HISTORY_FILE = "runs.sqlite3"
BUSY_TIMEOUT_S = 30.0
"""How long a run's record waits for another process's write lock."""

RUNNING = "running"
OK = "ok"
FAILED = "failed"
TIMED_OUT = "timed out"
STOPPED = "stopped"
"""The daemon was told to stop and the crawl did not finish within the deadline."""
INTERRUPTED = "interrupted"
"""The daemon died while the crawl ran (found at its next start)."""
SKIPPED_OVERLAP = "skipped-overlap"
"""Triggered while the previous run of the source was still going."""
SKIPPED_CLAIMED = "skipped-claimed"
"""Another host sharing the job store ran this slot."""
SKIPPED_MISSED = "skipped-missed"
"""Its time passed longer ago than the misfire grace (the scheduler was down)."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    source TEXT NOT NULL,
    trigger TEXT NOT NULL,        -- schedule | manual
    host TEXT NOT NULL,
    pid INTEGER NOT NULL,
    slot TEXT,                    -- the cron time the run belongs to
    started_at TEXT NOT NULL,
    finished_at TEXT,
    status TEXT NOT NULL,
    pages INTEGER NOT NULL DEFAULT 0,
    new INTEGER NOT NULL DEFAULT 0,
    changed INTEGER NOT NULL DEFAULT 0,
    flagged INTEGER NOT NULL DEFAULT 0,
    errors TEXT NOT NULL DEFAULT '',
    log TEXT
);
CREATE INDEX IF NOT EXISTS runs_source ON runs(source, id);
"""


@dataclass
class RunRecord:
    """One run of one source."""

    source: str
    trigger: str
    started_at: str
    status: str = RUNNING
    host: str = ""
    pid: int = 0
    slot: str | None = None
    finished_at: str | None = None
    pages: int = 0
    new: int = 0
    changed: int = 0
    flagged: int = 0
    errors: str = ""
    """The first lines of what went wrong, if anything did."""
    log: str | None = None
    """The child crawl's output file."""
    id: int | None = None


_COLUMNS = [f.name for f in fields(RunRecord) if f.name != "id"]


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class RunHistory:
    """Runs recorded in one SQLite file; safe from several threads and processes
    (each call opens its own connection)."""

    def __init__(self, data_dir: Path) -> None:
        self.path = Path(data_dir) / HISTORY_FILE
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connection() as conn:
            use_wal(conn, BUSY_TIMEOUT_S)
            conn.executescript(_SCHEMA)

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        with closing(sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S)) as conn, conn:
            yield conn

    def start(self, source: str, trigger: str, slot: str | None = None) -> RunRecord:
        """Record a run as running, now, by this process."""
        record = RunRecord(
            source, trigger, now(), host=socket.gethostname(), pid=os.getpid(), slot=slot
        )
        return self.add(record)

    def add(self, record: RunRecord) -> RunRecord:
        values = astuple(record)[:-1]
        with self._connection() as conn:
            cursor = conn.execute(
                f"INSERT INTO runs ({', '.join(_COLUMNS)}) "
                f"VALUES ({', '.join('?' for _ in _COLUMNS)})",
                values,
            )
        record.id = cursor.lastrowid
        return record

    def skipped(self, source: str, trigger: str, status: str, reason: str) -> RunRecord:
        """Record a run that did not happen, and why."""
        moment = now()
        record = RunRecord(
            source,
            trigger,
            moment,
            status=status,
            host=socket.gethostname(),
            pid=os.getpid(),
            finished_at=moment,
            errors=reason,
        )
        return self.add(record)

    def finish(self, record: RunRecord) -> None:
        """Store the record's outcome (its status, figures and errors)."""
        record.finished_at = record.finished_at or now()
        self.save(record)

    def save(self, record: RunRecord) -> None:
        """Store the record as it is now (e.g. its log file, while it runs)."""
        if record.id is None:
            raise ValueError("save needs a record returned by start")
        assignments = ", ".join(f"{name} = ?" for name in _COLUMNS)
        with self._connection() as conn:
            conn.execute(
                f"UPDATE runs SET {assignments} WHERE id = ?", (*astuple(record)[:-1], record.id)
            )

    def runs(self, source: str | None = None, limit: int = 20) -> list[RunRecord]:
        """The latest runs, newest first."""
        where, args = ("WHERE source = ?", [source]) if source else ("", [])
        with self._connection() as conn:
            rows = conn.execute(
                f"SELECT {', '.join(_COLUMNS)}, id FROM runs {where} ORDER BY id DESC LIMIT ?",
                [*args, limit],
            ).fetchall()
        return [_record(row) for row in rows]

    def running(self, source: str) -> RunRecord | None:
        """This host's run of `source` that is going on now, if any."""
        for record in self._running():
            if record.source == source and _alive(record.pid):
                return record
        return None

    def mark_interrupted(self) -> list[RunRecord]:
        """Runs of this host left "running" by a process that is gone: interrupted.
        Call it before this process starts runs: a record with its own pid is then
        from an earlier process that had the same pid (a container's pid 1)."""
        lost = [r for r in self._running() if r.pid == os.getpid() or not _alive(r.pid)]
        for record in lost:
            record.status = INTERRUPTED
            record.errors = (
                f"the scheduler (pid {record.pid}) stopped while this crawl ran; "
                "the next run picks up where it left off"
            )
            self.finish(record)
        return lost

    def _running(self) -> list[RunRecord]:
        with self._connection() as conn:
            rows = conn.execute(
                f"SELECT {', '.join(_COLUMNS)}, id FROM runs WHERE status = ? AND host = ?",
                (RUNNING, socket.gethostname()),
            ).fetchall()
        return [_record(row) for row in rows]


def _record(row: tuple[Any, ...]) -> RunRecord:
    return RunRecord(**dict(zip([*_COLUMNS, "id"], row, strict=True)))


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
