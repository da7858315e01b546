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

from armswatch.stores.base import Review, SearchQuery, StoreError
from armswatch.stores.sqlite import SCHEMA_VERSION, SqliteStore, fts_query
from tests.listings import T0, T1, T2, fill, ids, make


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStore]:
    opened = SqliteStore(tmp_path / "data" / "armswatch.sqlite3")
    yield opened
    opened.close()


# -- records and versions ---------------------------------------------------------


def test_a_failed_write_leaves_nothing_behind(store: SqliteStore) -> None:
    store.write(make("a1", title="Trigger group"))
    broken = make("b2", title="Trigger kit", scores={"parts": None})  # type: ignore[dict-item]

    with pytest.raises(sqlite3.IntegrityError):
        store.write(broken)
    store.commit()

    assert set(store.get_many(["a1", "b2"])) == {"a1"}
    assert store.versions("b2") == []
    assert ids(store, text="trigger") == ["a1"]


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


def test_opening_does_not_wait_for_a_writer(tmp_path: Path) -> None:
    """A search opens the store while a crawl holds its batch transaction (the write
    lock), and sees what was committed, not the open batch."""
    path = tmp_path / "armswatch.sqlite3"
    crawl = SqliteStore(path)
    fill(crawl, make("a", title="Glock 19"))
    crawl.write(make("b", title="Trigger kit"))  # the batch stays open: the lock is held

    search = SqliteStore(path)
    assert ids(search, limit=10) == ["a"]
    search.close()
    crawl.commit()
    assert sorted(ids(crawl, limit=10)) == ["a", "b"]
    crawl.close()


# -- reviews ----------------------------------------------------------------------


def test_a_version_1_store_is_migrated_with_its_data(tmp_path: Path) -> None:
    path = tmp_path / "armswatch.sqlite3"
    store = SqliteStore(path)
    fill(store, make("a", title="Glock 19"))
    store.close()
    with sqlite3.connect(path) as conn:  # as the first release left it
        as_version_2(conn)
        conn.execute("DROP TABLE reviews")
        conn.execute("UPDATE schema_version SET version = 1")
    conn.close()

    store = SqliteStore(path)
    assert store.get("a") is not None
    confirmed = Review("a", "confirmed", "analyst1", T1, labels=("firearm",))
    assert store.add_review(confirmed).id == 1
    store.close()


def as_version_3(conn: sqlite3.Connection) -> None:
    """A file made by the current release as the third schema left it: no entities,
    links or vendors (tests/test_store_links.py migrates one the third schema made)."""
    for table in ("vendor_sources", "vendors", "listing_entities"):
        conn.execute(f"DROP TABLE {table}")
    conn.execute("DROP INDEX listings_vendor")
    conn.execute("DROP INDEX listings_duplicate_cluster")
    for column in ("entities", "vendor_id", "duplicate_cluster"):
        conn.execute(f"ALTER TABLE listings DROP COLUMN {column}")
    conn.execute("UPDATE schema_version SET version = 3")


def as_version_2(conn: sqlite3.Connection) -> None:
    """A file made by the current release as the second schema left it: no verdicts
    on the listings."""
    as_version_3(conn)
    conn.execute("DROP INDEX listings_verdict")
    conn.execute("DROP INDEX listings_verdict_seen")
    conn.execute("ALTER TABLE listings DROP COLUMN verdict")
    conn.execute("UPDATE schema_version SET version = 2")


def test_a_version_2_store_gets_the_latest_verdicts_of_its_reviews(tmp_path: Path) -> None:
    path = tmp_path / "armswatch.sqlite3"
    store = SqliteStore(path)
    fill(store, *(make(name, threat_score=0.5, labels=["firearm"]) for name in "abcd"))
    for listing_id, verdict in [("a", "follow_up"), ("b", "false_positive"), ("a", "confirmed")]:
        labels = ("firearm",) if verdict == "confirmed" else ()
        store.add_review(Review(listing_id, verdict, "analyst1", T1, labels=labels))
    store.add_review(Review("c", "follow_up", "analyst1", T0))
    store.close()
    with sqlite3.connect(path) as conn:
        as_version_2(conn)
    conn.close()

    store = SqliteStore(path)
    assert ids(store, verdicts=("confirmed",)) == ["a"]
    assert ids(store, verdicts=("false_positive",)) == ["b"]
    assert ids(store, verdicts=("follow_up",)) == ["c"]
    assert ids(store, verdicts=("none",)) == ["d"]
    fill(store, make("c", title="Seen again", last_seen=T2, change="changed"))
    assert ids(store, verdicts=("follow_up",)) == ["c"]
    store.close()
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT version FROM schema_version").fetchall() == [(SCHEMA_VERSION,)]
    conn.close()


@pytest.mark.parametrize(
    ("sort", "index"), [("score", "listings_verdict"), ("newest", "listings_verdict_seen")]
)
def test_a_verdict_s_listings_are_read_in_order_from_an_index(
    store: SqliteStore, sort: str, index: str
) -> None:
    """The queue's pages: no sort of every unreviewed listing to show the first fifty."""
    fill(store, *(make(f"l{n}", labels=["firearm"], threat_score=n / 10) for n in range(10)))
    executed: list[str] = []
    store._conn.set_trace_callback(executed.append)  # the statements, values filled in
    store.search(SearchQuery(labels=("firearm",), verdicts=("none",), sort=sort))  # type: ignore[arg-type]
    store._conn.set_trace_callback(None)

    (page,) = [sql for sql in executed if "ORDER BY" in sql]
    steps = [row[-1] for row in store._conn.execute(f"EXPLAIN QUERY PLAN {page}")]
    assert any(f"INDEX {index} " in step for step in steps), steps
    assert not any("TEMP B-TREE FOR ORDER BY" in step for step in steps), steps
