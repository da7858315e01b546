"""The SQLite store against real database files: records, versions, search, crashes."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from armswatch.listing import Attachment, content_hash
from armswatch.stores.base import Review, SearchQuery, StoreError
from armswatch.stores.sqlite import SCHEMA_VERSION, SqliteStore, fts_query
from tests.listings import T0, T1, T2, fill, ids, make


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStore]:
    opened = SqliteStore(tmp_path / "data" / "armswatch.sqlite3")
    yield opened
    opened.close()


# -- records and versions ---------------------------------------------------------


def test_round_trip_is_exact(store: SqliteStore) -> None:
    listing = make(
        "a1",
        title="Réplique Glock 17 — пистолет",
        text="Selling a replica.\nShips from EU. 100% discreet 🔫",
        price=450.5,
        currency="EUR",
        seller="gunsmith_42",
        posted_at="2026-11-19T08:30:00+00:00",
        lang="fr",
        attachments=[
            Attachment(name="fgc9.zip", url="https://x.example/fgc9.zip", ext="zip", size="12 MB"),
            Attachment(name="notes.pdf", url="https://x.example/notes.pdf", ext="pdf"),
        ],
        images=["https://x.example/1.jpg", "https://x.example/2.jpg"],
        raw_sha256="f" * 64,
        scores={"firearm": 0.9312345678901234, "ammunition": 0.1, "3d_print": 1e-9},
        labels=["firearm"],
        threat_score=0.87,
        classifier_version="rules-2026.11",
        explanations={"firearm": ["keyword: glock", "price band"], "ammunition": []},
    )
    store.write(listing)
    store.commit()

    got = store.get("a1")

    assert got is not None
    assert got.to_record() == listing.to_record()
    assert isinstance(got.attachments[0], Attachment)
    assert list(got.scores) == ["firearm", "ammunition", "3d_print"]
    assert store.get("missing") is None


def test_data_survives_reopening(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    first = SqliteStore(path)
    fill(first, make("a1", title="Mauser"))
    first.close()

    again = SqliteStore(path)

    assert again.count() == 1
    assert ids(again, text="mauser") == ["a1"]
    again.close()


def test_write_without_change_marker_is_refused(store: SqliteStore) -> None:
    with pytest.raises(ValueError, match="change"):
        store.write(make("a1", change=None))


def test_new_listing_gets_version_one(store: SqliteStore) -> None:
    listing = make("a1", title="AK magazine", price=30.0, currency="USD", version=7)

    fill(store, listing)

    assert listing.version == 1
    [version] = store.versions("a1")
    assert (version.version, version.seen_at, version.title, version.price) == (
        1,
        T0,
        "AK magazine",
        30.0,
    )
    assert version.content_sha256 == listing.content_sha256


def test_changed_listing_adds_versions_and_keeps_first_seen(store: SqliteStore) -> None:
    fill(store, make("a1", title="AK magazine", price=30.0, currency="USD"))
    second = make(
        "a1",
        title="AK magazine x2",
        price=25.0,
        currency="USD",
        first_seen=T1,
        last_seen=T1,
        change="changed",
        scores={"parts": 0.8},
        labels=["parts"],
    )
    fill(store, second)
    third = make(
        "a1", title="AK magazines", price=20.0, currency="USD", last_seen=T2, change="changed"
    )
    fill(store, third)

    assert (second.version, third.version) == (2, 3)
    assert third.first_seen == T0
    stored = store.get("a1")
    assert stored is not None
    assert (stored.title, stored.version, stored.first_seen, stored.last_seen) == (
        "AK magazines",
        3,
        T0,
        T2,
    )
    history = store.versions("a1")
    assert [v.version for v in history] == [1, 2, 3]
    assert [v.price for v in history] == [30.0, 25.0, 20.0]
    assert [v.seen_at for v in history] == [T0, T1, T2]
    # The search index follows the new content, not the old.
    assert ids(store, text="magazines") == ["a1"]
    assert ids(store, text="x2") == []
    # The label index follows the new scores: version 3 carries none.
    assert ids(store, labels=("parts",)) == []


def test_unchanged_listing_only_moves_last_seen(store: SqliteStore) -> None:
    fill(
        store,
        make("a1", title="Scope", raw_sha256="1" * 64, scores={"parts": 0.7}, labels=["parts"]),
    )
    seen_again = make(
        "a1",
        title="Scope",
        last_seen=T2,
        raw_sha256="2" * 64,
        change="unchanged",
        scores={},
        labels=[],
        threat_score=0.0,
    )

    fill(store, seen_again)

    stored = store.get("a1")
    assert stored is not None
    assert (stored.first_seen, stored.last_seen, stored.raw_sha256) == (T0, T2, "2" * 64)
    assert stored.scores == {"parts": 0.7}
    assert stored.labels == ["parts"]
    assert [v.version for v in store.versions("a1")] == [1]
    assert seen_again.version == 1
    assert ids(store, labels=("parts",)) == ["a1"]


def test_stale_change_markers_follow_the_stored_state(store: SqliteStore) -> None:
    fill(store, make("a1", title="Stock"))

    again = make("a1", title="Stock, folding", change="new", last_seen=T1)
    missing = make("b2", title="Barrel", change="unchanged")
    fill(store, again, missing)

    assert [v.version for v in store.versions("a1")] == [1, 2]
    assert again.version == 2
    assert store.get("b2") is not None
    assert [v.version for v in store.versions("b2")] == [1]


def test_a_failed_write_leaves_nothing_behind(store: SqliteStore) -> None:
    store.write(make("a1", title="Trigger group"))
    broken = make("b2", title="Trigger kit", scores={"parts": None})  # type: ignore[dict-item]

    with pytest.raises(sqlite3.IntegrityError):
        store.write(broken)
    store.commit()

    assert set(store.get_many(["a1", "b2"])) == {"a1"}
    assert store.versions("b2") == []
    assert ids(store, text="trigger") == ["a1"]


def test_missing_content_hash_is_computed(store: SqliteStore) -> None:
    listing = make("a1", title="Bayonet")
    listing.content_sha256 = None

    fill(store, listing)

    assert listing.content_sha256 == content_hash(listing)
    assert store.versions("a1")[0].content_sha256 == listing.content_sha256


def test_get_many_chunks_long_id_lists(store: SqliteStore) -> None:
    fill(store, *(make(f"id{n}") for n in range(1200)))

    wanted = [f"id{n}" for n in range(0, 2400, 2)]
    found = store.get_many(wanted)

    assert set(found) == {f"id{n}" for n in range(0, 1200, 2)}
    assert found["id4"].id == "id4"
    assert store.count() == 1200


# -- transactions, crashes, concurrent readers --------------------------------------


def test_writes_are_invisible_to_other_readers_until_commit(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    writer = SqliteStore(path)
    reader = SqliteStore(path)
    fill(writer, make("a1"))

    writer.write(make("b2"))

    assert reader.count() == 1  # WAL: the reader is not blocked, and sees the committed state
    writer.commit()
    assert reader.count() == 2
    writer.close()
    reader.close()


def test_close_discards_uncommitted_writes(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    first = SqliteStore(path)
    fill(first, make("a1"))
    first.write(make("b2"))
    first.close()

    again = SqliteStore(path)
    assert again.count() == 1
    again.close()


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_crash_before_commit_loses_only_that_batch(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    child = textwrap.dedent(
        f"""
        import sys, time
        from pathlib import Path
        from armswatch.listing import Listing
        from armswatch.stores.sqlite import SqliteStore

        def listing(n):
            return Listing(id=f"id{{n}}", source="s", url=f"https://x.example/{{n}}",
                           title=f"Mosin Nagant lot {{n}}", last_seen="{T0}", change="new")

        store = SqliteStore(Path(sys.argv[1]))
        for n in range(100):
            store.write(listing(n))
        store.commit()
        for n in range(100, 150):
            store.write(listing(n))
        print("uncommitted", flush=True)
        time.sleep(60)
        """
    )
    process = subprocess.Popen(
        [sys.executable, "-c", child, str(path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "uncommitted"
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL

    store = SqliteStore(path)
    assert store.count() == 100
    assert set(store.get_many(["id99", "id100", "id149"])) == {"id99"}
    assert store.search(SearchQuery(text="mosin", limit=1)).total == 100
    store.close()
    check = sqlite3.connect(path)
    assert check.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    check.execute("INSERT INTO listings_fts(listings_fts) VALUES ('integrity-check')")
    check.close()


# -- full-text search ---------------------------------------------------------------


@pytest.fixture
def market(store: SqliteStore) -> SqliteStore:
    fill(
        store,
        make("fr", title="Réplique Glock 17", text="Pistolet à billes, état neuf.", lang="fr"),
        make("ru", title="Продам пистолет Макарова", text="Самовывоз, Москва", lang="ru"),
        make("fgc", title="FGC-9 files", text="Full build kit: STL files for the FGC-9 mk2."),
        make("de", title="Munition 9mm", text="Größere Mengen möglich", seller="Müller"),
    )
    return store


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("replique", ["fr"]),
        ("RÉPLIQUE glock", ["fr"]),
        ("etat neuf", ["fr"]),
        ("ПИСТОЛЕТ", ["ru"]),
        ("макарова", ["ru"]),
        ("fgc-9", ["fgc"]),
        ("fgc*", ["fgc"]),
        ('"build kit"', ["fgc"]),
        ('"kit build"', []),
        ("grossere", []),  # ß is not a diacritic: unicode61 keeps it
        ("großere", ["de"]),
        ("muller", ["de"]),  # sellers are searched too
        ("glock makarova", []),  # terms are ANDed
    ],
)
def test_search_text(market: SqliteStore, text: str, expected: list[str]) -> None:
    assert ids(market, text=text) == expected


def test_decomposed_query_accents_are_normalized(market: SqliteStore) -> None:
    assert ids(market, text="re\u0301plique") == ["fr"]


@pytest.mark.parametrize(
    "text",
    [
        '"',
        '""',
        '"fgc',
        "fgc-9",
        "-fgc",
        "a:b",
        "title:fgc",
        "(",
        "fgc)",
        "*",
        "**fgc",
        "NEAR",
        "NEAR(fgc files)",
        "OR",
        "fgc OR glock",
        "AND",
        "NOT fgc",
        "^fgc",
        "fgc + files",
        "'; DROP TABLE listings; --",
        "{title text}: fgc",
        "\x00",
    ],
)
def test_hostile_query_text_does_not_raise(market: SqliteStore, text: str) -> None:
    result = market.search(SearchQuery(text=text))

    assert result.total >= 0
    assert market.count() == 4


def test_hostile_query_text_is_taken_literally(market: SqliteStore) -> None:
    assert ids(market, text="fgc OR glock") == []  # OR is a word here, not an operator
    assert ids(market, text="NOT fgc") == []
    assert ids(market, text="title:fgc") == []  # not a column filter: the phrase "title fgc"
    assert ids(market, text="kit:stl") == ["fgc"]  # ...which matches "kit: STL"


def test_query_without_words_is_a_filter_only_search(market: SqliteStore) -> None:
    assert fts_query("( * - :") == ""
    assert market.search(SearchQuery(text="( * -")).total == 4


def test_fts_query_quotes_every_term() -> None:
    assert fts_query('fgc-9 "build kit" gl* say "hi') == (
        '"fgc-9" AND "build kit" AND "gl"* AND "say" AND """hi"'
    )


def test_text_search_ranks_by_relevance(store: SqliteStore) -> None:
    fill(
        store,
        make("passing", title="Tools", text="A long list of tools " * 20 + "and one glock mention"),
        make("title", title="Glock 19 Gen5", text="Glock in box", threat_score=0.1),
        make("low", title="Holster", text="Fits glock", threat_score=0.9),
    )

    assert ids(store, text="glock") == ["title", "low", "passing"]


def test_filter_only_search_ranks_by_threat_then_recency(store: SqliteStore) -> None:
    fill(
        store,
        make("old-high", threat_score=0.9, last_seen=T0),
        make("new-high", threat_score=0.9, last_seen=T2),
        make("low", threat_score=0.2, last_seen=T2),
        make("mid", threat_score=0.5, last_seen=T1),
    )

    assert ids(store) == ["new-high", "old-high", "mid", "low"]


def test_total_counts_all_matches_beyond_the_page(store: SqliteStore) -> None:
    fill(store, *(make(f"id{n:02}", title="Ammo box", threat_score=n / 100) for n in range(30)))

    first = store.search(SearchQuery(text="ammo", limit=10))
    page = store.search(SearchQuery(text="ammo", limit=5, after=first.next_cursor))
    filtered = store.search(SearchQuery(limit=3, min_score=0.25))

    assert (first.total, page.total) == (30, 30)
    assert [listing.id for listing in page.listings] == ["id19", "id18", "id17", "id16", "id15"]
    assert filtered.total == 5
    assert len(filtered.listings) == 3


def test_a_full_last_page_has_no_cursor_and_past_the_end_is_empty(store: SqliteStore) -> None:
    fill(store, *(make(f"id{n}", title="Ammo box", threat_score=n / 10) for n in range(4)))
    first = store.search(SearchQuery(text="ammo", sort="score", limit=3))
    fill(store, make("id0", title="Sold", change="changed"))  # the 4th no longer matches

    last = store.search(SearchQuery(text="ammo", sort="score", limit=3))
    beyond = store.search(SearchQuery(text="ammo", sort="score", limit=3, after=first.next_cursor))

    assert first.next_cursor is not None
    assert (last.total, len(last.listings), last.next_cursor) == (3, 3, None)
    assert (beyond.total, beyond.listings, beyond.next_cursor) == (3, [], None)


@pytest.mark.parametrize("query", [{"limit": 0}, {"limit": -1}, {"sort": "price"}])
def test_bad_paging_and_sorts_are_refused(query: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        SearchQuery(**query)  # type: ignore[arg-type]


# -- filters ------------------------------------------------------------------------


@pytest.fixture
def filtered(store: SqliteStore) -> SqliteStore:
    fill(
        store,
        make(
            "gun",
            source="forum-a",
            lang="en",
            seller="alice",
            last_seen=T0,
            scores={"firearm": 0.9, "ammunition": 0.2},
            labels=["firearm"],
            threat_score=0.9,
        ),
        make(
            "ammo",
            source="forum-b",
            lang="de",
            seller="bob",
            last_seen=T1,
            scores={"firearm": 0.3, "ammunition": 0.6},
            labels=["ammunition"],
            threat_score=0.6,
        ),
        make(
            "print",
            source="forum-b",
            lang="en",
            seller="Alice",
            last_seen=T2,
            scores={"3d_print": 0.95, "firearm": 0.5},
            labels=["3d_print", "firearm"],
            threat_score=0.95,
        ),
        make("none", source="forum-c", lang=None, seller=None, last_seen=T2, threat_score=0.0),
    )
    return store


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"labels": ("firearm",)}, {"gun", "print"}),
        ({"labels": ("ammunition", "3d_print")}, {"ammo", "print"}),
        ({"labels": ("knife",)}, set()),
        ({"min_score": 0.6}, {"gun", "ammo", "print"}),
        ({"min_score": 0.61}, {"gun", "print"}),
        ({"labels": ("firearm",), "min_score": 0.6}, {"gun"}),
        ({"labels": ("firearm", "ammunition"), "min_score": 0.55}, {"gun", "ammo"}),
        ({"labels": ("3d_print",), "min_score": 0.99}, set()),
        ({"sources": ("forum-b",)}, {"ammo", "print"}),
        ({"sources": ("forum-a", "forum-c")}, {"gun", "none"}),
        ({"langs": ("en",)}, {"gun", "print"}),
        ({"sellers": ("alice",)}, {"gun"}),
        ({"sellers": ("alice", "Alice", "bob")}, {"gun", "print", "ammo"}),
        ({"since": datetime(2026, 11, 21, 10, tzinfo=UTC)}, {"ammo", "print", "none"}),
        ({"until": datetime(2026, 11, 21, 10, tzinfo=UTC)}, {"gun", "ammo"}),
        (
            {
                "since": datetime(2026, 11, 21, 9, tzinfo=UTC),
                "until": datetime(2026, 11, 21, 11, tzinfo=UTC),
            },
            {"ammo"},
        ),
        # Another zone, and a naive datetime (taken as UTC), name the same moments.
        (
            {"since": datetime(2026, 11, 22, 11, tzinfo=timezone(timedelta(hours=1)))},
            {"print", "none"},
        ),
        ({"until": datetime(2026, 11, 20, 10)}, {"gun"}),
        ({"sources": ("forum-b",), "langs": ("en",), "labels": ("firearm",)}, {"print"}),
    ],
)
def test_filters(filtered: SqliteStore, query: dict[str, object], expected: set[str]) -> None:
    assert set(ids(filtered, **query)) == expected


def test_filters_combine_with_text(filtered: SqliteStore) -> None:
    fill(filtered, make("gun", title="Rifle", change="changed", source="forum-a", lang="en"))

    assert ids(filtered, text="rifle", langs=("en",)) == ["gun"]
    assert ids(filtered, text="rifle", langs=("de",)) == []


def test_last_seen_compares_as_moments_not_strings(store: SqliteStore) -> None:
    fill(
        store,
        make("z", last_seen="2026-11-21T10:00:00Z"),
        make("offset", last_seen="2026-11-21T12:30:00+02:00"),  # 10:30 UTC
        make("fraction", last_seen="2026-11-21T10:00:00.500000+00:00"),
    )

    since = datetime(2026, 11, 21, 10, 15, tzinfo=UTC)
    assert set(ids(store, since=since)) == {"offset"}
    assert set(ids(store, until=datetime(2026, 11, 21, 10, tzinfo=UTC))) == {"z"}


# -- crawl runs ---------------------------------------------------------------------


def test_runs_record_the_latest_per_source(store: SqliteStore) -> None:
    first = store.start_run("forum-a", T0)
    first.finished_at, first.status, first.stats = T0, "finished", {"items": 3}
    store.finish_run(first)
    second = store.start_run("forum-a", T1)
    other = store.start_run("forum-b", T1)
    other.finished_at, other.status = T2, "failed"
    other.stats = {"errors": {"http_500": 2}, "note": "Zeitüberschreitung"}
    store.finish_run(other)

    runs = store.last_runs()

    assert set(runs) == {"forum-a", "forum-b"}
    assert runs["forum-a"] == second
    assert (runs["forum-a"].status, runs["forum-a"].finished_at) == ("running", None)
    assert runs["forum-b"] == other
    assert second.id is not None and first.id is not None and second.id > first.id


def test_runs_are_durable_without_commit(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    first = SqliteStore(path)
    run = first.start_run("forum-a", T0)
    first.write(make("a1"))
    run.status = "finished"
    first.finish_run(run)  # commits the pending write with it
    first.close()

    again = SqliteStore(path)
    assert again.last_runs()["forum-a"].status == "finished"
    assert again.count() == 1
    again.close()


def test_finish_run_needs_a_started_run(store: SqliteStore) -> None:
    from armswatch.stores.base import CrawlRun

    with pytest.raises(ValueError):
        store.finish_run(CrawlRun(source="forum-a", started_at=T0))


# -- damaged files ------------------------------------------------------------------


def test_a_file_that_is_not_a_database_is_a_store_error(tmp_path: Path) -> None:
    path = tmp_path / "armswatch.sqlite3"
    path.write_bytes(b"this is a CSV export, not a database\n" * 200)

    with pytest.raises(StoreError) as raised:
        SqliteStore(path)

    message = str(raised.value)
    assert str(path) in message
    assert "move it aside or point --data-dir elsewhere" in message


def test_corrupt_pages_are_a_store_error(tmp_path: Path) -> None:
    path = tmp_path / "armswatch.sqlite3"
    store = SqliteStore(path)
    fill(store, *(make(f"id{n}", title="Flare gun", text="x" * 2000) for n in range(200)))
    store.close()
    raw = bytearray(path.read_bytes())
    page = 4096
    raw[40 * page : len(raw) - page] = b"\xa5" * (len(raw) - 41 * page)
    path.write_bytes(bytes(raw))

    with pytest.raises(StoreError, match="move it aside"):
        store = SqliteStore(path)
        store.search(SearchQuery(text="flare", limit=500))
        store.versions("id150")


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "armswatch.sqlite3"
    SqliteStore(path).close()
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE schema_version SET version = 99")
    conn.close()

    with pytest.raises(StoreError, match="schema version 99"):
        SqliteStore(path)


def test_wal_mode_and_schema_version(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "dir" / "armswatch.sqlite3"
    SqliteStore(path).close()

    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert conn.execute("SELECT version FROM schema_version").fetchall() == [(SCHEMA_VERSION,)]
    conn.close()


# -- reviews ----------------------------------------------------------------------


def review(listing_id: str, verdict: str, *labels: str, at: str = T1) -> Review:
    return Review(listing_id, verdict, "analyst1", at, labels=labels, note="checked")


def test_reviews_are_kept_in_order_and_durable(tmp_path: Path) -> None:
    path = tmp_path / "armswatch.sqlite3"
    store = SqliteStore(path)
    fill(store, make("a", title="Glock 19"), make("b", title="glue gun"))
    first = store.add_review(review("a", "follow_up"))
    second = store.add_review(review("a", "confirmed", "firearm", "parts", at=T2))
    third = store.add_review(review("b", "false_positive"))
    assert first.id is not None and first.id < second.id < third.id  # type: ignore[operator]
    store.close()  # without commit: a review is committed when added

    store = SqliteStore(path)
    assert store.reviews() == [first, second, third]
    assert store.reviews(["a"]) == [first, second]
    assert store.reviews(["b", "missing"]) == [third]
    assert second.labels == ("firearm", "parts") and second.note == "checked"
    store.close()


def test_a_review_needs_a_stored_listing(store: SqliteStore) -> None:
    with pytest.raises(KeyError, match="no listing"):
        store.add_review(review("nowhere", "false_positive"))
    assert store.reviews() == []


def test_review_verdicts_and_labels_are_checked() -> None:
    with pytest.raises(ValueError, match="verdict"):
        review("a", "maybe")
    with pytest.raises(ValueError, match="only a confirmed"):
        review("a", "false_positive", "firearm")
    assert review("a", "confirmed", "parts").training_labels() == {"parts"}
    assert review("a", "false_positive").training_labels() == set()
    assert review("a", "follow_up").training_labels() is None


def test_a_version_1_store_is_migrated_with_its_data(tmp_path: Path) -> None:
    path = tmp_path / "armswatch.sqlite3"
    store = SqliteStore(path)
    fill(store, make("a", title="Glock 19"))
    store.close()
    with sqlite3.connect(path) as conn:  # as the first release left it
        conn.execute("DROP TABLE reviews")
        conn.execute("UPDATE schema_version SET version = 1")
    conn.close()

    store = SqliteStore(path)
    assert store.get("a") is not None
    assert store.add_review(review("a", "confirmed", "firearm")).id == 1
    store.close()
