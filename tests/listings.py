"""Listings as the pipelines hand them to a store, and short ways to store and find them."""

from __future__ import annotations

from dataclasses import replace

from armswatch.listing import Listing, content_hash
from armswatch.stores import SearchQuery, Store
from armswatch.stores.elastic import ElasticsearchStore
from armswatch.stores.sqlite import SqliteStore

T0 = "2026-11-20T10:00:00+00:00"
T1 = "2026-11-21T10:00:00+00:00"
T2 = "2026-11-22T10:00:00+00:00"


def make(id: str, **fields: object) -> Listing:
    """A classified listing as the pipelines hand it to the store."""
    listing = Listing(
        id=id,
        source=str(fields.pop("source", "demo-market")),
        url=f"https://market.example/item/{id}",
        first_seen=T0,
        last_seen=T0,
        change="new",
    )
    listing = replace(listing, **fields)  # type: ignore[arg-type]
    listing.content_sha256 = listing.content_sha256 or content_hash(listing)
    return listing


def fill(store: Store, *listings: Listing) -> None:
    for listing in listings:
        store.write(listing)
    store.commit()


def ids(store: Store, **query: object) -> list[str]:
    return [listing.id for listing in store.search(SearchQuery(**query)).listings]  # type: ignore[arg-type]


def reopen(store: Store) -> Store:
    """The same store opened again (its files or its indices), as a new process would."""
    if isinstance(store, ElasticsearchStore):
        return ElasticsearchStore(store.settings, store.outbox.path)
    assert isinstance(store, SqliteStore)
    return SqliteStore(store.path)
