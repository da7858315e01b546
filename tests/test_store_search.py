"""Search through the store interface, the same for every store: the sort orders
and their ties, keyset pages, score ranges and verdict filters, highlights of the
matched words, and facet counts."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any

import pytest

from armswatch.listing import Listing
from armswatch.stores import SearchQuery, Store
from armswatch.stores.base import FACETS, HIGHLIGHT_END, HIGHLIGHT_START, Review
from tests.listings import T0, T1, T2, fill, ids, make

S, E = HIGHLIGHT_START, HIGHLIGHT_END

# -- orders ---------------------------------------------------------------------------


@pytest.fixture
def scored(store: Store) -> Store:
    """Equal threat scores (ties broken by last seen, then id), one never seen."""
    fill(
        store,
        make("b-old", threat_score=0.9, last_seen=T0),
        make("c-new", threat_score=0.9, last_seen=T2),
        make("a-new", threat_score=0.9, last_seen=T2),
        make("low", threat_score=0.2, last_seen=T2),
        make("mid", threat_score=0.5, last_seen=T1),
        make("never", threat_score=0.9, last_seen=None),
    )
    return store


def test_score_order_breaks_ties_by_last_seen_then_id(scored: Store) -> None:
    expected = ["a-new", "c-new", "b-old", "never", "mid", "low"]

    assert ids(scored, sort="score") == expected
    assert ids(scored) == expected  # relevance without text: the threat score


def test_newest_order_breaks_ties_by_threat_score_then_id(scored: Store) -> None:
    assert ids(scored, sort="newest") == ["a-new", "c-new", "low", "mid", "b-old", "never"]


@pytest.fixture
def holsters(store: Store) -> Store:
    """One listing that names the word in its title, and four that only mention it
    in the same words (equal relevance: ties broken by score, last seen, id)."""
    fill(
        store,
        make("title", title="Glock 19 Gen5", text="Pistol in box", last_seen=T0),
        make("twin-b", title="Holster", text="Fits glock", threat_score=0.5, last_seen=T1),
        make("twin-a", title="Holster", text="Fits glock", threat_score=0.5, last_seen=T1),
        make("twin-old", title="Holster", text="Fits glock", threat_score=0.5, last_seen=T0),
        make("twin-high", title="Holster", text="Fits glock", threat_score=0.8, last_seen=T0),
        make("other", title="Holster", text="Fits a revolver", threat_score=1.0, last_seen=T2),
    )
    return store


def test_relevance_breaks_ties_by_score_last_seen_then_id(holsters: Store) -> None:
    assert ids(holsters, text="glock") == ["title", "twin-high", "twin-a", "twin-b", "twin-old"]


def test_text_can_be_sorted_by_score_or_newest(holsters: Store) -> None:
    assert ids(holsters, text="glock", sort="score") == [
        "twin-high",
        "twin-a",
        "twin-b",
        "twin-old",
        "title",
    ]
    assert ids(holsters, text="glock", sort="newest") == [
        "twin-a",
        "twin-b",
        "twin-high",
        "twin-old",
        "title",
    ]


# -- keyset pages -------------------------------------------------------------------


def catalogue() -> list[Listing]:
    """29 listings with many ties: five scores, four last-seen times (one unknown),
    two sources, titles that match "ammo" more or less strongly."""
    seen = [T0, T1, T2, None]
    return [
        make(
            f"l{n:02}",
            title="Ammo box" if n % 3 else "Ammo crate, ammo tins",
            text="Sealed, ammo can included" if n % 2 else "Sealed",
            threat_score=(n % 5) / 4,
            last_seen=seen[n % 4],
            source="forum-a" if n % 2 else "forum-b",
            labels=["ammunition"] if n % 3 else [],
        )
        for n in range(29)
    ]


def epoch(listing: Listing) -> float:
    return datetime.fromisoformat(listing.last_seen).timestamp() if listing.last_seen else 0.0


SORT_KEYS = {
    "score": lambda listing: (-listing.threat_score, -epoch(listing), listing.id),
    "newest": lambda listing: (-epoch(listing), -listing.threat_score, listing.id),
}


def every_page(store: Store, limit: int, **query: Any) -> tuple[list[list[str]], set[int]]:
    """The ids of every page, following the cursors, and the totals they report."""
    pages: list[list[str]] = []
    totals: set[int] = set()
    after = None
    while True:
        result = store.search(SearchQuery(limit=limit, after=after, **query))
        pages.append([listing.id for listing in result.listings])
        totals.add(result.total)
        if result.next_cursor is None:
            return pages, totals
        assert len(result.listings) == limit, "only a full page has a next page"
        after = result.next_cursor
        assert len(pages) < 50, "the cursors go round in circles"


@pytest.mark.parametrize(
    "query",
    [
        {"sort": "score"},
        {"sort": "newest"},
        {"sort": "relevance"},
        {"sort": "newest", "sources": ("forum-a",)},
        {"sort": "score", "labels": ("ammunition",)},
        {"sort": "score", "text": "ammo", "since": datetime(2026, 11, 21, tzinfo=UTC)},
        {"sort": "newest", "min_score": 0.25, "max_score": 0.75},
    ],
)
def test_pages_give_every_match_once_in_order(store: Store, query: dict[str, Any]) -> None:
    listings = catalogue()
    fill(store, *listings)
    everything = ids(store, limit=100, **query)

    pages, totals = every_page(store, limit=4, **query)

    assert len(pages) >= 3
    assert [listing_id for page in pages for listing_id in page] == everything
    assert totals == {len(everything)}
    sort = "score" if query["sort"] == "relevance" else query["sort"]
    matching = set(everything)
    expected = sorted((x for x in listings if x.id in matching), key=SORT_KEYS[sort])
    assert everything == [listing.id for listing in expected]


@pytest.mark.parametrize("query", [{"text": "ammo"}, {"text": "ammo", "sources": ("forum-b",)}])
def test_pages_by_relevance_give_every_match_once_in_order(
    store: Store, query: dict[str, Any]
) -> None:
    fill(store, *catalogue())
    everything = ids(store, limit=100, **query)

    pages, totals = every_page(store, limit=3, **query)

    assert len(pages) >= 3
    assert [listing_id for page in pages for listing_id in page] == everything
    assert totals == {len(everything)}


def test_a_page_that_ends_the_matches_has_no_cursor(store: Store) -> None:
    fill(store, *catalogue())

    exact = store.search(SearchQuery(text="crate", limit=10))
    wider = store.search(SearchQuery(text="crate", limit=11))

    assert exact.total == len(exact.listings) == 10
    assert exact.next_cursor is None and wider.next_cursor is None


def test_a_cursor_only_continues_its_own_search(store: Store) -> None:
    fill(store, *catalogue())

    def cursor(**query: Any) -> str:
        result = store.search(SearchQuery(limit=2, **query))
        assert result.next_cursor is not None
        return result.next_cursor

    by_score, by_date, by_text = cursor(sort="score"), cursor(sort="newest"), cursor(text="ammo")
    mismatched = [
        SearchQuery(sort="newest", after=by_score),
        SearchQuery(sort="score", after=by_date),
        SearchQuery(text="ammo", after=by_score),
        SearchQuery(sort="score", after=by_text),
        SearchQuery(text="box", after=by_text),
    ]
    for query in mismatched:
        with pytest.raises(ValueError, match="cursor"):
            store.search(query)


@pytest.mark.parametrize(
    "cursor",
    [
        "",
        "not a cursor",
        "%%%",
        base64.urlsafe_b64encode(b"{}").decode(),
        base64.urlsafe_b64encode(b'["score", 1, 2, 3, 4, 5, 6]').decode(),
        base64.urlsafe_b64encode(b'["score", {"a": 1}, [], null]').decode(),
        base64.urlsafe_b64encode(b'["score", 1e999, 0, "id"]').decode(),
        base64.urlsafe_b64encode(b'["score", 1, 100000000000000000000, "id"]').decode(),
        base64.urlsafe_b64encode(b'["score", true, 0, "id"]').decode(),
    ],
)
def test_a_malformed_cursor_is_refused(store: Store, cursor: str) -> None:
    fill(store, *catalogue())

    with pytest.raises(ValueError, match="cursor"):
        store.search(SearchQuery(sort="score", after=cursor))


# -- score ranges and verdicts ------------------------------------------------------


@pytest.fixture
def ranged(store: Store) -> Store:
    fill(
        store,
        make(
            "gun",
            scores={"firearm": 0.9, "ammunition": 0.2},
            labels=["firearm"],
            threat_score=0.9,
        ),
        make(
            "ammo",
            scores={"firearm": 0.3, "ammunition": 0.6},
            labels=["ammunition"],
            threat_score=0.6,
        ),
        make(
            "print",
            scores={"blueprints": 0.95, "firearm": 0.5},
            labels=["blueprints", "firearm"],
            threat_score=0.95,
        ),
        make("none", threat_score=0.0),
    )
    return store


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"max_score": 0.6}, {"ammo", "none"}),  # inclusive, as min_score
        ({"max_score": 0.59}, {"none"}),
        ({"min_score": 0.6, "max_score": 0.9}, {"gun", "ammo"}),
        ({"min_score": 0.7, "max_score": 0.6}, set()),
        ({"labels": ("firearm",), "max_score": 0.5}, {"print"}),
        ({"labels": ("firearm",), "min_score": 0.4, "max_score": 0.6}, {"print"}),
        ({"labels": ("firearm", "ammunition"), "min_score": 0.55, "max_score": 0.7}, {"ammo"}),
        # One score of a named label lies in the range: gun (0.9 and 0.2) and ammo (0.3
        # and 0.6) have one above and one below it, none inside.
        ({"labels": ("firearm", "ammunition"), "min_score": 0.5, "max_score": 0.55}, {"print"}),
    ],
)
def test_score_ranges(ranged: Store, query: dict[str, Any], expected: set[str]) -> None:
    assert set(ids(ranged, **query)) == expected


def verdict(store: Store, listing_id: str, verdict: str, *labels: str) -> None:
    store.add_review(Review(listing_id, verdict, "analyst1", T1, labels=labels))


@pytest.fixture
def reviewed(store: Store) -> Store:
    """Five flagged listings, four reviewed (two of them twice: the latest counts)."""
    fill(
        store,
        *(
            make(name, threat_score=score, labels=["firearm"], scores={"firearm": score})
            for name, score in [("a", 0.9), ("b", 0.8), ("c", 0.7), ("d", 0.6), ("e", 0.5)]
        ),
    )
    verdict(store, "a", "follow_up")
    verdict(store, "a", "confirmed", "firearm")
    verdict(store, "b", "confirmed", "parts")
    verdict(store, "b", "false_positive")
    verdict(store, "c", "follow_up")
    verdict(store, "d", "false_positive")
    verdict(store, "d", "follow_up")
    return store


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"verdicts": ("none",)}, ["e"]),
        ({"verdicts": ("confirmed",)}, ["a"]),
        ({"verdicts": ("false_positive",)}, ["b"]),
        ({"verdicts": ("follow_up",)}, ["c", "d"]),
        ({"verdicts": ("none", "follow_up")}, ["c", "d", "e"]),
        ({"verdicts": ("confirmed", "false_positive")}, ["a", "b"]),
        ({}, ["a", "b", "c", "d", "e"]),
        ({"verdicts": ("follow_up",), "max_score": 0.65}, ["d"]),
    ],
)
def test_verdict_filters_read_the_latest_review(
    reviewed: Store, query: dict[str, Any], expected: list[str]
) -> None:
    assert ids(reviewed, sort="score", **query) == expected


def test_a_new_review_moves_a_listing_between_verdicts(reviewed: Store) -> None:
    verdict(reviewed, "e", "confirmed", "firearm")
    verdict(reviewed, "c", "false_positive")

    assert ids(reviewed, verdicts=("none",)) == []
    assert ids(reviewed, verdicts=("confirmed",)) == ["a", "e"]
    assert ids(reviewed, verdicts=("false_positive",)) == ["b", "c"]
    assert reviewed.search(SearchQuery(verdicts=("follow_up",))).total == 1


def test_verdicts_are_counted_as_a_facet(reviewed: Store) -> None:
    assert reviewed.facets(SearchQuery())["verdict"] == [
        ("follow_up", 2),
        ("confirmed", 1),
        ("false_positive", 1),
        ("none", 1),
    ]
    assert reviewed.facets(SearchQuery(min_score=0.7), size=2)["verdict"] == [
        ("confirmed", 1),
        ("false_positive", 1),
    ]


def test_an_unknown_verdict_is_refused() -> None:
    with pytest.raises(ValueError, match="verdicts must be among"):
        SearchQuery(verdicts=("maybe",))


def test_pages_of_unreviewed_listings_give_each_once_in_order(store: Store) -> None:
    listings = catalogue()
    fill(store, *listings)
    for listing in listings[::3]:
        verdict(store, listing.id, "false_positive")
    for listing in listings[1::6]:
        verdict(store, listing.id, "follow_up")
    reviewed = {listing.id for listing in listings[::3] + listings[1::6]}
    expected = [x.id for x in sorted(listings, key=SORT_KEYS["score"]) if x.id not in reviewed]

    pages, totals = every_page(store, limit=4, sort="score", verdicts=("none",))

    assert len(pages) >= 3
    assert [listing_id for page in pages for listing_id in page] == expected
    assert totals == {len(expected)}


# -- highlights -----------------------------------------------------------------------


@pytest.fixture
def replicas(store: Store) -> Store:
    fill(
        store,
        make(
            "fr",
            title="Réplique Glock 17",
            text="Pistolet à billes, réplique en bon état.",
            seller="Replique Shop",
            price=120.0,
            currency="EUR",
        ),
        make("holster", title="Holster cuir", text="Pour Glock 17", seller="Atelier Nord"),
    )
    return store


def test_highlights_mark_the_matched_words_in_every_field(replicas: Store) -> None:
    result = replicas.search(SearchQuery(text="replique"))

    assert [listing.id for listing in result.listings] == ["fr"]
    marks = result.highlights["fr"]
    assert marks["title"] == [f"{S}Réplique{E} Glock 17"]
    assert marks["seller"] == [f"{S}Replique{E} Shop"]
    assert len(marks["text"]) == 1 and f"billes, {S}réplique{E} en bon" in marks["text"][0]


def test_only_the_fields_that_matched_are_highlighted(replicas: Store) -> None:
    result = replicas.search(SearchQuery(text="glock"))

    assert result.highlights == {
        "fr": {"title": [f"Réplique {S}Glock{E} 17"]},
        "holster": {"text": [f"Pour {S}Glock{E} 17"]},
    }


def test_every_word_of_the_query_is_marked(replicas: Store) -> None:
    result = replicas.search(SearchQuery(text="glock REPLIQUE"))

    assert result.highlights["fr"]["title"] == [f"{S}Réplique{E} {S}Glock{E} 17"]


def test_every_sort_of_a_text_search_is_highlighted(replicas: Store) -> None:
    result = replicas.search(SearchQuery(text="atelier", sort="newest"))

    assert result.highlights == {"holster": {"seller": [f"{S}Atelier{E} Nord"]}}


def test_a_filter_only_search_has_no_highlights(replicas: Store) -> None:
    result = replicas.search(SearchQuery(sellers=("Replique Shop",)))

    assert [listing.id for listing in result.listings] == ["fr"]
    assert result.highlights == {}


# -- facets ---------------------------------------------------------------------------


@pytest.fixture
def faceted(store: Store) -> Store:
    fill(
        store,
        make(
            "a",
            title="Ammo crate",
            source="forum-a",
            lang="en",
            seller="alice",
            labels=["firearm", "parts"],
            last_seen="2026-11-21T23:30:00-05:00",  # 2026-11-22 04:30 UTC
        ),
        make(
            "b",
            title="Ammo box",
            source="forum-b",
            lang="de",
            seller="bob",
            labels=["firearm"],
            last_seen=T1,
        ),
        make("c", title="Holster", source="forum-b", lang="en", labels=[], last_seen=T0),
        make(
            "d",
            title="Ammo tin",
            source="forum-b",
            lang="en",
            seller="",
            labels=["ammunition"],
            last_seen=T2,
        ),
    )
    return store


NOTHING_LINKED = {"entity_type": [], "ships_from": [], "caliber": [], "vendor": []}
"""The facets of listings without entities or vendors (tests/test_store_links.py has
some)."""


def test_facets_count_every_match(faceted: Store) -> None:
    assert faceted.facets(SearchQuery()) == {
        "labels": [("firearm", 2), ("ammunition", 1), ("parts", 1)],
        "source": [("forum-b", 3), ("forum-a", 1)],
        "lang": [("en", 3), ("de", 1)],
        "seller": [("alice", 1), ("bob", 1)],
        "day": [("2026-11-22", 2), ("2026-11-21", 1), ("2026-11-20", 1)],
        "verdict": [("none", 4)],
        **NOTHING_LINKED,
    }


def test_facets_count_only_the_matches_of_text_and_filters(faceted: Store) -> None:
    query = SearchQuery(text="ammo", sources=("forum-b",), sort="newest", limit=1)

    assert faceted.facets(query) == {
        "labels": [("ammunition", 1), ("firearm", 1)],
        "source": [("forum-b", 2)],
        "lang": [("de", 1), ("en", 1)],
        "seller": [("bob", 1)],
        "day": [("2026-11-22", 1), ("2026-11-21", 1)],
        "verdict": [("none", 2)],
        **NOTHING_LINKED,
    }
    assert faceted.facets(SearchQuery(labels=("parts",)))["labels"] == [
        ("firearm", 1),
        ("parts", 1),
    ]


def test_facets_keep_the_commonest_values_and_latest_days(faceted: Store) -> None:
    top = faceted.facets(SearchQuery(), size=1)

    assert top == {
        "labels": [("firearm", 2)],
        "source": [("forum-b", 3)],
        "lang": [("en", 3)],
        "seller": [("alice", 1)],
        "day": [("2026-11-22", 2)],
        "verdict": [("none", 4)],
        **NOTHING_LINKED,
    }


def test_facets_of_no_match_are_empty(faceted: Store) -> None:
    assert faceted.facets(SearchQuery(text="nothing matches this")) == {name: [] for name in FACETS}
