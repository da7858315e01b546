"""Records, versions, runs and reviews: the same behaviour from every store.

The `store` fixture runs each test on SQLite, on Elasticsearch (noida-db) and,
when ARMSWATCH_ES_URL is set, on a real cluster.
"""

from __future__ import annotations

import pytest

from armswatch.listing import Attachment, content_hash
from armswatch.stores import Store
from armswatch.stores.base import CrawlRun, Review
from tests.listings import T0, T1, T2, fill, ids, make, reopen

# -- records and versions ---------------------------------------------------------


def test_round_trip_is_exact(store: Store) -> None:
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


def test_data_survives_reopening(store: Store) -> None:
    fill(store, make("a1", title="Mauser"))
    store.close()

    again = reopen(store)

    assert again.count() == 1
    assert ids(again, text="mauser") == ["a1"]
    again.close()


def test_write_without_change_marker_is_refused(store: Store) -> None:
    with pytest.raises(ValueError, match="change"):
        store.write(make("a1", change=None))


def test_new_listing_gets_version_one(store: Store) -> None:
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


def test_changed_listing_adds_versions_and_keeps_first_seen(store: Store) -> None:
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


def test_a_price_change_alone_is_a_new_version(store: Store) -> None:
    fill(store, make("a1", title="Scope", price=100.0, currency="EUR"))
    fill(
        store, make("a1", title="Scope", price=80.0, currency="EUR", last_seen=T1, change="changed")
    )

    assert [(v.version, v.price) for v in store.versions("a1")] == [(1, 100.0), (2, 80.0)]


def test_unchanged_listing_only_moves_last_seen(store: Store) -> None:
    fill(
        store,
        make(
            "a1",
            title="Scope",
            raw_sha256="1" * 64,
            scores={"parts": 0.7},
            labels=["parts"],
            classifier_version="rules-1",
        ),
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
        classifier_version="rules-2",
    )

    fill(store, seen_again)

    stored = store.get("a1")
    assert stored is not None
    assert (stored.first_seen, stored.last_seen, stored.raw_sha256) == (T0, T2, "2" * 64)
    assert (stored.scores, stored.labels, stored.classifier_version) == (
        {"parts": 0.7},
        ["parts"],
        "rules-1",
    )
    assert [v.version for v in store.versions("a1")] == [1]
    assert seen_again.version == 1
    assert ids(store, labels=("parts",)) == ["a1"]


def test_an_unclassified_listing_takes_its_first_classification(store: Store) -> None:
    """Stored while no classifier ran: the next crawl's scores are kept, with no
    new version (the content did not change)."""
    fill(store, make("a1", title="Flare launcher"))
    classified = make(
        "a1",
        title="Flare launcher",
        last_seen=T1,
        change="unchanged",
        scores={"firearm": 0.9},
        labels=["firearm"],
        threat_score=0.9,
        classifier_version="rules-1",
    )

    fill(store, classified)

    stored = store.get("a1")
    assert stored is not None
    assert (stored.labels, stored.classifier_version, stored.last_seen) == (
        ["firearm"],
        "rules-1",
        T1,
    )
    assert [v.version for v in store.versions("a1")] == [1]
    assert ids(store, labels=("firearm",)) == ["a1"]


@pytest.mark.parametrize("marker", ["new", "changed"])
def test_the_stored_content_decides_not_a_stale_marker(store: Store, marker: str) -> None:
    """Two crawls that both saw a listing as new, or one that saw a change another
    crawl stored first: the content decides whether it is a new version."""
    fill(store, make("a1", title="Stock"))

    same = make("a1", title="Stock", change=marker, last_seen=T1)
    fill(store, same)
    assert [v.version for v in store.versions("a1")] == [1]
    assert same.version == 1

    changed = make("a1", title="Stock, folding", change="new", last_seen=T2)
    missing = make("b2", title="Barrel", change="unchanged")
    fill(store, changed, missing)

    assert [v.version for v in store.versions("a1")] == [1, 2]
    assert changed.version == 2
    assert store.get("b2") is not None
    assert [v.version for v in store.versions("b2")] == [1]


def test_missing_content_hash_is_computed(store: Store) -> None:
    listing = make("a1", title="Bayonet")
    listing.content_sha256 = None

    fill(store, listing)

    assert listing.content_sha256 == content_hash(listing)
    assert store.versions("a1")[0].content_sha256 == listing.content_sha256


def test_get_many_chunks_long_id_lists(store: Store) -> None:
    fill(store, *(make(f"id{n}") for n in range(1200)))

    wanted = [f"id{n}" for n in range(0, 2400, 2)]
    found = store.get_many(wanted)

    assert set(found) == {f"id{n}" for n in range(0, 1200, 2)}
    assert found["id4"].id == "id4"
    assert store.count() == 1200


def test_an_empty_store_answers_reads(store: Store) -> None:
    assert store.get_many(["a1", "b2"]) == {}
    assert store.versions("a1") == []
    assert store.count() == 0
    assert store.last_runs() == {}
    assert store.reviews() == []
    assert ids(store, text="rifle") == []


# -- crawl runs ---------------------------------------------------------------------


def test_runs_record_the_latest_per_source(store: Store) -> None:
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
    assert len({first.id, second.id, other.id}) == 3 and None not in {first.id, second.id}


def test_runs_are_durable_without_commit(store: Store) -> None:
    run = store.start_run("forum-a", T0)
    store.write(make("a1"))
    run.status = "finished"
    store.finish_run(run)  # commits the pending write with it
    store.close()

    again = reopen(store)
    assert again.last_runs()["forum-a"].status == "finished"
    assert again.count() == 1
    again.close()


def test_finish_run_needs_a_started_run(store: Store) -> None:
    with pytest.raises(ValueError):
        store.finish_run(CrawlRun(source="forum-a", started_at=T0))


# -- reviews ----------------------------------------------------------------------


def review(listing_id: str, verdict: str, *labels: str, at: str = T1) -> Review:
    return Review(listing_id, verdict, "analyst1", at, labels=labels, note="checked")


def test_reviews_are_kept_in_order_and_durable(store: Store) -> None:
    fill(store, make("a", title="Glock 19"), make("b", title="glue gun"))
    first = store.add_review(review("a", "follow_up"))
    second = store.add_review(review("a", "confirmed", "firearm", "parts", at=T2))
    third = store.add_review(review("b", "false_positive"))
    assert len({first.id, second.id, third.id}) == 3 and first.id is not None
    store.close()  # without commit: a review is committed when added

    again = reopen(store)
    assert again.reviews() == [first, second, third]
    assert again.reviews(["a"]) == [first, second]
    assert again.reviews(["b", "missing"]) == [third]
    assert second.labels == ("firearm", "parts") and second.note == "checked"
    again.close()


def test_a_review_needs_a_stored_listing(store: Store) -> None:
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


def test_a_verdict_outlives_later_crawls_of_its_listing(store: Store) -> None:
    fill(store, make("a", title="Glock 19", labels=["firearm"]), make("b", title="Holster"))
    store.add_review(review("a", "confirmed", "firearm"))

    # Seen again unchanged, then with new content, then unchanged in the same batch
    # as a new listing: no crawl write drops the analyst's verdict.
    fill(store, make("a", title="Glock 19", labels=["firearm"], last_seen=T1, change="unchanged"))
    assert ids(store, verdicts=("confirmed",)) == ["a"]
    changed = make("a", title="Glock 19, two mags", last_seen=T2, change="changed")
    fill(store, changed, make("c", title="Scope"))
    fill(store, make("a", title="Glock 19, two mags", last_seen=T2, change="unchanged"))

    assert changed.version == 2
    assert ids(store, verdicts=("confirmed",)) == ["a"]
    assert sorted(ids(store, verdicts=("none",))) == ["b", "c"]
    store.close()
    again = reopen(store)
    assert ids(again, verdicts=("confirmed",), text="mags") == ["a"]
    again.close()
