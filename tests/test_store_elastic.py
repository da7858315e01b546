"""The Elasticsearch store's own promises, against a real ES-API server (noida-db):
nothing lost while the cluster is down or slow, nothing written twice, refused
documents kept with their reason, rebuilds without loss, and the `index` commands.
(The behaviour it shares with SQLite is tested on both stores in test_store_records.py
and test_store_search.py; `index check` failures in test_index_check.py.)"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from armswatch.config.models import ElasticsearchSettings
from armswatch.stores import Review, SearchQuery, StoreUnavailable
from armswatch.stores.elastic import ElasticsearchStore
from tests.conftest import crawl, es_settings, run_cli
from tests.listings import T1, T2, fill, ids, make
from tests.noida import NoidaServer, SlowProxy, free_port


@pytest.fixture
def server(tmp_path: Path) -> Iterator[NoidaServer]:
    """A server of this test's own, which the test may stop and start."""
    server = NoidaServer(tmp_path / "noida")
    server.start()
    yield server
    server.stop()


def open_es(url: str, outbox: Path, prefix: str = "aw", **overrides: Any) -> ElasticsearchStore:
    settings = es_settings(url, prefix)
    if overrides:
        settings = ElasticsearchSettings(**{**settings.model_dump(), **overrides})
    return ElasticsearchStore(settings, outbox)


@pytest.fixture
def es(server: NoidaServer, tmp_path: Path) -> Iterator[ElasticsearchStore]:
    store = open_es(server.url, tmp_path / "outbox.sqlite3")
    store.init()
    yield store
    store.close()


def indexed_ids(store: ElasticsearchStore) -> list[str]:
    """Every document id in the listings alias (duplicates would show twice)."""
    store.client.indices.refresh(index=store.names.listings)
    hits = store.client.search(index=store.names.listings, size=1000, source=False)
    return sorted(hit["_id"] for hit in hits["hits"]["hits"])


# -- the outbox -------------------------------------------------------------------


def test_writes_wait_while_the_cluster_is_down_and_arrive_once_in_order(
    server: NoidaServer, es: ElasticsearchStore, tmp_path: Path
) -> None:
    fill(es, make("a1", title="Glock 19", price=500.0), make("b2", title="AR lower"))
    server.stop()

    fill(es, make("c3", title="Primers 1000", last_seen=T1))
    cheaper = make("a1", title="Glock 19", price=450.0, last_seen=T1, change="changed")
    es.write(cheaper)
    es.commit()

    assert es.outbox.depth().pending == 2
    with pytest.raises(StoreUnavailable, match="cannot be reached"):
        es.get("c3")
    es.close()  # the crawl ends while the cluster is still down: the outbox stays

    server.start()
    again = open_es(server.url, tmp_path / "outbox.sqlite3")
    report = again.drain(force=True)

    assert (report.sent, report.remaining, report.failed) == (2, 0, [])
    assert indexed_ids(again) == ["a1", "b2", "c3"]
    assert [(v.version, v.price) for v in again.versions("a1")] == [(1, 500.0), (2, 450.0)]
    stored = again.get("a1")
    assert stored is not None and stored.first_seen != stored.last_seen == T1
    again.close()


def test_reads_see_writes_still_in_the_outbox(server: NoidaServer, es: ElasticsearchStore) -> None:
    fill(es, make("a1", title="Stock"))
    server.stop()
    es.write(make("a1", title="Stock, folding", last_seen=T1, change="changed"))
    es.commit()
    server.start()
    es._down_until = 0.0  # as after the back-off

    # The dedupe step compares with what the cluster will hold once the outbox is sent.
    assert es.outbox.depth().pending == 1
    stored = es.get("a1")
    assert stored is not None and (stored.title, stored.version) == ("Stock, folding", 2)


def test_an_operation_sent_twice_is_applied_once(es: ElasticsearchStore) -> None:
    first = make("a1", title="Suppressor", price=300.0)
    changed = make("a1", title="Suppressor", price=280.0, last_seen=T1, change="changed")
    fill(es, first, changed)
    # A crash between the cluster's answer and the outbox's bookkeeping: both again.
    for listing in (first, changed):
        es.outbox.add("listing", listing.id, listing.to_record())
    es.outbox.commit()

    report = es.drain()

    assert report.remaining == 0
    assert [v.price for v in es.versions("a1")] == [300.0, 280.0]
    assert indexed_ids(es) == ["a1"]


def test_two_crawlers_feeding_one_index_keep_every_version(
    server: NoidaServer, es: ElasticsearchStore, tmp_path: Path
) -> None:
    other = open_es(server.url, tmp_path / "other-outbox.sqlite3")
    fill(es, make("a1", title="Barrel 9mm", price=100.0))
    fill(other, make("a1", title="Barrel 9mm", price=90.0, last_seen=T1, change="changed"))
    fill(es, make("a1", title="Barrel 9mm", price=80.0, last_seen=T2, change="changed"))

    assert [(v.version, v.price) for v in es.versions("a1")] == [(1, 100.0), (2, 90.0), (3, 80.0)]
    other.close()


def test_a_document_the_cluster_refuses_is_kept_and_the_rest_indexed(
    es: ElasticsearchStore,
) -> None:
    bad = make("b2", title="Trigger group", scores={"grenade": 0.9})  # no such label field

    for listing in (make("a1", title="Slide"), bad, make("c3", title="Frame")):
        es.write(listing)
    es.outbox.commit()
    report = es.drain()

    assert indexed_ids(es) == ["a1", "c3"]
    assert len(report.failed) == 1 and report.failed[0].startswith("b2: ")
    assert "grenade" in report.failed[0]
    (kept,) = es.outbox.failed()
    assert (kept.key, kept.body["title"]) == ("b2", "Trigger group")
    assert es.outbox.depth().pending == 0


def test_a_cluster_too_slow_to_answer_loses_nothing(server: NoidaServer, tmp_path: Path) -> None:
    proxy = SlowProxy(server.port)
    store = open_es(proxy.url, tmp_path / "outbox.sqlite3", timeout=1)
    store.init()
    proxy.delay = 2.0

    fill(store, make("a1", title="Ammo 9mm 50 rds"))

    assert store.outbox.depth().pending == 1
    with pytest.raises(StoreUnavailable, match="did not answer within 1 s"):
        store.search(SearchQuery(text="ammo"))
    proxy.delay = 0.0
    assert store.drain(force=True).remaining == 0
    assert [listing.id for listing in store.search(SearchQuery(text="ammo")).listings] == ["a1"]
    store.close()
    proxy.close()


# -- rebuilding -------------------------------------------------------------------


def test_rebuild_swaps_the_alias_without_losing_writes_made_meanwhile(
    server: NoidaServer, es: ElasticsearchStore, tmp_path: Path
) -> None:
    fill(es, *(make(f"id{n}", title=f"Listing {n}") for n in range(30)))
    crawler = open_es(server.url, tmp_path / "crawler-outbox.sqlite3")
    written = []

    def rescore(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if not written:  # a crawl writes while the copy runs
            fill(crawler, make("late", title="Written during the rebuild"))
            written.append("late")
        return [{**doc, "classifier_version": "v2"} for doc in docs]

    report = es.layout.rebuild(rescore)

    assert report.old_index.endswith("-000001") and report.new_index.endswith("-000002")
    assert es.layout.current_indices() == [report.new_index]
    assert not es.client.indices.exists(index=report.old_index)
    assert len(indexed_ids(es)) == 31 and "late" in indexed_ids(es)
    assert {listing.classifier_version for listing in es.get_many(["id0", "late"]).values()} == {
        "v2"
    }
    fill(es, make("after", title="Written after"))
    assert es.get("after") is not None
    crawler.close()


# -- verdicts on the listings -------------------------------------------------------


def test_a_verdict_outlives_crawl_writes_that_waited_in_the_outbox(
    server: NoidaServer, es: ElasticsearchStore, tmp_path: Path
) -> None:
    fill(es, make("a1", title="Glock 19", price=500.0), make("b2", title="Holster"))
    es.add_review(Review("a1", "confirmed", "bob", T1, labels=("firearm",)))
    server.stop()

    fill(es, make("a1", title="Glock 19", price=450.0, last_seen=T1, change="changed"))
    fill(es, make("a1", title="Glock 19", price=450.0, last_seen=T2, change="unchanged"))
    assert es.outbox.depth().pending == 2
    es.close()
    server.start()
    again = open_es(server.url, tmp_path / "outbox.sqlite3")
    assert again.drain(force=True).remaining == 0

    assert ids(again, verdicts=("confirmed",)) == ["a1"]
    assert ids(again, verdicts=("none",)) == ["b2"]
    assert [v.price for v in again.versions("a1")] == [500.0, 450.0]
    again.close()


def test_a_verdict_is_searchable_at_once_by_other_processes(
    server: NoidaServer, es: ElasticsearchStore, tmp_path: Path
) -> None:
    """The review app's next page may be served by another thread with its own store."""
    fill(es, make("a1", title="Glock 19"), make("b2", title="Holster"))
    assert ids(es, verdicts=("none",)) == ["a1", "b2"]  # refreshed: searchable by all
    other = open_es(server.url, tmp_path / "other-outbox.sqlite3")
    assert ids(other, verdicts=("none",)) == ["a1", "b2"]

    es.add_review(Review("a1", "false_positive", "bob", T1))

    assert ids(other, verdicts=("none",)) == ["b2"]
    assert ids(other, verdicts=("false_positive",)) == ["a1"]
    other.close()


# -- configuration and commands -----------------------------------------------------


def es_env(url: str) -> dict[str, str]:
    return {"ARMSWATCH_STORE": "elasticsearch", "ARMSWATCH_ES_URL": url}


def test_index_commands(server: NoidaServer, tmp_path: Path) -> None:
    data = ("--data-dir", tmp_path / "data")
    env = es_env(server.url)

    before = run_cli(*data, "index", "check", env=env)
    assert before.returncode == 2, before.stderr
    assert "run 'armswatch index init'" in before.stderr

    assert run_cli(*data, "index", "init", env=env).returncode == 0
    after = run_cli(*data, "index", "check", env=env)
    assert after.returncode == 0, after.stderr
    assert "armswatch-listings-000001" in after.stdout and "8." in after.stdout

    status = run_cli(*data, "index", "status", env=env)
    assert status.returncode == 0 and "0 waiting" in status.stdout


def test_index_commands_explain_an_unreachable_cluster_and_a_sqlite_store(tmp_path: Path) -> None:
    data = ("--data-dir", tmp_path / "data")
    away = run_cli(*data, "index", "check", env=es_env(f"http://127.0.0.1:{free_port()}"))
    assert away.returncode == 4
    assert "cannot be reached" in away.stderr and "ARMSWATCH_ES_URL" in away.stderr

    sqlite = run_cli(*data, "index", "check", env={"ARMSWATCH_STORE": "sqlite"})
    assert sqlite.returncode == 2 and "store: elasticsearch" in sqlite.stderr

    bad = run_cli(*data, "search", env={"ARMSWATCH_STORE": "mongodb"})
    assert bad.returncode == 2 and "ARMSWATCH_STORE" in bad.stderr


@pytest.mark.slow
def test_a_crawl_into_elasticsearch_stores_what_sqlite_stores(
    demo_sites: Any, server: NoidaServer, tmp_path: Path
) -> None:
    sqlite_dir, es_dir = tmp_path / "sqlite", tmp_path / "es"
    assert crawl(demo_sites, sqlite_dir, "demo-market").returncode == 0
    into_es = crawl(demo_sites, es_dir, "demo-market", env=es_env(server.url))
    assert into_es.returncode == 0, into_es.stderr

    def records(data_dir: Path, env: dict[str, str]) -> dict[str, tuple[Any, ...]]:
        found = run_cli("--data-dir", data_dir, "search", "--limit", "1000", "--json", env=env)
        assert found.returncode == 0, found.stderr
        rows = [json.loads(line) for line in found.stdout.splitlines()]
        return {r["id"]: (r["title"], r["price"], tuple(r["labels"]), r["version"]) for r in rows}

    in_sqlite = records(sqlite_dir, {"ARMSWATCH_STORE": "sqlite"})
    assert len(in_sqlite) > 20
    assert records(es_dir, es_env(server.url)) == in_sqlite


@pytest.mark.slow
def test_a_crawl_while_the_cluster_is_down_is_indexed_once_it_is_back(
    demo_sites: Any, server: NoidaServer, tmp_path: Path
) -> None:
    env = es_env(server.url)
    data = tmp_path / "es"
    assert run_cli("--data-dir", data, "index", "init", env=env).returncode == 0
    server.stop()

    down = crawl(demo_sites, data, "demo-market", env=env)

    assert down.returncode == 0, down.stderr
    assert "wait for Elasticsearch" in down.stdout and "index flush" in down.stdout
    assert run_cli("--data-dir", data, "index", "flush", env=env).returncode == 4

    server.start()
    flushed = run_cli("--data-dir", data, "index", "flush", env=env)
    assert flushed.returncode == 0, flushed.stderr
    store = open_es(server.url, tmp_path / "reader-outbox.sqlite3", prefix="armswatch")
    ids = indexed_ids(store)
    assert len(ids) == len(set(ids)) > 20
    assert store.count() == len(ids)
    run = store.last_runs()["demo-market"]
    assert run.status == "finished" and run.finished_at is not None
    store.close()
