"""Listing stores behind one interface, picked by the `store` setting."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from armswatch.stores.base import (
    FACETS,
    NOT_REVIEWED,
    SORTS,
    VERDICTS,
    CrawlRun,
    ListingVersion,
    Review,
    SearchQuery,
    SearchResult,
    Store,
    StoreError,
    StoreUnavailable,
    VendorLink,
    VendorProfile,
)

if TYPE_CHECKING:
    from armswatch.config import Config

__all__ = [
    "FACETS",
    "NOT_REVIEWED",
    "OUTBOX_FILE",
    "SORTS",
    "VERDICTS",
    "CrawlRun",
    "ListingVersion",
    "Review",
    "SearchQuery",
    "SearchResult",
    "Store",
    "StoreError",
    "StoreUnavailable",
    "VendorLink",
    "VendorProfile",
    "open_store",
    "store_location",
]


OUTBOX_FILE = "es-outbox.sqlite3"
"""Under the data directory: writes waiting for the Elasticsearch cluster."""


def open_store(config: Config) -> Store:
    """Open the configured store (`sqlite` under the data directory by default;
    `elasticsearch` with its outbox under the data directory)."""
    if config.settings.store == "elasticsearch":
        from armswatch.stores.elastic import ElasticsearchStore

        return ElasticsearchStore(config.settings.elasticsearch, config.data_dir / OUTBOX_FILE)
    from armswatch.stores.sqlite import SqliteStore

    return SqliteStore(_sqlite_path(config))


def store_location(config: Config) -> str:
    """Where the configured store keeps listings, in words for messages."""
    if config.settings.store == "elasticsearch":
        settings = config.settings.elasticsearch
        urls = ", ".join(str(url).rstrip("/") for url in settings.url)
        return f"the Elasticsearch index {settings.index_prefix}-listings at {urls}"
    return f"the SQLite store {_sqlite_path(config)}"


def _sqlite_path(config: Config) -> Path:
    return config.settings.sqlite.path or config.data_dir / "armswatch.sqlite3"
