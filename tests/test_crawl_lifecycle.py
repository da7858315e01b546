"""Crawls over time and under trouble: re-crawls, changed sites, caps, robots
policy, unreachable sites, a killed crawl, a broken store, and the demo."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import yaml

from armswatch.demo import PRIVATE_PREFIX, DemoSites
from armswatch.listing import listing_id
from armswatch.stores import SearchQuery
from classifiers.model import DEFAULT_MODEL
from tests.conftest import (
    CONFIGURED_CLASSIFIER,
    DEMO_CONFIG,
    REPO,
    TEST_CONFIG,
    audit_events,
    crawl,
    expected_ids,
    open_store,
    run_cli,
)


def last_stats(data_dir: Path, source: str) -> dict:
    finished = [e for e in audit_events(data_dir, source) if e["event"] == "crawl_finished"]
    return finished[-1]["stats"]


def test_recrawl_is_incremental_and_versions_changes(
    fresh_sites: DemoSites, tmp_path: Path
) -> None:
    sources = ("demo-classifieds", "demo-market")
    first = crawl(fresh_sites, tmp_path, *sources)
    assert first.returncode == 0, first.stderr
    store = open_store(tmp_path)
    count = store.count()
    before = {i: store.get(i) for s in sources for i in expected_ids(fresh_sites, s)}
    store.close()

    again = crawl(fresh_sites, tmp_path, *sources)
    assert again.returncode == 0, again.stderr
    store = open_store(tmp_path)
    assert store.count() == count  # no duplicates
    for source in sources:
        stats = last_stats(tmp_path, source)
        assert stats.get("armswatch/listings_new", 0) == 0
        assert stats.get("armswatch/listings_changed", 0) == 0
        assert stats["armswatch/listings_unchanged"] == len(expected_ids(fresh_sites, source))
        assert "armswatch/classified" not in stats  # unchanged listings are not re-classified
    for listing_id_, old in before.items():
        now = store.get(listing_id_)
        assert now is not None and old is not None
        assert now.first_seen == old.first_seen and now.last_seen >= old.last_seen
        assert now.version == 1
    store.close()

    fresh_sites.set_edition(2)
    third = crawl(fresh_sites, tmp_path, *sources)
    assert third.returncode == 0, third.stderr
    store = open_store(tmp_path)
    assert store.count() == count + 2  # two new listings; the removed one is kept
    changed_ids = {"cl-0002", "cl-0126", "cl-0125", "mk-0049", "mk-0020"}
    for source in sources:
        for lid, record in expected_ids(fresh_sites, source).items():
            listing = store.get(lid)
            assert listing is not None
            if record["id"] in changed_ids:
                versions = store.versions(lid)
                assert [v.version for v in versions] == [1, 2]
                assert listing.version == 2
                assert versions[-1].price == record["price"]
                old = before[lid]
                assert old is not None
                assert (versions[0].price, versions[0].content_sha256) == (
                    old.price,
                    old.content_sha256,
                )
                assert listing.classifier_version  # re-classified
            elif record["id"] in {"cl-0212", "mk-0062"}:
                assert listing.version == 1 and listing.first_seen == listing.last_seen
            else:
                assert listing.version == 1
    assert last_stats(tmp_path, "demo-market")["armswatch/listings_changed"] == 2
    gone = listing_id("demo-market", fresh_sites.urls["market"] + "/product/mk-0002")
    kept = store.get(gone)
    assert kept is not None and kept.last_seen < store.get(next(iter(before))).last_seen
    store.close()


def test_caps_stop_a_crawler_trap(fresh_sites: DemoSites, tmp_path: Path) -> None:
    result = crawl(fresh_sites, tmp_path, "demo-forum-trap", config=TEST_CONFIG)
    assert result.returncode == 0, result.stderr
    calendar = [p for p in fresh_sites.requests("forum") if p.startswith("/calendar/")]
    assert 0 < len(calendar) <= 120
    stats = last_stats(tmp_path, "demo-forum-trap")
    assert stats["response_received_count"] <= 120 + 8  # cap, plus requests already in flight
    assert stats.get("request_depth_max", 0) <= 8


def test_max_pages_option(fresh_sites: DemoSites, tmp_path: Path) -> None:
    result = crawl(fresh_sites, tmp_path, "demo-classifieds", extra=("--max-pages", "5"))
    assert result.returncode == 0, result.stderr
    assert "stopped at page cap" in result.stdout
    stats = last_stats(tmp_path, "demo-classifieds")
    # The cap stops scheduling; requests already in flight (concurrency 8) still land.
    assert stats["response_received_count"] <= 5 + 8 + 8
    assert not (tmp_path / "jobs" / "demo-classifieds").exists()  # a finished crawl starts afresh


def test_robots_ignored_only_with_justification(fresh_sites: DemoSites, tmp_path: Path) -> None:
    result = crawl(fresh_sites, tmp_path, "demo-classifieds-norobots", config=TEST_CONFIG)
    assert result.returncode == 0, result.stderr
    assert [p for p in fresh_sites.requests("classifieds") if p.startswith(PRIVATE_PREFIX)]
    started = audit_events(tmp_path, "demo-classifieds-norobots")[0]
    assert started["robots_obeyed"] is False
    assert "Test fixture" in started["robots_justification"]


def test_source_without_field_selectors_uses_structured_data(
    fresh_sites: DemoSites, tmp_path: Path
) -> None:
    result = crawl(fresh_sites, tmp_path, "demo-classifieds-semantic", config=TEST_CONFIG)
    assert result.returncode == 0, result.stderr
    outdoor = [r for r in fresh_sites.expected("classifieds") if r["category"] == "outdoor"]
    assert outdoor
    store = open_store(tmp_path)
    for record in outdoor:
        url = fresh_sites.urls["classifieds"] + record["path"]
        listing = store.get(listing_id("demo-classifieds-semantic", url))
        assert listing is not None, url
        assert listing.title == record["title"]
        assert listing.price == record["price"] and listing.currency == record["currency"]
        assert record["text"][:40] in listing.text


def write_config(
    tmp_path: Path, source: dict, *more_sources: dict, **crawl_overrides: object
) -> Path:
    config = tmp_path / "config"
    (config / "sources").mkdir(parents=True)
    settings = yaml.safe_load((DEMO_CONFIG / "armswatch.yaml").read_text())
    settings["classifier"]["watchlist"] = str(REPO / "config" / "watchlist.yaml")
    settings["crawl"].update(crawl_overrides)
    (config / "armswatch.yaml").write_text(yaml.safe_dump(settings))
    for each in (source, *more_sources):
        (config / "sources" / f"{each['name']}.yaml").write_text(yaml.safe_dump(each))
    return config


def demo_source(file_name: str, **changes: object) -> dict:
    source = yaml.safe_load((DEMO_CONFIG / "sources" / f"{file_name}.yaml").read_text())
    source.update(changes)
    return source


def test_unreachable_site_is_reported(tmp_path: Path) -> None:
    source = demo_source("demo-market", name="gone", start_urls=["http://127.0.0.1:9/"])
    config = write_config(tmp_path, source, retries=0, timeout=3)
    result = run_cli("--config", config, "--data-dir", tmp_path / "data", "crawl")
    assert result.returncode == 1
    assert "unreachable" in result.stdout
    failed = [e for e in audit_events(tmp_path / "data", "gone") if e["event"] == "fetch_failed"]
    assert failed and "127.0.0.1:9" in failed[0]["url"]


def test_unknown_source_and_no_sources(tmp_path: Path) -> None:
    result = run_cli("--config", DEMO_CONFIG, "--data-dir", tmp_path, "crawl", "nosuch")
    assert result.returncode == 2 and "unknown source" in result.stderr
    assert "demo-forum" in result.stderr
    config = write_config(tmp_path, demo_source("demo-market", enabled=False))
    result = run_cli("--config", config, "--data-dir", tmp_path, "crawl")
    assert result.returncode == 2 and "no enabled sources" in result.stderr


def start_slow_crawl(
    sites: DemoSites, tmp_path: Path, start_new_session: bool = False
) -> tuple[Path, Path, subprocess.Popen[bytes]]:
    """A crawl of demo-classifieds slowed down enough to be stopped half-way."""
    source = demo_source("demo-classifieds")
    source["rate_limit"] = {"delay": 0.05, "concurrency_per_domain": 1}
    config = write_config(tmp_path, source)
    data_dir = tmp_path / "data"
    args = [
        sys.executable,
        "-m",
        "armswatch",
        "--config",
        str(config),
        "--data-dir",
        str(data_dir),
        "crawl",
    ]
    child = subprocess.Popen(
        args,
        env={**os.environ, **sites.env()},
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=start_new_session,
    )
    return config, data_dir, child


def wait_for_listings(data_dir: Path, count: int, timeout: float = 60) -> None:
    """Until the crawl has committed `count` listings."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if (data_dir / "armswatch.sqlite3").exists():
            store = open_store(data_dir)
            committed = store.count()
            store.close()
            if committed >= count:
                return
        time.sleep(0.2)
    raise AssertionError(f"fewer than {count} listings after {timeout} s")


def test_killed_crawl_starts_over_and_loses_nothing(fresh_sites: DemoSites, tmp_path: Path) -> None:
    config, data_dir, child = start_slow_crawl(fresh_sites, tmp_path, start_new_session=True)
    try:
        wait_for_listings(data_dir, 20)
        os.killpg(child.pid, signal.SIGKILL)
    finally:
        child.wait(timeout=30)
    partial = open_store(data_dir).count()
    expected = expected_ids(fresh_sites, "demo-classifieds")
    assert 20 <= partial < len(expected)
    assert (data_dir / "jobs" / "demo-classifieds" / "armswatch-running").exists()

    resumed = run_cli("--config", config, "--data-dir", data_dir, "crawl", sites=fresh_sites)
    assert resumed.returncode == 0, resumed.stderr
    store = open_store(data_dir)
    stored = store.search(SearchQuery(limit=10_000)).listings
    assert {listing.id for listing in stored} == set(expected)
    log = "".join(p.read_text() for p in (data_dir / "logs").glob("*.log"))
    assert "was killed; starting it over" in log


def test_broken_store_is_explained(tmp_path: Path) -> None:
    (tmp_path / "armswatch.sqlite3").write_bytes(b"this is not a database" * 100)
    result = run_cli("--config", DEMO_CONFIG, "--data-dir", tmp_path, "search", "glock")
    assert result.returncode == 4
    assert "armswatch.sqlite3" in result.stderr and "move it aside" in result.stderr
    crawled = run_cli("--config", DEMO_CONFIG, "--data-dir", tmp_path, "crawl", "demo-market")
    assert crawled.returncode == 4 and "Nothing was crawled" in crawled.stderr


def test_demo_command_end_to_end(tmp_path: Path) -> None:
    """What a new user runs first: the demo with the shipped model, then the search
    the README suggests."""
    data_dir = tmp_path / "demo"
    result = run_cli("demo", "--data-dir", data_dir, env=CONFIGURED_CLASSIFIER)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "flagged:" in result.stdout and "next, try" in result.stdout
    found = run_cli("--data-dir", data_dir, "search", "fgc", "--label", "blueprints", "--json")
    assert found.returncode == 0, found.stderr
    rows = [json.loads(line) for line in found.stdout.splitlines()]
    assert rows and all("blueprints" in r["labels"] for r in rows)
    assert {r["source"] for r in rows} >= {"demo-classifieds", "demo-forum"}
    assert all(r["classifier_version"].startswith(f"{DEFAULT_MODEL}+") for r in rows)


def test_interrupted_crawl_resumes_where_it_stopped(fresh_sites: DemoSites, tmp_path: Path) -> None:
    """Ctrl-C stops gracefully and keeps Scrapy's job state; the next run resumes it
    (pages already fetched are not fetched again) and ends with every listing once."""
    config, data_dir, child = start_slow_crawl(fresh_sites, tmp_path)
    try:
        wait_for_listings(data_dir, 20)
        child.send_signal(signal.SIGINT)
        assert child.wait(timeout=60) == 1  # incomplete: it says so to scripts
    finally:
        if child.poll() is None:
            child.kill()
    job = data_dir / "jobs" / "demo-classifieds"
    assert job.exists() and not (job / "armswatch-running").exists()
    assert open_store(data_dir).last_runs()["demo-classifieds"].status == "shutdown"
    first_pages = set(fresh_sites.requests("classifieds"))

    resumed = run_cli("--config", config, "--data-dir", data_dir, "crawl", sites=fresh_sites)
    assert resumed.returncode == 0, resumed.stderr
    expected = expected_ids(fresh_sites, "demo-classifieds")
    stored = open_store(data_dir).search(SearchQuery(limit=10_000)).listings
    assert {listing.id for listing in stored} == set(expected)
    refetched = [
        p
        for p in fresh_sites.requests("classifieds")[len(first_pages) :]
        if p.startswith("/l/") and p in first_pages
    ]
    assert not refetched
    assert not job.exists()
