"""Linking across listings: vendor profiles (listings that share a key, an
address, a contact or a seller name within a market family) and near-duplicate
clusters (the same listing on several sites, or posted again)."""

from __future__ import annotations

from armswatch.linking.duplicates import DuplicateFinder
from armswatch.linking.linker import LinkSummary, relink
from armswatch.linking.vendors import ListingFacts, VendorLinker, linking_keys

__all__ = [
    "DuplicateFinder",
    "LinkSummary",
    "ListingFacts",
    "VendorLinker",
    "linking_keys",
    "relink",
]
