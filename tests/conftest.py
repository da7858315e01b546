"""Shared fixtures: demo sites on 127.0.0.1 and the `armswatch` CLI run as a
user runs it, in a child process (Scrapy's reactor cannot restart in-process)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from armswatch.config.loader import CLASSIFIER_ENV
from armswatch.config.models import ElasticsearchSettings
from armswatch.demo import DemoSites
from armswatch.listing import listing_id
from armswatch.stores import Store
from armswatch.stores.elastic import ElasticsearchStore
from armswatch.stores.sqlite import SqliteStore
from classifiers import e5convert
from classifiers.e5convert import ensure_encoder
from classifiers.encoder import Encoder
from tests.noida import NoidaServer

REPO = Path(__file__).resolve().parents[1]
DEMO_CONFIG = REPO / "config" / "demo"
TEST_CONFIG = REPO / "tests" / "config"
SITE_OF_SOURCE = {
    "demo-classifieds": "classifieds",
    "demo-forum": "forum",
    "demo-market": "market",
    "agora": "agora",
}


CONFIGURED_CLASSIFIER = {CLASSIFIER_ENV: ""}
"""`run_cli(..., env=CONFIGURED_CLASSIFIER)`: use the classifier the config names
(the shipped transformer model by default) instead of the session's rules."""


@pytest.fixture(scope="session", autouse=True)
def test_environment(cache_dir: Path) -> Iterator[None]:
    """Every test and child process: the encoder cache in the session's temporary
    directory (nothing written under ~), and the rule classifier, so that tests of
    crawling do not wait for the model; tests of the model ask for it."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(e5convert.CACHE_ENV, str(cache_dir))
        mp.setenv(CLASSIFIER_ENV, "rules")
        yield


def run_cli(
    *args: str | Path,
    sites: DemoSites | None = None,
    timeout: float = 300,
    env: dict[str, str] | None = None,
    input: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """`armswatch ARGS` in a child process, pointed at `sites` when given, with `input`
    as its standard input (none: an empty one)."""
    env = {**os.environ, "COLUMNS": "200", **(sites.env() if sites else {}), **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "armswatch", *map(str, args)],
        input=input or "",
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=timeout,
    )


def crawl(
    sites: DemoSites,
    data_dir: Path,
    *sources: str,
    config: Path = DEMO_CONFIG,
    extra: tuple = (),
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    return run_cli(
        "--config", config, "--data-dir", data_dir, "crawl", *sources, *extra, sites=sites, env=env
    )


def open_store(data_dir: Path) -> SqliteStore:
    return SqliteStore(data_dir / "armswatch.sqlite3")


def expected_url(sites: DemoSites, site: str, record: dict[str, Any]) -> str:
    """Where a ground-truth record is crawled from; forum posts hang off their
    thread's first-page URL, whatever page of the thread shows them."""
    path: str = record["path"]
    if site == "forum":
        page, fragment = path.split("#")
        path = f"{page.split('?')[0]}#{fragment}"
    return sites.urls[site] + path


def expected_ids(sites: DemoSites, source: str) -> dict[str, dict[str, Any]]:
    site = SITE_OF_SOURCE[source]
    return {listing_id(source, expected_url(sites, site, r)): r for r in sites.expected(site)}


def audit_events(data_dir: Path, source: str) -> list[dict[str, Any]]:
    events = []
    for path in sorted((data_dir / "audit" / source).glob("*.jsonl")):
        events += [json.loads(line) for line in path.read_text().splitlines()]
    return events


@pytest.fixture(scope="module")
def demo_sites() -> Iterator[DemoSites]:
    with DemoSites() as sites:
        yield sites


@pytest.fixture
def fresh_sites() -> Iterator[DemoSites]:
    """Sites of one's own, for tests that change them (editions) or read their logs."""
    with DemoSites() as sites:
        yield sites


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("models")


@pytest.fixture(scope="session")
def checkpoint(cache_dir: Path) -> Path:
    return ensure_encoder(cache_dir)


@pytest.fixture(scope="session")
def encoder(checkpoint: Path) -> Encoder:
    """The packaged default (location None), from the session's cache. Shared:
    never fine-tune it (load a fresh one from `checkpoint` for that)."""
    return Encoder.load()


# -- stores ---------------------------------------------------------------------

REAL_ES_ENV = "ARMSWATCH_ES_URL"
"""Set (with credentials in ARMSWATCH_ES_API_KEY or _USER/_PASSWORD) to run the
Elasticsearch tests against a real cluster as well."""


@pytest.fixture(scope="session")
def es_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An ES-API server (noida-db, pinned in the test dependencies) on a free port."""
    with NoidaServer(tmp_path_factory.mktemp("noida")) as url:
        yield url


@pytest.fixture(params=["sqlite", "elasticsearch", "elasticsearch-real"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """Each store behind the one interface: SQLite, Elasticsearch (noida-db), and a
    real Elasticsearch cluster when ARMSWATCH_ES_URL is set."""
    if request.param == "sqlite":
        opened: Store = SqliteStore(tmp_path / "data" / "armswatch.sqlite3")
        yield opened
        opened.close()
        return
    elastic = elastic_store(request, tmp_path)
    yield elastic
    elastic.close()
    elastic.delete_indices()


def elastic_store(request: pytest.FixtureRequest, tmp_path: Path) -> ElasticsearchStore:
    """A store on indices of its own (a fresh prefix), with its outbox in tmp_path."""
    if request.param == "elasticsearch-real":
        if not os.environ.get(REAL_ES_ENV):
            pytest.skip(f"no real cluster: set {REAL_ES_ENV} to run against one")
        url = os.environ[REAL_ES_ENV]
    else:
        url = request.getfixturevalue("es_server")
    settings = es_settings(url, prefix=f"t{uuid.uuid4().hex[:12]}")
    store = ElasticsearchStore(settings, tmp_path / "data" / "es-outbox.sqlite3")
    store.init()
    return store


def es_settings(url: str, prefix: str) -> ElasticsearchSettings:
    """Test indices: one shard, no replica (a single node), a short timeout."""
    return ElasticsearchSettings(
        url=[url], index_prefix=prefix, shards=1, replicas=0, timeout=10, retries=1
    )


@dataclass
class CliStore:
    """A store that `armswatch` commands open from the environment (`env`), and that
    a test opens directly to fill or inspect."""

    kind: str
    data_dir: Path
    env: dict[str, str]
    url: str = ""

    def open(self) -> Store:
        if self.kind == "sqlite":
            return SqliteStore(self.data_dir / "armswatch.sqlite3")
        settings = es_settings(self.url, prefix="armswatch")  # the configured default
        return ElasticsearchStore(settings, self.data_dir.parent / "test-outbox.sqlite3")


@contextmanager
def cli_store(kind: str, directory: Path) -> Iterator[CliStore]:
    """SQLite under `directory`, or an Elasticsearch server of its own (the commands
    use the configured index prefix, so each gets a server)."""
    data_dir = directory / "data"
    if kind == "sqlite":
        yield CliStore(kind, data_dir, {"ARMSWATCH_STORE": "sqlite"})
        return
    with NoidaServer(directory / "noida") as url:
        env = {"ARMSWATCH_STORE": "elasticsearch", "ARMSWATCH_ES_URL": url}
        yield CliStore(kind, data_dir, env, url)


CLI_STORES = ["sqlite", "elasticsearch"]
