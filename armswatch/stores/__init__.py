"""Listing stores behind one interface, picked by the `store` setting."""

from __future__ import annotations

from typing import TYPE_CHECKING

from armswatch.stores.base import (
    CrawlRun,
    ListingVersion,
    Review,
    SearchQuery,
    SearchResult,
    Store,
    StoreError,
)

if TYPE_CHECKING:
    from armswatch.config import Config

__all__ = [
    "VERDICTS",
    "CrawlRun",
    "ListingVersion",
    "Review",
    "SearchQuery",
    "SearchResult",
    "Store",
    "StoreError",
    "open_store",
]


def open_store(config: Config) -> Store:
    """Open the configured store (`sqlite` under the data directory by default)."""
    from armswatch.stores.sqlite import SqliteStore

    path = config.settings.sqlite.path or config.data_dir / "armswatch.sqlite3"
    return SqliteStore(path)
