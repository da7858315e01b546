"""The listing record: one offer or post, as crawled, classified and stored.

`Listing` is also the Scrapy item the spiders yield; the pipelines fill in the
fields after `content_sha256` in order (normalize, dedupe/version, classify).
Field names are the public record format (`--json` output, exports).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from w3lib.url import canonicalize_url

Change = Literal["new", "changed", "unchanged"]

VERSIONED_FIELDS = ("content_sha256", "price", "currency")
"""What makes a new version when it changes (the content hash covers title, text
and seller)."""

CLASSIFICATION_FIELDS = ("scores", "labels", "threat_score", "classifier_version", "explanations")
"""What the classify step sets; an unchanged listing keeps the stored values."""

LINK_FIELDS = ("vendor_id", "duplicate_cluster")
"""What linking across listings sets (`armswatch link`, after each crawl); a crawl's
write of a listing keeps the stored values."""


@dataclass
class ArchiveMember:
    """A file inside a fetched archive, listed without extracting it to disk."""

    name: str
    size: int
    sha256: str | None = None
    """None where the member was over the size caps and not read."""


@dataclass
class HashMatch:
    """A fetched file (or archive member) whose SHA-256 is on one of the unit's hash lists."""

    sha256: str
    label: str
    """The label the hash list gives it (one of LABELS)."""
    hashlist: str
    """The hash list's file name in `config/hashlists/`."""
    member: str | None = None
    """The archive member that matched; None for the attachment itself."""


@dataclass
class Attachment:
    """A file linked from a listing. Its content is never downloaded by default;
    the fields after `size` are filled only where the source opts in
    (`fetch_attachments: true`)."""

    name: str
    url: str
    ext: str
    size: str | None = None
    """As the page shows it ("12 MB")."""
    sha256: str | None = None
    bytes: int | None = None
    quarantine_path: str | None = None
    """Relative to the data directory; the file is never opened but to hash and list it."""
    members: list[ArchiveMember] = field(default_factory=list)
    hash_matches: list[HashMatch] = field(default_factory=list)
    fetch_error: str | None = None
    """Why the file was not fetched or not fully read (over a cap, refused archive, ...)."""

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Attachment:
        data = dict(record)
        data["members"] = [ArchiveMember(**m) for m in data.get("members") or []]
        data["hash_matches"] = [HashMatch(**m) for m in data.get("hash_matches") or []]
        return cls(**data)


@dataclass
class Listing:
    id: str
    source: str
    url: str
    title: str = ""
    text: str = ""
    price: float | None = None
    currency: str | None = None
    seller: str | None = None
    posted_at: str | None = None
    first_seen: str | None = None
    last_seen: str | None = None
    lang: str | None = None
    attachments: list[Attachment] = field(default_factory=list)
    images: list[str] = field(default_factory=list)
    content_sha256: str | None = None
    raw_sha256: str | None = None
    scores: dict[str, float] = field(default_factory=dict)
    labels: list[str] = field(default_factory=list)
    threat_score: float = 0.0
    classifier_version: str | None = None
    explanations: dict[str, list[str]] = field(default_factory=dict)
    entities: dict[str, list[Any]] = field(default_factory=dict)
    """What entity extraction found, in the `armswatch entities` output form
    (`Entities.to_json()`); empty until the entities step ran."""
    vendor_id: str | None = None
    """The vendor profile this listing is linked to, if any (set by linking)."""
    duplicate_cluster: str | None = None
    """The near-duplicate cluster this listing belongs to, if any (set by linking)."""
    version: int = 1
    change: Change | None = None
    """Set by the dedupe step for this crawl; not a stored property."""

    def to_record(self) -> dict[str, Any]:
        """The stored/exported form (without the per-crawl `change` marker)."""
        record = asdict(self)
        record.pop("change")
        return record

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Listing:
        data = dict(record)
        data["attachments"] = [Attachment.from_record(a) for a in data.get("attachments") or []]
        return cls(**data)


def listing_id(source: str, url: str) -> str:
    """Stable id: SHA-256 of the source name and the canonical URL (fragment kept,
    because forum posts are told apart by their anchor)."""
    canonical = canonicalize_url(url, keep_fragments=True)
    return hashlib.sha256(f"{source}\n{canonical}".encode()).hexdigest()[:32]


def content_hash(listing: Listing) -> str:
    """Hash of what an analyst reads; a change of it makes a new version."""
    payload = "\x1f".join([listing.title, listing.text, listing.seller or ""])
    return hashlib.sha256(payload.encode()).hexdigest()


def same_content(stored: Mapping[str, Any], crawled: Mapping[str, Any]) -> bool:
    """Whether a crawled listing reads as the stored one (no new version needed)."""
    return all(stored.get(name) == crawled.get(name) for name in VERSIONED_FIELDS)


def price_text(price: float | None, currency: str | None) -> str:
    """A price as people read it ("1,200 EUR"), "-" when none was given."""
    if price is None:
        return "-"
    return f"{price:,.8g} {currency or ''}".strip()
