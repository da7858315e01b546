"""A crawl killed with SIGKILL half-way, then started again: it resumes, fetches
again only the listing pages whose listings were not stored, stores nothing twice,
and the run history says the first run was killed.

(A scheduler killed mid-run is tested in test_scheduler.py:
test_a_killed_scheduler_leaves_its_run_interrupted.)"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import time
from contextlib import closing
from pathlib import Path

from armswatch.demo import DemoSites
from armswatch.stores import SearchQuery
from tests.conftest import expected_ids, open_store, run_cli
from tests.test_crawl_lifecycle import start_slow_crawl


def stored_count(data_dir: Path) -> int:
    """Listings committed so far, read without the write lock that opening the store
    takes (a running crawl holds it most of the time)."""
    path = data_dir / "armswatch.sqlite3"
    if not path.exists():
        return 0
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)) as db:
        try:
            return db.execute("SELECT count(*) FROM listings").fetchone()[0]
        except sqlite3.OperationalError:  # the schema is not there yet
            return 0


def wait_for_stored(data_dir: Path, count: int, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while stored_count(data_dir) < count:
        if time.monotonic() > deadline:
            raise AssertionError(f"fewer than {count} listings after {timeout} s")
        time.sleep(0.2)


def kill_at(child: subprocess.Popen[bytes], data_dir: Path, stored: int) -> None:
    """SIGKILL the crawl (and its process group) once it has stored `stored` listings."""
    try:
        wait_for_stored(data_dir, stored)
    finally:
        os.killpg(child.pid, signal.SIGKILL)
        child.wait()


def runs_of(data_dir: Path, source: str) -> list[tuple[str, dict]]:
    """Every run of `source` in the store, oldest first: (status, stats)."""
    with closing(sqlite3.connect(data_dir / "armswatch.sqlite3")) as db:
        rows = db.execute(
            "SELECT status, stats FROM crawl_runs WHERE source = ? ORDER BY id", (source,)
        ).fetchall()
    return [(status, json.loads(stats)) for status, stats in rows]


def test_killed_crawl_resumes_without_fetching_or_storing_twice(
    fresh_sites: DemoSites, tmp_path: Path
) -> None:
    config, data_dir, child = start_slow_crawl(fresh_sites, tmp_path, start_new_session=True)
    kill_at(child, data_dir, 20)
    store = open_store(data_dir)
    stored_before = {listing.url for listing in store.search(SearchQuery(limit=10_000)).listings}
    store.close()
    expected = expected_ids(fresh_sites, "demo-classifieds")
    assert 20 <= len(stored_before) < len(expected)
    asked_before = len(fresh_sites.requests("classifieds"))

    resumed = run_cli("--config", config, "--data-dir", data_dir, "crawl", sites=fresh_sites)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr

    base = fresh_sites.urls["classifieds"]
    asked_again = {base + p for p in fresh_sites.requests("classifieds")[asked_before:]}
    assert not asked_again & stored_before  # no stored listing fetched again
    store = open_store(data_dir)
    stored = store.search(SearchQuery(limit=10_000)).listings
    assert sorted(listing.id for listing in stored) == sorted(expected)  # each once
    for listing in stored:
        assert [v.version for v in store.versions(listing.id)] == [1]
        # what was not stored before the kill was fetched in the second run
        assert listing.url in stored_before or listing.url in asked_again
    store.close()

    (killed, killed_stats), (finished, stats) = runs_of(data_dir, "demo-classifieds")
    assert killed == "killed" and "was killed" in killed_stats["armswatch/note"]
    assert finished == "finished"
    assert stats["armswatch/skipped_stored"] == len(stored_before)
    assert stats["armswatch/listings_new"] == len(expected) - len(stored_before)
    assert "armswatch/listings_unchanged" not in stats
    assert not (data_dir / "jobs" / "demo-classifieds").exists()
    with closing(sqlite3.connect(data_dir / "armswatch.sqlite3")) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_a_finished_crawl_after_a_resumed_one_fetches_everything_again(
    fresh_sites: DemoSites, tmp_path: Path
) -> None:
    """The skip applies to the run that resumes a killed crawl only: the next nightly
    run fetches every listing page again (to see changes)."""
    config, data_dir, child = start_slow_crawl(fresh_sites, tmp_path, start_new_session=True)
    kill_at(child, data_dir, 10)
    for _ in range(2):
        result = run_cli("--config", config, "--data-dir", data_dir, "crawl", sites=fresh_sites)
        assert result.returncode == 0, result.stdout + result.stderr
    statuses = [status for status, _ in runs_of(data_dir, "demo-classifieds")]
    assert statuses == ["killed", "finished", "finished"]
    last = runs_of(data_dir, "demo-classifieds")[-1][1]
    expected = expected_ids(fresh_sites, "demo-classifieds")
    assert "armswatch/skipped_stored" not in last
    assert last["armswatch/listings_unchanged"] == len(expected)
