"""Entities, vendor links and near-duplicate clusters in the stores, the same on each:
kept whole, kept across crawls, filtered and counted by search, set by linking, read
in batches; vendor profiles replaced and read; an old SQLite file or Elasticsearch
index brought up to date; and `armswatch search` and `export` filtering on them."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from armswatch.entities.model import Entities, FileRef, Handle, MakeModel
from armswatch.listing import ArchiveMember, Attachment, HashMatch
from armswatch.stores import Review, SearchQuery, Store, StoreUnavailable
from armswatch.stores.base import FACETS, VendorLink, VendorProfile
from armswatch.stores.elastic import ElasticsearchStore
from armswatch.stores.elastic_mapping import LISTING_PROPERTIES
from armswatch.stores.sqlite import _MIGRATIONS, SCHEMA_VERSION, SqliteStore
from tests.conftest import CLI_STORES, CliStore, cli_store, es_settings, run_cli
from tests.listings import T0, T1, T2, fill, ids, make, reopen
from tests.noida import NoidaServer, free_port

GLOCK = Entities(
    btc=("bc1qglockseller0000000000000000000000000",),
    pgp_fingerprints=("0123456789ABCDEF0123456789ABCDEF01234567",),
    handles=(Handle("telegram", "glockdealer"),),
    calibers=("9x19mm",),
    makes_models=(MakeModel("Glock", "Glock 19"),),
    ships_from=("DE",),
).to_json()
"""Found in one listing, as the entities step writes it (`Entities.to_json()`)."""
AMMO = Entities(
    btc=("bc1qammoseller00000000000000000000000000", "bc1qammoseller11111111111111111111111111"),
    emails=("ammo@example.org",),
    calibers=("9x19mm", "12 gauge"),
    ships_from=("DE", "NL"),
).to_json()
FILES = Entities(
    files=(FileRef("dummy.stl", "stl", "FGC-9"),),
    ships_to=("worldwide",),
).to_json()
NOTHING = Entities().to_json()
"""The entities step ran and found nothing (not the same as not run: `{}`)."""


def attachment() -> Attachment:
    """A fetched archive (dummy bytes, never a real file) with a member on a hash list."""
    return Attachment(
        name="files.zip",
        url="https://market.example/files.zip",
        ext="zip",
        size="2 KB",
        sha256="a" * 64,
        bytes=2048,
        quarantine_path="quarantine/aa/" + "a" * 64,
        members=[ArchiveMember("readme.txt", 12, "b" * 64), ArchiveMember("big.bin", 10**9)],
        hash_matches=[HashMatch("b" * 64, "3d_gun_file", "unit.txt", member="readme.txt")],
        fetch_error="big.bin: over the 50 MB member cap, not read",
    )


# -- the record ------------------------------------------------------------------------


def test_entities_links_and_fetched_attachments_are_kept_whole(store: Store) -> None:
    fill(store, make("g", title="Glock 19", entities=GLOCK, attachments=[attachment()]))
    store.set_links({"g": "vendor-1"}, {"g": "dup-1"})
    again = reopen(store)

    listing = again.get("g")
    assert listing is not None
    assert listing.entities == GLOCK
    assert listing.attachments == [attachment()]
    assert (listing.vendor_id, listing.duplicate_cluster) == ("vendor-1", "dup-1")
    assert again.get_many(["g"]) == {"g": listing}
    assert again.search(SearchQuery(text="glock")).listings == [listing]
    assert list(again.iter_listings()) == [listing]
    assert [v.version for v in again.versions("g")] == [1]
    again.close()


def test_links_outlive_crawl_writes_of_the_same_and_of_new_content(store: Store) -> None:
    fill(store, make("g", title="Glock 19", price=500.0, entities=GLOCK))
    store.add_review(Review("g", "confirmed", "ana", T1, labels=("firearm",)))
    store.set_links({"g": "vendor-1"}, {"g": "dup-1"})

    unchanged = make(
        "g", title="Glock 19", price=500.0, entities=GLOCK, last_seen=T1, change="unchanged"
    )
    fill(store, unchanged)
    # the item that goes on down the pipeline reads as the record
    assert (unchanged.vendor_id, unchanged.duplicate_cluster) == ("vendor-1", "dup-1")
    changed = make(
        "g", title="Glock 19", price=450.0, entities=AMMO, last_seen=T2, change="changed"
    )
    fill(store, changed)

    listing = store.get("g")
    assert listing is not None
    assert (listing.version, listing.price, listing.last_seen) == (2, 450.0, T2)
    assert (listing.vendor_id, listing.duplicate_cluster) == ("vendor-1", "dup-1")
    assert (changed.vendor_id, changed.duplicate_cluster) == ("vendor-1", "dup-1")
    assert listing.entities == AMMO  # new content, new entities
    assert ids(store, vendors=("vendor-1",), verdicts=("confirmed",)) == ["g"]
    assert ids(store, entities=("email:ammo@example.org",)) == ["g"]
    assert ids(store, entities=("pgp",)) == []  # the old version's keys are gone


def test_an_unchanged_listing_takes_its_first_entities(store: Store) -> None:
    fill(store, make("old", title="Glock 19"), make("done", title="Holster", entities=NOTHING))

    fill(
        store,
        make("old", title="Glock 19", entities=GLOCK, last_seen=T1, change="unchanged"),
        make("done", title="Holster", entities=AMMO, last_seen=T1, change="unchanged"),
    )

    assert store.get("old").entities == GLOCK  # type: ignore[union-attr]
    assert store.get("done").entities == NOTHING  # type: ignore[union-attr]
    assert ids(store, entities=("btc",)) == ["old"]


# -- search --------------------------------------------------------------------------


@pytest.fixture
def linked(store: Store) -> Store:
    """Four listings with entities (one with none found, one never extracted), two of
    one vendor and a near-duplicate pair."""
    fill(
        store,
        make("glock", title="Glock 19", entities=GLOCK, threat_score=0.9, source="m1"),
        make("ammo", title="9mm ammo", entities=AMMO, threat_score=0.8, source="m2"),
        make("file", title="FGC-9 files", entities=FILES, threat_score=0.7),
        make("none", title="Holster", entities=NOTHING, threat_score=0.2),
        make("raw", title="Old listing", threat_score=0.1),
    )
    store.set_links(
        {"glock": "v-1", "ammo": "v-1", "file": "v-2"},
        {"glock": "d-1", "ammo": "d-1"},
    )
    return store


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"entities": ("btc:bc1qglockseller0000000000000000000000000",)}, ["glock"]),
        ({"entities": ("caliber:9x19mm",)}, ["glock", "ammo"]),
        ({"entities": ("handle:telegram:glockdealer",)}, ["glock"]),
        ({"entities": ("model:Glock 19", "design:FGC-9")}, ["glock", "file"]),
        ({"entities": ("btc",)}, ["glock", "ammo"]),
        ({"entities": ("email", "file")}, ["ammo", "file"]),
        ({"entities": ("email:ammo@example.org", "pgp")}, ["glock", "ammo"]),
        ({"entities": ("ships_to:worldwide",)}, ["file"]),
        ({"entities": ("btc:unknown", "phone")}, []),
        ({"vendors": ("v-1",)}, ["glock", "ammo"]),
        ({"vendors": ("v-1", "v-2")}, ["glock", "ammo", "file"]),
        ({"duplicate_clusters": ("d-1",)}, ["glock", "ammo"]),
        ({"duplicate_clusters": ("d-9",)}, []),
        ({"vendors": ("v-1",), "entities": ("email",)}, ["ammo"]),
        ({"text": "glock", "entities": ("btc",)}, ["glock"]),
        ({"vendors": ("v-1",), "sources": ("m2",)}, ["ammo"]),
    ],
)
def test_filters_on_entities_vendors_and_clusters(
    linked: Store, query: dict[str, object], expected: list[str]
) -> None:
    assert ids(linked, **query) == expected
    assert linked.search(SearchQuery(**query)).total == len(expected)  # type: ignore[arg-type]


def test_facets_count_entity_types_their_values_and_vendors(linked: Store) -> None:
    counts = linked.facets(SearchQuery())

    assert list(counts) == list(FACETS)
    assert counts["entity_type"] == [
        ("btc", 2),  # one listing with two addresses counts once
        ("caliber", 2),
        ("ships_from", 2),
        ("design", 1),
        ("email", 1),
        ("file", 1),
        ("handle", 1),
        ("make", 1),
        ("model", 1),
        ("pgp", 1),
    ]
    assert counts["ships_from"] == [("DE", 2), ("NL", 1)]
    assert counts["caliber"] == [("9x19mm", 2), ("12 gauge", 1)]
    assert counts["vendor"] == [("v-1", 2), ("v-2", 1)]


def test_new_facets_count_only_the_matches_and_keep_the_commonest(linked: Store) -> None:
    counts = linked.facets(SearchQuery(vendors=("v-1",), entities=("email",)))
    assert counts["entity_type"][:3] == [("btc", 1), ("caliber", 1), ("email", 1)]
    assert counts["ships_from"] == [("DE", 1), ("NL", 1)]
    assert counts["vendor"] == [("v-1", 1)]

    top = linked.facets(SearchQuery(), size=1)
    assert top["entity_type"] == [("btc", 2)]
    assert top["ships_from"] == [("DE", 2)]
    assert top["caliber"] == [("9x19mm", 2)]
    assert top["vendor"] == [("v-1", 2)]

    nothing = linked.facets(SearchQuery(text="holster"))
    assert {name: nothing[name] for name in ("entity_type", "ships_from", "vendor")} == {
        "entity_type": [],
        "ships_from": [],
        "vendor": [],
    }


# -- linking ---------------------------------------------------------------------------


def test_iter_listings_reads_every_listing_once_in_batches(store: Store) -> None:
    fill(store, *(make(f"l{n:02}", title=f"Listing {n}") for n in range(11)))

    read = [listing.id for listing in store.iter_listings(batch_size=4)]

    assert sorted(read) == [f"l{n:02}" for n in range(11)]
    assert len(read) == 11


def test_iter_listings_of_an_empty_store_is_empty(store: Store) -> None:
    assert list(store.iter_listings()) == []


def test_set_links_changes_only_the_named_listings_and_fields(linked: Store) -> None:
    linked.set_links({"glock": "v-3"}, {})
    linked.set_links({}, {"ammo": None, "file": "d-2"})

    state = {
        listing.id: (listing.vendor_id, listing.duplicate_cluster, listing.title)
        for listing in linked.iter_listings()
    }
    assert state == {
        "glock": ("v-3", "d-1", "Glock 19"),
        "ammo": ("v-1", None, "9mm ammo"),
        "file": ("v-2", "d-2", "FGC-9 files"),
        "none": (None, None, "Holster"),
        "raw": (None, None, "Old listing"),
    }
    assert ids(linked, duplicate_clusters=("d-1",)) == ["glock"]
    linked.set_links({"not-stored": "v-9"}, {"not-stored": "d-9"})  # skipped
    assert linked.get("not-stored") is None


def test_set_links_commits_the_pending_writes_with_them(store: Store) -> None:
    store.write(make("g", title="Glock 19"))
    store.set_links({"g": "v-1"}, {})
    again = reopen(store)

    assert ids(again, vendors=("v-1",)) == ["g"]
    again.close()


def profile(vendor_id: str, *listing_ids: str, sources: tuple[str, ...]) -> VendorProfile:
    return VendorProfile(
        id=vendor_id,
        listing_ids=listing_ids,
        sources=sources,
        sellers=("glockdealer", "GlockDealer"),
        links=(VendorLink("pgp:0123456789ABCDEF0123456789ABCDEF01234567", listing_ids),),
        first_seen=T0,
        last_seen=T2,
        labels=("firearm",),
    )


def test_vendor_profiles_are_replaced_ordered_and_filtered_by_source(store: Store) -> None:
    assert store.vendors() == [] and store.vendor("v-1") is None
    big = profile("v-b", "l1", "l2", "l3", sources=("m1", "m2"))
    small = profile("v-c", "l4", sources=("m2",))
    tie = profile("v-a", "l5", sources=("m3",))
    gone = profile("v-gone", "l6", "l7", "l8", "l9", sources=("m1",))
    store.replace_vendors([gone])

    store.replace_vendors([small, big, tie])

    assert store.vendors() == [big, tie, small]
    assert store.vendors("m2") == [big, small]
    assert store.vendors("m3") == [tie]
    assert store.vendors("m9") == []
    assert store.vendor("v-b") == big
    assert store.vendor("v-gone") is None
    again = reopen(store)
    assert again.vendors() == [big, tie, small]
    again.replace_vendors([])
    assert again.vendors() == []
    again.close()


# -- Elasticsearch's own -------------------------------------------------------------


@pytest.fixture
def server(tmp_path: Path) -> Iterator[NoidaServer]:
    server = NoidaServer(tmp_path / "noida")
    server.start()
    yield server
    server.stop()


def open_es(url: str, outbox: Path) -> ElasticsearchStore:
    return ElasticsearchStore(es_settings(url, "aw"), outbox)


def test_links_outlive_crawl_writes_that_waited_in_the_outbox(
    server: NoidaServer, tmp_path: Path
) -> None:
    es = open_es(server.url, tmp_path / "outbox.sqlite3")
    fill(es, make("g", title="Glock 19", price=500.0, entities=GLOCK))
    es.set_links({"g": "v-1"}, {"g": "d-1"})
    server.stop()
    fill(es, make("g", title="Glock 19", price=450.0, last_seen=T1, change="changed"))
    fill(es, make("g", title="Glock 19", price=450.0, last_seen=T2, change="unchanged"))
    assert es.outbox.depth().pending == 2
    es.close()

    server.start()
    again = open_es(server.url, tmp_path / "outbox.sqlite3")
    assert again.drain(force=True).remaining == 0
    assert ids(again, vendors=("v-1",), duplicate_clusters=("d-1",)) == ["g"]
    assert [v.price for v in again.versions("g")] == [500.0, 450.0]
    again.close()


def test_set_links_on_an_unreachable_cluster_says_so(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    es = open_es(url, tmp_path / "outbox.sqlite3")

    with pytest.raises(StoreUnavailable, match="cannot be reached"):
        es.set_links({"g": "v-1"}, {})
    es.close()


def test_an_index_of_the_previous_mapping_takes_the_new_fields(
    server: NoidaServer, tmp_path: Path
) -> None:
    """A cluster armswatch filled before entities and links: the first write of this
    armswatch adds their fields to the index, with its data kept."""
    es = open_es(server.url, tmp_path / "outbox.sqlite3")
    fill(es, make("old", title="Glock 19"))
    (index,) = es.layout.current_indices()
    old_fields = {
        name: spec
        for name, spec in LISTING_PROPERTIES.items()
        if name not in ("entities", "entity_keys", "entity_types", "entity_facets")
        and name not in ("vendor_id", "duplicate_cluster")
    }
    template = es.client.indices.get_index_template(name=es.names.template("listings"))
    body = template["index_templates"][0]["index_template"]
    es.client.indices.put_index_template(  # as the previous armswatch put it
        name=es.names.template("listings"),
        index_patterns=body["index_patterns"],
        template={
            "settings": body["template"]["settings"],
            "mappings": {"dynamic": "strict", "properties": old_fields},
        },
        version=1,
    )
    es.client.indices.delete(index=index)
    es.client.indices.create(index=index, aliases={es.names.listings: {"is_write_index": True}})
    es.client.index(
        index=index, id="old", document={"id": "old", "source": "m1", "url": "u"}, refresh=True
    )
    assert (
        "entity_keys"
        not in es.client.indices.get_mapping(index=index)[index]["mappings"]["properties"]
    )
    es.close()

    again = open_es(server.url, tmp_path / "outbox.sqlite3")
    fill(again, make("new", title="Glock 19", entities=GLOCK))
    again.set_links({"old": "v-1"}, {})

    depth = again.outbox.depth()
    assert (depth.pending, depth.failed) == (0, 0)
    assert ids(again, entities=("btc",)) == ["new"]
    assert ids(again, vendors=("v-1",)) == ["old"]
    assert again.layout.check().templates[again.names.template("listings")] == "ok"
    again.close()


# -- SQLite's own ----------------------------------------------------------------------


def test_a_version_3_file_is_migrated_with_its_data(tmp_path: Path) -> None:
    """A file as the third schema made it (its own SQL), with a listing and a review."""
    path = tmp_path / "armswatch.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE schema_version (version INTEGER)")
    conn.execute("INSERT INTO schema_version VALUES (3)")
    for script in _MIGRATIONS[:3]:
        conn.executescript(script)
    attachments = [{"name": "a.stl", "url": "https://m.example/a.stl", "ext": "stl", "size": None}]
    conn.execute(
        "INSERT INTO listings (id, source, url, title, last_seen, last_seen_epoch,"
        " attachments, threat_score, labels, verdict) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        ("old", "m1", "https://m.example/1", "Glock 19", T0, 0.0, json.dumps(attachments), 0.9,
         '["firearm"]', "confirmed"),
    )  # fmt: skip
    conn.execute("INSERT INTO listing_labels (listing_id, label) VALUES ('old', 'firearm')")
    conn.commit()
    conn.close()

    store = SqliteStore(path)
    old = store.get("old")
    assert old is not None
    assert (old.title, old.labels, old.entities, old.vendor_id) == (
        "Glock 19",
        ["firearm"],
        {},
        None,
    )
    assert old.attachments == [Attachment("a.stl", "https://m.example/a.stl", "stl")]
    assert ids(store, verdicts=("confirmed",), labels=("firearm",)) == ["old"]
    fill(store, make("new", title="Glock 17", entities=GLOCK))
    store.set_links({"old": "v-1"}, {"new": "d-1"})
    assert ids(store, entities=("pgp",)) == ["new"]
    assert ids(store, vendors=("v-1",)) == ["old"]
    assert store.facets(SearchQuery())["vendor"] == [("v-1", 1)]
    store.close()
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT version FROM schema_version").fetchall() == [(SCHEMA_VERSION,)]
    conn.close()


def test_a_key_s_listings_are_read_from_an_index(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "armswatch.sqlite3")
    fill(store, make("g", entities=GLOCK), make("a", entities=AMMO))
    executed: list[str] = []
    store._conn.set_trace_callback(executed.append)
    store.search(SearchQuery(entities=("caliber:9x19mm", "pgp")))
    store._conn.set_trace_callback(None)

    (page,) = [sql for sql in executed if "ORDER BY" in sql]
    steps = [row[-1] for row in store._conn.execute(f"EXPLAIN QUERY PLAN {page}")]
    assert any("INDEX listing_entities_key " in step for step in steps), steps
    assert any("INDEX listing_entities_type " in step for step in steps), steps
    store.close()


# -- the commands ------------------------------------------------------------------------


def hex_id(n: int) -> str:
    """Ids as the crawler makes them (32 hex digits), told apart by their first."""
    return f"{n:x}" * 32


@pytest.fixture(scope="module", params=CLI_STORES)
def cli(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[CliStore]:
    with cli_store(request.param, tmp_path_factory.mktemp("links")) as cli:
        store = cli.open()
        fill(
            store,
            make(hex_id(1), title="Glock 19", entities=GLOCK, threat_score=0.9),
            make(hex_id(2), title="Glock 19 again", entities=GLOCK, threat_score=0.8),
            make(hex_id(3), title="9mm ammo", entities=AMMO, threat_score=0.5),
            make(hex_id(4), title="Holster", threat_score=0.1),
        )
        store.set_links({hex_id(1): "v-1", hex_id(3): "v-1"}, {hex_id(1): "d", hex_id(2): "d"})
        store.close()
        yield cli


def found(cli: CliStore, *args: str) -> list[str]:
    result = run_cli("--data-dir", cli.data_dir, "search", "--json", *args, env=cli.env)
    assert result.returncode == 0, result.stderr
    return [json.loads(line)["id"] for line in result.stdout.splitlines()]


def test_search_filters_by_entity_vendor_and_duplicates(cli: CliStore) -> None:
    assert found(cli, "--entity", "email", "--entity", "pgp") == [hex_id(n) for n in (1, 2, 3)]
    assert found(cli, "--entity", "ships_from:NL") == [hex_id(3)]
    assert found(cli, "--vendor", "v-1") == [hex_id(1), hex_id(3)]
    assert found(cli, "--duplicate-of", hex_id(2)[:6]) == [hex_id(1), hex_id(2)]


def test_duplicate_of_a_listing_without_copies_or_unknown_is_refused(cli: CliStore) -> None:
    data = ("--data-dir", cli.data_dir)
    alone = run_cli(*data, "search", "--duplicate-of", hex_id(4), env=cli.env)
    assert alone.returncode == 2 and alone.stdout == ""
    assert f"listing {hex_id(4)} is in no near-duplicate cluster" in alone.stderr

    unknown = run_cli(*data, "search", "--duplicate-of", "abcdef", env=cli.env)
    assert unknown.returncode == 3 and "no listing with id 'abcdef'" in unknown.stderr


def test_search_facets_show_entities_and_vendors(cli: CliStore) -> None:
    data = ("--data-dir", cli.data_dir)
    result = run_cli(*data, "search", "--facets", "--json", "--entity", "btc", env=cli.env)
    assert result.returncode == 0, result.stderr
    counts = json.loads(result.stdout)["facets"]
    assert counts["entity_type"][0] == {"value": "btc", "count": 3}
    assert counts["caliber"] == [{"value": "9x19mm", "count": 3}, {"value": "12 gauge", "count": 1}]
    assert counts["vendor"] == [{"value": "v-1", "count": 2}]

    table = run_cli(*data, "search", "--facets", env=cli.env)
    assert table.returncode == 0, table.stderr
    assert "by entity_type" in table.stdout and "by ships_from" in table.stdout


def test_export_takes_the_new_filters(cli: CliStore, tmp_path: Path) -> None:
    data = ("--data-dir", cli.data_dir)
    result = run_cli(
        *data, "export", "jsonl", "--vendor", "v-1", "--entity", "email", "-o", "-", env=cli.env
    )
    assert result.returncode == 0, result.stderr
    assert [json.loads(line)["id"] for line in result.stdout.splitlines()] == [hex_id(3)]

    copies = run_cli(*data, "export", "jsonl", "--duplicate-of", hex_id(1), "-o", "-", env=cli.env)
    assert copies.returncode == 0, copies.stderr
    assert [json.loads(line)["id"] for line in copies.stdout.splitlines()] == [hex_id(1), hex_id(2)]
