"""Bad configuration and environment: missing or damaged model files, a data
directory that cannot be written, a full disk, selectors that match nothing. Each
through a real `armswatch crawl` of a real local site: a message that names what
to fix, a non-zero exit, and a store that is whole afterwards.

Tests run as root here, where chmod does not stop writes: a read-only data
directory is a read-only bind mount, and a full disk a small tmpfs (both need
root; as another user, `chmod` makes the directory read-only instead, and the
full-disk test needs root to mount).
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml

from armswatch.datadir import MIB, RESERVE_BYTES
from armswatch.stores.sqlite import SqliteStore
from tests.conftest import CONFIGURED_CLASSIFIER, REPO, audit_events, open_store, run_cli
from tests.hostile_server import HostileSite
from tests.listings import fill, make
from tests.test_crash_restart import wait_for_stored
from tests.test_crawl_lifecycle import write_config
from tests.test_hostile_sites import source

SEEDED = 3


@pytest.fixture(scope="module")
def site() -> Iterator[HostileSite]:
    with HostileSite() as served:
        yield served


def seed(data_dir: Path) -> None:
    """A store with listings of an earlier crawl, to check that it stays whole."""
    store = SqliteStore(data_dir / "armswatch.sqlite3")
    fill(store, *(make(f"seeded{n:028d}", title=f"Seeded listing {n}") for n in range(SEEDED)))
    store.close()


def assert_store_whole(data_dir: Path, listings: int = SEEDED) -> None:
    path = data_dir / "armswatch.sqlite3"
    with closing(sqlite3.connect(path)) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    store = open_store(data_dir)
    assert store.count() == listings
    store.close()


def crawl(config: Path, data_dir: Path, env: dict[str, str] | None = None) -> Any:
    return run_cli("--config", config, "--data-dir", data_dir, "crawl", env=env, timeout=300)


def with_model(config: Path, model: Path) -> None:
    """Configure the transformer classifier with `model` as its model directory."""
    path = config / "armswatch.yaml"
    settings = yaml.safe_load(path.read_text())
    settings["classifier"].update(kind="transformer", model=str(model))
    path.write_text(yaml.safe_dump(settings))


@pytest.mark.parametrize("damage", ["missing", "damaged"])
def test_missing_or_damaged_model_files(site: HostileSite, tmp_path: Path, damage: str) -> None:
    model = tmp_path / "model"
    if damage == "damaged":
        model.mkdir()
        (model / "model.json").write_text('{"version": "e5-v9", "head": [0.1,', encoding="utf-8")
    config = write_config(tmp_path, source("healthy", f"{site.url}/only/ok/1"))
    with_model(config, model)
    data_dir = tmp_path / "data"
    seed(data_dir)
    asked = len(site.paths())

    result = crawl(config, data_dir, env=CONFIGURED_CLASSIFIER)
    assert result.returncode == 2, result.stdout + result.stderr
    message = " ".join(result.stderr.split())
    if damage == "missing":  # found when the configuration is loaded
        assert f"armswatch.yaml: classifier.model: no model at '{model}'" in message
        assert "Fix the file(s) above" in message
    else:  # found when the model is loaded
        assert "the transformer classifier cannot be loaded" in message
        assert f"{model / 'model.json'} is damaged" in message and "armswatch train" in message
        assert "Check classifier.model" in message and "Nothing was crawled" in message
    assert len(site.paths()) == asked  # nothing fetched
    assert_store_whole(data_dir)
    store = open_store(data_dir)
    assert not store.last_runs()
    store.close()


@contextmanager
def read_only(directory: Path) -> Iterator[None]:
    """`directory` read-only: a read-only bind mount over it as root (whom chmod does
    not stop), else chmod."""
    if os.geteuid() != 0:
        directory.chmod(0o555)
        try:
            yield
        finally:
            directory.chmod(0o755)
        return
    subprocess.run(["mount", "--bind", directory, directory], check=True)
    try:
        subprocess.run(["mount", "-o", "remount,bind,ro", directory], check=True)
        yield
    finally:
        subprocess.run(["umount", "--lazy", directory], check=True)


def test_read_only_data_directory(site: HostileSite, tmp_path: Path) -> None:
    config = write_config(tmp_path, source("healthy", f"{site.url}/only/ok/1"))
    data_dir = tmp_path / "data"
    seed(data_dir)
    asked = len(site.paths())
    with read_only(data_dir):
        result = crawl(config, data_dir)
    assert result.returncode == 4, result.stdout + result.stderr
    message = " ".join(result.stderr.split())
    assert f"the data directory {data_dir} cannot be written" in message
    assert "Read-only file system" in message or "Permission denied" in message
    assert "point data_dir in armswatch.yaml (or --data-dir) at a writable directory" in message
    assert "Nothing was crawled" in message
    assert len(site.paths()) == asked
    assert_store_whole(data_dir)


def test_data_directory_that_is_a_file(site: HostileSite, tmp_path: Path) -> None:
    config = write_config(tmp_path, source("healthy", f"{site.url}/only/ok/1"))
    a_file = tmp_path / "data"
    a_file.write_text("not a directory")
    result = crawl(config, a_file / "armswatch")
    assert result.returncode == 4, result.stdout + result.stderr
    message = " ".join(result.stderr.split())
    assert f"the data directory {a_file / 'armswatch'} cannot be written" in message
    assert "Not a directory" in message and "Traceback" not in result.stderr
    assert a_file.read_text() == "not a directory"


@contextmanager
def small_disk(directory: Path, size_mib: int) -> Iterator[Path]:
    """A tmpfs of `size_mib` MiB mounted on `directory` (as root); detached at the end
    even if a process still has a file open on it."""
    directory.mkdir()
    subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size_mib}m", "tmpfs", directory], check=True
    )
    try:
        yield directory
    finally:
        subprocess.run(["umount", "--lazy", directory], check=True)


def fill_disk(directory: Path, leave: int) -> None:
    """Write a file that leaves `leave` bytes free on `directory`'s disk."""
    stat = os.statvfs(directory)
    with open(directory / "filler", "wb") as out:
        out.truncate(0)
        remaining = stat.f_bavail * stat.f_frsize - leave
        while remaining > 0:
            remaining -= out.write(b"\0" * min(MIB, remaining))


def test_full_disk_at_start(site: HostileSite, tmp_path: Path) -> None:
    config = write_config(tmp_path, source("healthy", f"{site.url}/only/ok/1"))
    with small_disk(tmp_path / "disk", RESERVE_BYTES // MIB + 8) as disk:
        data_dir = disk / "data"
        seed(data_dir)
        fill_disk(disk, RESERVE_BYTES // 2)
        asked = len(site.paths())
        result = crawl(config, data_dir)
        assert result.returncode == 4, result.stdout + result.stderr
        message = " ".join(result.stderr.split())
        assert f"free on the disk of the data directory {data_dir}" in message
        assert "free some space, or move data_dir, then crawl again" in message
        assert len(site.paths()) == asked
        assert_store_whole(data_dir)


def test_disk_filling_up_stops_the_crawl_whole(site: HostileSite, tmp_path: Path) -> None:
    """The disk fills while a crawl of an endless list runs: the crawl stops while it
    can still commit and record the run, and says why."""
    endless = source("pages", f"{site.url}/pages/0", caps={"max_pages": 10**6, "max_depth": 10**6})
    config = write_config(tmp_path, endless)
    with small_disk(tmp_path / "disk", RESERVE_BYTES // MIB + 16) as disk:
        data_dir = disk / "data"
        args = ["-m", "armswatch", "--config", config, "--data-dir", data_dir, "crawl"]
        child = subprocess.Popen(
            [sys.executable, *map(str, args)],
            cwd=REPO,
            env={**os.environ, "COLUMNS": "200"},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            wait_for_stored(data_dir, 5)
            fill_disk(disk, RESERVE_BYTES // 2)
            stdout, stderr = child.communicate(timeout=120)
        finally:
            if child.poll() is None:
                child.kill()
                child.wait()
        assert child.returncode == 1, stdout + stderr
        summary = " ".join(stdout.split())
        assert "failed (disk_full)" in summary
        assert "stopped: only" in summary and "free some space" in summary
        store = open_store(data_dir)
        run = store.last_runs()["pages"]
        store.close()
        assert run.status == "disk_full" and "free some space" in run.stats["armswatch/note"]
        stored = run.stats["armswatch/stored"]
        assert stored >= 5
        assert_store_whole(data_dir, stored)
        assert audit_events(data_dir, "pages")[-1]["event"] == "crawl_finished"


def test_selectors_that_match_nothing_are_reported(site: HostileSite, tmp_path: Path) -> None:
    no_links = source("no-links", f"{site.url}/pages/0")
    no_links["listings"]["links"] = "a.product-link::attr(href)"
    no_fields = source("no-fields", f"{site.url}/pages/0", caps={"max_pages": 20})
    no_fields["fields"] = {"title": "h1.product-title::text", "text": "div.text"}
    healthy = source("healthy", f"{site.url}/only/ok/1")
    config = write_config(tmp_path, no_links, no_fields, healthy)
    result = crawl(config, tmp_path / "data")
    assert result.returncode == 1, result.stdout + result.stderr
    summary = " ".join(result.stdout.split())
    store = open_store(tmp_path / "data")
    runs = store.last_runs()
    store.close()

    assert "no-links │ selectors match nothing" in summary
    note = "0 listings: the list pages have no links matching listings.links"
    assert f"no-links: {note}" in summary
    assert runs["no-links"].stats["armswatch/note"].startswith(note)

    assert "no-fields │ selectors match nothing" in summary
    assert "no-fields: fields.title matched nothing on the listing pages" in summary
    stats = runs["no-fields"].stats
    assert stats["armswatch/selectors_unmatched"] == "fields.title"
    assert stats["armswatch/listings_new"] >= 5  # kept, titled from the page itself

    assert "healthy │ ok" in summary
    assert runs["healthy"].stats["armswatch/listings_new"] == 1
