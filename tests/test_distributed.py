"""Distributed crawling: worker processes sharing one frontier in a real redis-server
on 127.0.0.1 crawl a demo site together, fetch no page twice, store every listing
once, and lose nothing when one of them is killed."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis

from armswatch.demo import DemoSites
from crawlers.distributed.frontier import Frontier, connect, utc_now
from tests.conftest import DEMO_CONFIG, REPO, TEST_CONFIG, expected_ids, open_store, run_cli

SOURCE = "demo-classifieds"
WORKER_TIMEOUT = 10
"""Seconds without a heartbeat after which a worker's requests go back to the queue."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    """A redis-server of the test's own on a free port, keeping nothing on disk."""
    port = free_port()
    server = subprocess.Popen(
        [
            *(shutil.which("redis-server") or "redis-server", "--port", str(port)),
            *("--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(tmp_path)),
        ],
        stdout=subprocess.DEVNULL,
    )
    client = redis.Redis(port=port)
    deadline = time.monotonic() + 30
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            if time.monotonic() > deadline or server.poll() is not None:
                server.kill()
                raise
            time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}/0"
    client.close()
    server.terminate()
    server.wait(timeout=10)


@pytest.fixture
def config_dir(tmp_path: Path, redis_url: str) -> Path:
    """The demo classifieds source, slowed down (one request at a time, 0.2 s apart)
    so that workers overlap, with the shared frontier set in armswatch.yaml."""
    directory = tmp_path / "config"
    (directory / "sources").mkdir(parents=True)
    settings = (TEST_CONFIG / "armswatch.yaml").read_text()
    settings = settings.replace("../../config/watchlist.yaml", str(REPO / "config/watchlist.yaml"))
    settings += f"\ndistributed:\n  redis_url: {redis_url}\n  worker_timeout: {WORKER_TIMEOUT}\n"
    (directory / "armswatch.yaml").write_text(settings)
    source = (DEMO_CONFIG / "sources" / f"{SOURCE}.yaml").read_text()
    source += "\nrate_limit: {delay: 0.2, concurrency_per_domain: 1}\n"
    (directory / "sources" / f"{SOURCE}.yaml").write_text(source)
    return directory


StartWorker = Callable[..., "subprocess.Popen[str]"]


@pytest.fixture
def start_worker(fresh_sites: DemoSites, config_dir: Path, tmp_path: Path) -> Iterator[StartWorker]:
    """Starts `armswatch crawl SOURCE` as a worker process (with the frontier from the
    config, or `--distributed URL` given as extra arguments) into the test's data
    directory; any still running at the end are killed."""
    started: list[subprocess.Popen[str]] = []
    env = {**os.environ, "COLUMNS": "200", **fresh_sites.env()}
    command = ["--config", str(config_dir), "--data-dir", str(tmp_path / "data")]

    def start(*extra: str) -> subprocess.Popen[str]:
        worker = subprocess.Popen(
            [sys.executable, "-m", "armswatch", *command, "crawl", SOURCE, *extra],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
            cwd=REPO,
        )
        started.append(worker)
        return worker

    yield start
    for worker in started:
        if worker.poll() is None:
            worker.kill()
            worker.communicate()


def finish(worker: subprocess.Popen[str]) -> str:
    output, _ = worker.communicate(timeout=300)
    assert worker.returncode == 0, output
    return output


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 600) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.1)


def pages_fetched(sites: DemoSites) -> list[str]:
    """The paths the site served, robots.txt aside (each worker reads it once)."""
    return [path for path in sites.requests("classifieds") if path != "/robots.txt"]


def heartbeats(redis_url: str) -> int:
    """How many workers of SOURCE are alive, as Redis has it."""
    client = redis.Redis.from_url(redis_url)
    count = len(client.keys(f"armswatch:{SOURCE}:worker:*"))
    client.close()
    return count


def workers_seen(config_dir: Path) -> list[dict]:
    result = run_cli("--config", config_dir, "workers", "--json")
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    return [line for line in lines if line["kind"] == "worker"]


def crawl_stats(data_dir: Path) -> list[dict]:
    """The final stats of each worker's crawl (one audit file per worker)."""
    stats = []
    for path in sorted((data_dir / "audit" / SOURCE).glob("*.jsonl")):
        events = [json.loads(line) for line in path.read_text().splitlines()]
        stats += [e["stats"] for e in events if e["event"] == "crawl_finished"]
    return stats


@pytest.mark.slow
def test_two_workers_share_one_frontier(
    fresh_sites: DemoSites,
    config_dir: Path,
    redis_url: str,
    start_worker: StartWorker,
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "data"
    first = start_worker()  # frontier from armswatch.yaml
    second = start_worker("--distributed", redis_url)
    wait_for(lambda: heartbeats(redis_url) == 2, "both workers' heartbeats")
    seen = workers_seen(config_dir)
    assert {w["pid"] for w in seen} == {first.pid, second.pid}
    assert {w["source"] for w in seen} == {SOURCE}
    finish(first), finish(second)

    fetched = Counter(pages_fetched(fresh_sites))
    assert [path for path, times in fetched.items() if times > 1] == []
    stats = crawl_stats(data_dir)
    assert len(stats) == 2
    assert all(s.get("response_received_count", 0) > 0 for s in stats), "both took part"
    expected = expected_ids(fresh_sites, SOURCE)
    assert sum(s.get("armswatch/listings_new", 0) for s in stats) == len(expected)
    assert sum(s.get("armswatch/listings_unchanged", 0) for s in stats) == 0
    store = open_store(data_dir)
    assert store.count() == len(expected)
    assert set(store.get_many(expected)) == set(expected)
    store.close()
    # The finished run leaves nothing behind: the next crawl starts afresh.
    assert redis.Redis.from_url(redis_url).keys("armswatch:*") == []


@pytest.mark.slow
def test_a_killed_worker_loses_no_page(
    fresh_sites: DemoSites,
    config_dir: Path,
    redis_url: str,
    start_worker: StartWorker,
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "data"
    survivor = start_worker()
    victim = start_worker()
    wait_for(lambda: heartbeats(redis_url) == 2, "both workers' heartbeats")
    third = len(fresh_sites.expected("classifieds")) // 3
    wait_for(lambda: len(pages_fetched(fresh_sites)) >= third, "a third of the site fetched")
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=30)
    finish(survivor)

    expected = expected_ids(fresh_sites, SOURCE)
    store = open_store(data_dir)
    assert set(store.get_many(expected)) == set(expected)
    assert store.count() == len(expected)
    store.close()
    # Only what the killed worker held (fetching, or stored but not committed) was
    # fetched again, by the survivor once the victim's heartbeat had expired.
    (stats,) = crawl_stats(data_dir)  # the killed worker wrote no final stats
    fetched = Counter(pages_fetched(fresh_sites))
    again = sum(times - 1 for times in fetched.values())
    assert again <= stats.get("armswatch/frontier_requeued", 0)
    assert heartbeats(redis_url) == 0
    assert redis.Redis.from_url(redis_url).keys("armswatch:*") == []


@pytest.mark.slow
def test_a_restarted_worker_finishes_the_run_of_a_killed_one(
    fresh_sites: DemoSites,
    config_dir: Path,
    redis_url: str,
    start_worker: StartWorker,
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "data"
    victim = start_worker()
    wait_for(lambda: len(pages_fetched(fresh_sites)) >= 40, "the worker to be mid-crawl")
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=30)
    listed = run_cli("--config", config_dir, "workers", "--json").stdout.splitlines()
    (depth,) = [line for line in map(json.loads, listed) if line["kind"] == "source"]
    assert depth["source"] == SOURCE and depth["run"] is not None
    assert depth["queued"] + depth["in_flight"] > 0
    wait_for(lambda: heartbeats(redis_url) == 0, "the killed worker's heartbeat to expire")
    table = run_cli("--config", config_dir, "workers").stdout
    row = [depth["run"], depth["queued"], depth["in_flight"], depth["seen"], 0]
    assert re.search(r"\s*│\s*".join(map(str, [SOURCE, *row])), table), table
    assert "no workers seen recently" in table

    finish(start_worker("--distributed", redis_url))
    expected = expected_ids(fresh_sites, SOURCE)
    store = open_store(data_dir)
    assert set(store.get_many(expected)) == set(expected)
    store.close()
    assert redis.Redis.from_url(redis_url).keys("armswatch:*") == []


def test_a_dead_workers_requests_go_back_to_the_queue(redis_url: str) -> None:
    client = connect(redis_url)
    alive, dead = Frontier(client, SOURCE, "alive"), Frontier(client, SOURCE, "dead")
    assert alive.join() == dead.join()
    client.zadd(alive.key("requests"), {b"first": 0, b"second": 1})
    alive.beat(utc_now(), 30)
    dead.beat(utc_now(), 0.2)
    assert dead.take() == ("1", b"first")
    assert not alive.finish(), "a request is in flight"
    wait_for(lambda: alive.release_dead() == 1, "the dead worker's heartbeat to expire")
    assert alive.take() == ("2", b"first")  # back with its priority, ahead of "second"
    assert alive.take() == ("3", b"second")
    assert alive.take() is None
    assert not alive.finish()
    alive.done("2", "3")
    assert alive.finish()
    alive.leave()
    assert client.keys("armswatch:*") == []


def test_unreachable_redis_is_a_clear_error(fresh_sites: DemoSites, tmp_path: Path) -> None:
    url = f"redis://127.0.0.1:{free_port()}/0"
    crawl = run_cli(
        "--config",
        DEMO_CONFIG,
        "--data-dir",
        tmp_path,
        "crawl",
        SOURCE,
        "--distributed",
        url,
        sites=fresh_sites,
    )
    assert crawl.returncode == 4
    assert f"cannot reach Redis at {url}" in crawl.stderr
    assert "start redis-server" in crawl.stderr and "Nothing was crawled" in crawl.stderr
    assert pages_fetched(fresh_sites) == []
    workers = run_cli("--config", DEMO_CONFIG, "workers", "--redis", url)
    assert workers.returncode == 4
    assert f"cannot reach Redis at {url}" in workers.stderr
    unset = run_cli("--config", DEMO_CONFIG, "workers")
    assert unset.returncode == 2
    assert "--redis" in unset.stderr and "distributed.redis_url" in unset.stderr
    bad = run_cli("--config", DEMO_CONFIG, "crawl", "--distributed", "127.0.0.1:6379")
    assert bad.returncode == 2
    assert "redis://HOST:PORT/DB" in bad.stderr
