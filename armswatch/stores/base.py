"""The store interface: what crawling, search and review need from a backend.

Backends (`sqlite`, later `elasticsearch`) implement `Store`; `open_store`
in this package picks one by the `store` setting.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from armswatch.listing import Listing


class StoreError(Exception):
    """The store cannot be opened or written; the message says what to do."""


@dataclass(frozen=True)
class SearchQuery:
    """Full-text query plus filters; every filter is optional."""

    text: str = ""
    labels: tuple[str, ...] = ()
    """Listings carrying any of these labels."""
    min_score: float | None = None
    """On the named labels' scores, or on `threat_score` when no label is named."""
    sources: tuple[str, ...] = ()
    langs: tuple[str, ...] = ()
    sellers: tuple[str, ...] = ()
    since: datetime | None = None
    """Listings last seen at or after this moment."""
    until: datetime | None = None
    limit: int = 20
    offset: int = 0


@dataclass(frozen=True)
class SearchResult:
    total: int
    listings: list[Listing]


@dataclass(frozen=True)
class ListingVersion:
    """One stored state of a listing's content; the price history is their prices."""

    version: int
    seen_at: str
    title: str
    text: str
    price: float | None
    currency: str | None
    content_sha256: str
    raw_sha256: str | None


@dataclass
class CrawlRun:
    """One crawl of one source: what it fetched and found (the audit summary)."""

    source: str
    started_at: str
    finished_at: str | None = None
    status: str = "running"
    stats: dict[str, Any] = field(default_factory=dict)
    id: int | None = None


VERDICTS = ("confirmed", "false_positive", "follow_up")
"""An analyst's verdict on a flagged listing."""


@dataclass(frozen=True)
class Review:
    """An analyst's verdict on a listing; the labels they agree with when confirmed.

    Reviews are evidence of the analysts' judgement and training data for the
    classifier: they are only ever added, never edited.
    """

    listing_id: str
    verdict: str
    analyst: str
    reviewed_at: str
    labels: tuple[str, ...] = ()
    note: str = ""
    id: int | None = None

    def __post_init__(self) -> None:
        if self.verdict not in VERDICTS:
            raise ValueError(f"verdict must be one of {', '.join(VERDICTS)}, not {self.verdict!r}")
        if self.verdict != "confirmed" and self.labels:
            raise ValueError("only a confirmed listing has labels")

    def training_labels(self) -> set[str] | None:
        """The labels to train on: confirmed ones, none for a false positive, and
        None (not training data) while the listing awaits follow-up."""
        if self.verdict == "follow_up":
            return None
        return set(self.labels)


class Store(Protocol):
    """A listing store. Writes are buffered until `commit`."""

    def get_many(self, ids: Iterable[str]) -> dict[str, Listing]:
        """The stored listings among `ids`, by id."""
        ...

    def get(self, listing_id: str) -> Listing | None: ...

    def ids_with_prefix(self, prefix: str, limit: int = 2) -> list[str]:
        """Ids starting with `prefix`, so people can type the short ids tables show."""
        ...

    def write(self, listing: Listing) -> None:
        """Store a listing according to `listing.change`: insert a new one (version 1),
        add a version to a changed one, or only move `last_seen` of an unchanged one."""
        ...

    def commit(self) -> None:
        """Make every write since the last commit durable."""
        ...

    def search(self, query: SearchQuery) -> SearchResult: ...

    def versions(self, listing_id: str) -> list[ListingVersion]:
        """All versions, oldest first."""
        ...

    def count(self) -> int: ...

    def start_run(self, source: str, started_at: str) -> CrawlRun: ...

    def finish_run(self, run: CrawlRun) -> None: ...

    def last_runs(self) -> dict[str, CrawlRun]:
        """The latest run of every source that has one."""
        ...

    def add_review(self, review: Review) -> Review:
        """Record a review at once (committing pending writes); returns it with its id."""
        ...

    def reviews(self, listing_ids: Iterable[str] | None = None) -> list[Review]:
        """Reviews of these listings (default: all), oldest first."""
        ...

    def close(self) -> None: ...
