"""The store interface: what crawling, search and review need from a backend.

Backends (`sqlite`, `elasticsearch`) implement `Store`; `open_store` in this
package picks one by the `store` setting. Both read one search model,
`SearchQuery`, and agree on its results for the same data.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import math
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol

from armswatch.entities.model import Entities
from armswatch.listing import Listing


class StoreError(Exception):
    """The store cannot be opened or written; the message says what to do."""


class StoreUnavailable(StoreError):
    """The store's server cannot be reached just now (writes wait in the outbox)."""


Sort = Literal["relevance", "score", "newest"]
SORTS: tuple[Sort, ...] = ("relevance", "score", "newest")
"""relevance: best text match first (the threat score without text); score:
highest threat score first; newest: last seen first. Ties: threat score, last
seen, id."""

FACETS = (
    "labels", "source", "lang", "seller", "day", "verdict",
    "entity_type", "ships_from", "caliber", "vendor",
)  # fmt: skip
"""What `Store.facets` counts; `day` is the UTC day a listing was last seen, `verdict`
its latest analyst verdict (NOT_REVIEWED when it has none), `entity_type` the types of
its entity keys (btc, pgp, email, handle, caliber, ...: a listing counts once per type),
`ships_from` and `caliber` the values of those entity keys, `vendor` its vendor id."""

KEY_FACETS = {"ships_from": "ships_from", "caliber": "caliber"}
"""The facets of FACETS that count the values of one entity key type: name -> key type."""

VERDICTS = ("confirmed", "false_positive", "follow_up")
"""An analyst's verdict on a flagged listing."""

NOT_REVIEWED = "none"
"""In `SearchQuery.verdicts` and the `verdict` facet: listings no analyst has reviewed."""

HIGHLIGHT_START = "\ue000"
HIGHLIGHT_END = "\ue001"
"""Around matched words in `SearchResult.highlights` (private-use characters, so that
each reader marks them its own way: the CLI in colour, the web app as <mark>)."""


@dataclass(frozen=True)
class SearchQuery:
    """Full-text query plus filters; every filter is optional."""

    text: str = ""
    labels: tuple[str, ...] = ()
    """Listings carrying any of these labels."""
    min_score: float | None = None
    """On the named labels' scores, or on `threat_score` when no label is named."""
    max_score: float | None = None
    """Read as `min_score`; with both, one score (of a named label) lies between them."""
    sources: tuple[str, ...] = ()
    langs: tuple[str, ...] = ()
    sellers: tuple[str, ...] = ()
    since: datetime | None = None
    """Listings last seen at or after this moment."""
    until: datetime | None = None
    verdicts: tuple[str, ...] = ()
    """Listings whose latest review has one of these verdicts (NOT_REVIEWED: no review)."""
    entities: tuple[str, ...] = ()
    """Listings with any of these entity keys ("btc:bc1q...", "pgp:<FINGERPRINT>"); a
    bare type without a colon ("btc", "pgp") matches any key of that type."""
    vendors: tuple[str, ...] = ()
    """Listings linked to any of these vendor ids."""
    duplicate_clusters: tuple[str, ...] = ()
    """Listings in any of these near-duplicate clusters."""
    limit: int = 20
    sort: Sort = "relevance"
    after: str | None = None
    """The `next_cursor` of the previous page: the page after it (keyset paging, as
    Elasticsearch's search_after: stable and fast however deep)."""

    def __post_init__(self) -> None:
        if self.limit < 1:
            raise ValueError("limit must be at least 1")
        if self.sort not in SORTS:
            raise ValueError(f"sort must be one of {', '.join(SORTS)}, not {self.sort!r}")
        unknown = set(self.verdicts) - {*VERDICTS, NOT_REVIEWED}
        if unknown:
            choices = ", ".join((*VERDICTS, NOT_REVIEWED))
            raise ValueError(f"verdicts must be among {choices}, not {sorted(unknown)}")

    @property
    def ranks_by_text(self) -> bool:
        """Ordered by text rank: relevance, with words to match."""
        return self.sort == "relevance" and bool(query_terms(self.text))

    @property
    def order_name(self) -> str:
        """The order a cursor belongs to: relevance for these very words (their digest),
        else score (relevance without words is the score order) or newest."""
        if self.ranks_by_text:
            words = json.dumps([dataclasses.astuple(t) for t in query_terms(self.text)])
            return "relevance:" + hashlib.sha256(words.encode()).hexdigest()[:12]
        return "newest" if self.sort == "newest" else "score"

    def cursor_values(self, length: int) -> list[Any]:
        """The `length` sort values in `after`; ValueError for a cursor of another order."""
        name, *values = decode_cursor(self.after or "", length + 1)
        if name != self.order_name:
            raise ValueError(f"not a cursor of this search (sort or text changed?): {self.after!r}")
        *numbers, last_id = values
        if not (isinstance(last_id, str) and all(map(_is_sort_number, numbers))):
            raise ValueError(f"not a search cursor: {self.after!r}")
        return values

    def cursor(self, values: list[Any]) -> str:
        """The cursor after a hit with these sort values."""
        return encode_cursor([self.order_name, *values])


def entity_keys(entities: Mapping[str, list[Any]]) -> list[str]:
    """The `type:value` keys of a listing's entities (`Listing.entities`), the values the
    stores index for `SearchQuery.entities`; none before the entities step ran."""
    return Entities.from_json(dict(entities)).keys() if entities else []


def key_type(key: str) -> str:
    """An entity key's type ("btc" of "btc:bc1q..."); a bare type is its own type."""
    return key.split(":", 1)[0]


def key_value(key: str) -> str:
    """An entity key without its type ("DE" of "ships_from:DE")."""
    return key.split(":", 1)[1] if ":" in key else ""


@dataclass(frozen=True)
class SearchResult:
    total: int
    listings: list[Listing]
    highlights: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    """Per listing id, per field (title, text, seller), fragments with the matched
    words between HIGHLIGHT_START and HIGHLIGHT_END; only for a text query."""
    next_cursor: str | None = None
    """Pass as `SearchQuery.after` for the next page; None on the last page."""


_QUERY_PART = re.compile(r'"([^"]*)"|(\S+)')
"""A query's parts: a "quoted phrase" or a run of non-space characters."""


@dataclass(frozen=True)
class QueryTerm:
    """One part of a user's query text; every part must match."""

    text: str
    phrase: bool = False
    """Quoted by the user: the words in this order."""
    prefix: bool = False
    """Ended in `*`: words starting with it."""


def query_terms(text: str) -> list[QueryTerm]:
    """User text as terms, each store's single reading of it: `"a phrase"` stays a
    phrase, a trailing `*` on an unquoted term makes a prefix, and parts without a
    letter or digit (`(`, `-`, `*`) are dropped, since they match nothing."""
    terms = []
    for phrase, word in _QUERY_PART.findall(unicodedata.normalize("NFC", text)):
        body, prefix = (phrase, False) if phrase else (word.rstrip("*"), word.endswith("*"))
        if any(ch.isalnum() for ch in body):
            terms.append(QueryTerm(body, phrase=bool(phrase), prefix=prefix))
    return terms


def _is_sort_number(value: Any) -> bool:
    """A finite number a store can compare (JSON also reads true, NaN and 10**400)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return math.isfinite(value) if isinstance(value, float) else abs(value) <= 2**63


def encode_cursor(values: list[Any]) -> str:
    """The sort values of a page's last hit as an opaque, URL-safe cursor."""
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, length: int) -> list[Any]:
    """The sort values in a cursor; ValueError for one that no search of this kind made."""
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except ValueError as exc:
        raise ValueError(f"not a search cursor: {cursor!r}") from exc
    if not isinstance(values, list) or len(values) != length:
        raise ValueError(f"not a cursor of this search (sort or text changed?): {cursor!r}")
    return values


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
    id: int | str | None = None
    """Given by the store: a number in SQLite, a unique string in Elasticsearch."""


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
    id: int | str | None = None

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


@dataclass(frozen=True)
class VendorLink:
    """Evidence for a vendor profile: listings that share one identifier."""

    key: str
    """The shared identifier as an entity key ("pgp:<FINGERPRINT>", "btc:...",
    "handle:telegram:name"), or "seller:<family>:<name>" for one seller name on
    markets of one family."""
    listing_ids: tuple[str, ...]


@dataclass(frozen=True)
class VendorProfile:
    """One vendor behind listings of one or more sources, as linking found them."""

    id: str
    listing_ids: tuple[str, ...]
    sources: tuple[str, ...]
    sellers: tuple[str, ...]
    """Seller names as the listings give them."""
    links: tuple[VendorLink, ...]
    first_seen: str | None
    last_seen: str | None
    labels: tuple[str, ...]
    """Every label any of its listings carries."""


def vendor_record(profile: VendorProfile) -> dict[str, Any]:
    """A vendor profile as the stores keep it (JSON: lists for tuples)."""
    return json.loads(json.dumps(dataclasses.asdict(profile)))


def vendor_of(record: Mapping[str, Any]) -> VendorProfile:
    """The profile `vendor_record` made."""
    links = tuple(VendorLink(link["key"], tuple(link["listing_ids"])) for link in record["links"])
    plain = {name: tuple(record[name]) for name in ("listing_ids", "sources", "sellers", "labels")}
    return VendorProfile(
        id=record["id"],
        links=links,
        first_seen=record["first_seen"],
        last_seen=record["last_seen"],
        **plain,
    )


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

    def facets(self, query: SearchQuery, size: int = 10) -> dict[str, list[tuple[str, int]]]:
        """Per facet of FACETS, the `size` commonest values among the query's matches
        with their counts, commonest first (days: the latest `size`, newest first)."""
        ...

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
        """Reviews of these listings (default: all), in the order they were recorded."""
        ...

    def iter_listings(self, batch_size: int = 1000) -> Iterator[Listing]:
        """Every stored listing, in no set order, read `batch_size` at a time (for linking)."""
        ...

    def set_links(
        self, vendor_ids: Mapping[str, str | None], clusters: Mapping[str, str | None]
    ) -> None:
        """Set `vendor_id` (and `duplicate_cluster`) of the listings named in `vendor_ids`
        (in `clusters`) and commit; other listings and fields are left as they are."""
        ...

    def replace_vendors(self, profiles: Iterable[VendorProfile]) -> None:
        """Make `profiles` the stored vendor profiles (the previous ones are dropped)."""
        ...

    def vendors(self, source: str | None = None) -> list[VendorProfile]:
        """The vendor profiles (those with a listing on `source`), most listings first,
        then by id."""
        ...

    def vendor(self, vendor_id: str) -> VendorProfile | None: ...

    def close(self) -> None:
        """Discard uncommitted writes and let go of the store; closing twice is harmless."""
        ...
