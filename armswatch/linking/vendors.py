"""Vendor profiles: the listings behind one person, found through what they share.

Two listings belong to one vendor when they share an identifying entity (a PGP
fingerprint, a crypto address, an e-mail address, a phone number, a messenger
handle: `IDENTIFYING_KEY_TYPES`), or carry the same seller name (case-folded) on
sources of one `family`. A profile is a connected component of those links (A
and B share a key, B and C an address: A, B and C are one vendor), and keeps
each shared key with the listings that carry it as its evidence. A listing that
shares nothing with another is no vendor: one listing alone links nothing.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from armswatch import LABELS
from armswatch.entities.model import IDENTIFYING_KEY_TYPES, Entities
from armswatch.linking.unionfind import DisjointSets
from armswatch.stores.base import VendorLink, VendorProfile

SELLER_KEY_TYPE = "seller"
"""Key type of a seller name on the markets of one family: "seller:<family>:<name>"."""


def linking_keys(
    entities: Mapping[str, list[Any]], seller: str | None, family: str | None
) -> list[str]:
    """The keys that tie a listing to its vendor: its identifying entities (as
    `Entities.keys()` writes them) and, on a source of a family, its seller name."""
    found = Entities.from_json(dict(entities)).keys()  # its findings, not a dict's keys
    keys = [key for key in found if key.split(":", 1)[0] in IDENTIFYING_KEY_TYPES]
    if family and seller:
        keys.append(f"{SELLER_KEY_TYPE}:{family}:{seller.casefold()}")
    return keys


def vendor_id(smallest_key: str) -> str:
    """A profile's id: stable from one linking to the next as long as the smallest
    key that joins its listings does (new listings and keys never change it)."""
    return hashlib.sha256(smallest_key.encode()).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class ListingFacts:
    """What a vendor profile shows of one listing (linking keeps no text)."""

    id: str
    source: str
    seller: str | None
    first_seen: str | None
    last_seen: str | None
    labels: tuple[str, ...]


class VendorLinker:
    """Collects listings with their keys, then groups them into vendor profiles."""

    def __init__(self) -> None:
        self.sets = DisjointSets()
        self.facts: list[ListingFacts] = []
        self.holders: dict[str, list[int]] = {}
        """Each key and the numbers of the listings that carry it."""

    def add(self, facts: ListingFacts, keys: Iterable[str]) -> None:
        number = self.sets.add()
        self.facts.append(facts)
        for key in keys:
            holders = self.holders.setdefault(key, [])
            if holders:
                self.sets.union(holders[0], number)
            holders.append(number)

    def profiles(self) -> list[VendorProfile]:
        """Every vendor of two or more listings, most listings first, then by id."""
        links: dict[int, list[VendorLink]] = defaultdict(list)
        for key, holders in sorted(self.holders.items()):
            if len(holders) > 1:
                ids = tuple(sorted(self.facts[number].id for number in holders))
                links[self.sets.find(holders[0])].append(VendorLink(key, ids))
        profiles = [
            self._profile([self.facts[n] for n in group], links[self.sets.find(group[0])])
            for group in self.sets.groups()
        ]
        return sorted(profiles, key=lambda p: (-len(p.listing_ids), p.id))

    @staticmethod
    def _profile(listings: list[ListingFacts], links: list[VendorLink]) -> VendorProfile:
        first = [f.first_seen for f in listings if f.first_seen]
        last = [f.last_seen for f in listings if f.last_seen]
        labels = {label for f in listings for label in f.labels}
        return VendorProfile(
            id=vendor_id(links[0].key),  # links are sorted by key
            listing_ids=tuple(sorted(f.id for f in listings)),
            sources=tuple(sorted({f.source for f in listings})),
            sellers=tuple(sorted({f.seller for f in listings if f.seller})),
            links=tuple(links),
            first_seen=min(first, default=None),
            last_seen=max(last, default=None),
            labels=tuple(label for label in LABELS if label in labels),
        )
