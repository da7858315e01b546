"""Relinking: vendor profiles and near-duplicate clusters over the whole store.

Both are recomputed from every stored listing (after each crawl, and with
`armswatch link`), because a new listing can join two vendors or two clusters
found before. Only the listings whose vendor or cluster changed are written.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from armswatch.config import Config
from armswatch.linking.duplicates import DuplicateFinder
from armswatch.linking.vendors import ListingFacts, VendorLinker, linking_keys
from armswatch.stores import Store


@dataclass(frozen=True)
class LinkSummary:
    listings: int
    """Listings read."""
    vendors: int
    linked_listings: int
    """Listings that belong to a vendor profile."""
    clusters: int
    clustered_listings: int
    """Listings that belong to a near-duplicate cluster."""
    changed: int
    """Listings whose vendor or cluster changed."""


def relink(
    store: Store, config: Config, progress: Callable[[int], None] | None = None
) -> LinkSummary:
    """Recompute vendors and near-duplicate clusters, store them, and say what was
    found. `progress` is called with the number of listings read so far.

    Listings keep the entities the crawl extracted: one stored before the
    entities step existed links by its seller name only, until a crawl sees it again.
    """
    families = {name: source.family for name, source in config.sources.items()}
    vendors, duplicates = VendorLinker(), DuplicateFinder()
    before: dict[str, tuple[str | None, str | None]] = {}
    read = 0
    for listing in store.iter_listings():
        facts = ListingFacts(
            listing.id,
            listing.source,
            listing.seller,
            listing.first_seen,
            listing.last_seen,
            tuple(listing.labels),
        )
        vendors.add(
            facts, linking_keys(listing.entities, listing.seller, families.get(listing.source))
        )
        duplicates.add(listing.id, listing.title, listing.text)
        if listing.vendor_id or listing.duplicate_cluster:
            before[listing.id] = (listing.vendor_id, listing.duplicate_cluster)
        read += 1
        if progress is not None:
            progress(read)
    profiles = vendors.profiles()
    vendor_of = {listing_id: p.id for p in profiles for listing_id in p.listing_ids}
    cluster_of = duplicates.clusters()
    vendor_changes = _changes(vendor_of, {i: v for i, (v, _) in before.items() if v})
    cluster_changes = _changes(cluster_of, {i: c for i, (_, c) in before.items() if c})
    store.replace_vendors(profiles)
    store.set_links(vendor_changes, cluster_changes)
    return LinkSummary(
        listings=read,
        vendors=len(profiles),
        linked_listings=len(vendor_of),
        clusters=len(set(cluster_of.values())),
        clustered_listings=len(cluster_of),
        changed=len(vendor_changes.keys() | cluster_changes.keys()),
    )


def _changes(now: dict[str, str], before: dict[str, str]) -> dict[str, str | None]:
    """What to write: new values, and None for listings that left theirs."""
    changes: dict[str, str | None] = {i: None for i in before.keys() - now.keys()}
    changes.update({i: value for i, value in now.items() if before.get(i) != value})
    return changes
