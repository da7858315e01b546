"""Several connections opening one new SQLite file at once (crawl workers, the web
app's threads): every one of them opens it, in WAL mode."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from armswatch.stores.sqlite import SqliteStore
from armswatch.workspace import Workspace

Opener = Callable[[Path], SqliteStore | Workspace]
OPENERS: dict[str, Opener] = {"store": SqliteStore, "workspace": Workspace.open}


def race(opener: Opener, path: Path, threads: int) -> list[BaseException]:
    """Open `path` from `threads` threads released at the same moment; their failures."""
    start = threading.Barrier(threads)
    failures: list[BaseException] = []

    def open_once() -> None:
        try:
            start.wait()
            opener(path).close()
        except BaseException as exc:
            failures.append(exc)

    workers = [threading.Thread(target=open_once) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return failures


@pytest.mark.parametrize("kind", sorted(OPENERS))
def test_connections_racing_to_create_a_file_all_open_it(kind: str, tmp_path: Path) -> None:
    # Without the retry in armswatch/sqlite_wal.py, about one race in five failed
    # with "database is locked".
    for trial in range(20):
        path = tmp_path / f"{trial}.sqlite3"
        assert race(OPENERS[kind], path, threads=4) == [], trial
        conn = sqlite3.connect(path)
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        conn.close()
