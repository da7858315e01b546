"""What armswatch keeps in Elasticsearch: index names, templates and mappings.

Listings are written through an alias (`<prefix>-listings`) over a numbered
index (`<prefix>-listings-000001`, ...), so that a rebuild can fill a new index
and swap the alias without downtime. Crawl runs and reviews have an index each;
vendor profiles are replaced as a whole, in a new numbered index behind their own
alias (`<prefix>-vendors`).
The mappings are strict: a field that armswatch does not know is refused, not
guessed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from armswatch import LABELS
from armswatch.stores.base import KEY_FACETS

TEMPLATE_VERSION = 2
"""Raise with every mapping change; `armswatch index check` compares it, and the first
write of a process brings an older layout up to date (fields are only ever added,
which an existing index takes: see `IndexLayout.ensure`).

2: entities (their keys and key types indexed), vendor links, duplicate clusters,
fetched attachments' hashes; the vendors index."""

_FOLDED = {"type": "text", "analyzer": "folded"}
"""Text for every language: standard tokenizer, lower case, accents folded (as the
SQLite store's full-text index), so "replique" finds "réplique"."""

_KEYWORD = {"type": "keyword", "ignore_above": 1024}
_DATE = {"type": "date", "ignore_malformed": True}

ANALYSIS: dict[str, Any] = {
    "analyzer": {
        "folded": {
            "type": "custom",
            "tokenizer": "standard",
            "filter": ["lowercase", "asciifolding"],
        },
        "folded_english": {
            "type": "custom",
            "tokenizer": "standard",
            "filter": ["lowercase", "asciifolding", "english_stop", "english_stemmer"],
        },
    },
    "filter": {
        "english_stop": {"type": "stop", "stopwords": "_english_"},
        "english_stemmer": {"type": "stemmer", "language": "light_english"},
    },
    "normalizer": {
        "folded": {"type": "custom", "filter": ["lowercase", "asciifolding"]},
    },
}

LISTING_PROPERTIES: dict[str, Any] = {
    "id": {"type": "keyword"},
    "source": {"type": "keyword"},
    "url": _KEYWORD,
    # title and text: folded for every language, plus an English stemmed subfield
    # (most markets write English: "magazines" finds "magazine").
    "title": {**_FOLDED, "fields": {"en": {"type": "text", "analyzer": "folded_english"}}},
    "text": {**_FOLDED, "fields": {"en": {"type": "text", "analyzer": "folded_english"}}},
    "seller": {
        **_FOLDED,
        "fields": {"raw": {"type": "keyword", "ignore_above": 256}},
    },
    "price": {"type": "double"},
    "currency": {"type": "keyword"},
    "posted_at": _DATE,
    "first_seen": {"type": "date"},
    "last_seen": {"type": "date"},
    "lang": {"type": "keyword"},
    "attachments": {
        "type": "nested",
        "properties": {
            "name": {"type": "keyword", "ignore_above": 512, "fields": {"text": _FOLDED}},
            "url": _KEYWORD,
            "ext": {"type": "keyword"},
            "size": {"type": "keyword"},
            "sha256": {"type": "keyword"},
            "bytes": {"type": "long"},
            "quarantine_path": {"type": "keyword", "index": False},
            # an archive may list thousands of members: stored, not searched
            "members": {"type": "object", "enabled": False},
            "hash_matches": {
                "properties": {
                    "sha256": {"type": "keyword"},
                    "label": {"type": "keyword"},
                    "hashlist": {"type": "keyword"},
                    "member": {"type": "keyword", "ignore_above": 1024},
                }
            },
            "fetch_error": {"type": "keyword", "ignore_above": 1024},
        },
    },
    "images": _KEYWORD,
    "content_sha256": {"type": "keyword"},
    "raw_sha256": {"type": "keyword"},
    # doubles, as SQLite keeps them: close scores order the same in both stores
    "scores": {"properties": {label: {"type": "double"} for label in LABELS}},
    "labels": {"type": "keyword"},
    "threat_score": {"type": "double"},
    "classifier_version": {"type": "keyword"},
    "explanations": {"type": "object", "enabled": False},
    # Entities as extraction wrote them (stored), and what searches filter and count
    # on, derived from them at every write: their `type:value` keys, key types, and
    # the values of the key types that facets count.
    "entities": {"type": "object", "enabled": False},
    "entity_keys": _KEYWORD,
    "entity_types": {"type": "keyword"},
    "entity_facets": {"properties": {name: {"type": "keyword"} for name in KEY_FACETS}},
    "vendor_id": {"type": "keyword"},
    "duplicate_cluster": {"type": "keyword"},
    "version": {"type": "integer"},
    "price_history": {
        "type": "nested",
        "properties": {
            "version": {"type": "integer"},
            "seen_at": {"type": "date"},
            "price": {"type": "double"},
            "currency": {"type": "keyword"},
        },
    },
    # Every version's full content, kept with the listing so that a write is one
    # atomic document; stored, not searched.
    "versions": {"type": "object", "enabled": False},
    "indexed_at": {"type": "date"},
    # The latest analyst review (the reviews index below keeps every one): searches
    # filter and count on its verdict, a missing one is "not reviewed".
    "review": {
        "properties": {
            "verdict": {"type": "keyword"},
            "labels": {"type": "keyword"},
            "analyst": {"type": "keyword"},
            "reviewed_at": {"type": "date"},
            "note": _FOLDED,
            "cases": {"type": "keyword"},
        }
    },
}

RUN_PROPERTIES: dict[str, Any] = {
    "id": {"type": "keyword"},
    "source": {"type": "keyword"},
    "started_at": {"type": "date"},
    "finished_at": {"type": "date"},
    "status": {"type": "keyword"},
    "stats": {"type": "object", "enabled": False},
}

REVIEW_PROPERTIES: dict[str, Any] = {
    "id": {"type": "keyword"},
    "listing_id": {"type": "keyword"},
    "verdict": {"type": "keyword"},
    "labels": {"type": "keyword"},
    "analyst": {"type": "keyword"},
    "reviewed_at": {"type": "date"},
    "note": _FOLDED,
}


VENDOR_PROPERTIES: dict[str, Any] = {
    "id": {"type": "keyword"},
    "listing_ids": {"type": "keyword"},
    "listing_count": {"type": "integer"},
    "sources": {"type": "keyword"},
    "sellers": {"type": "keyword", "ignore_above": 256},
    "links": {
        "properties": {
            "key": _KEYWORD,
            "listing_ids": {"type": "keyword"},
        }
    },
    "first_seen": _DATE,
    "last_seen": _DATE,
    "labels": {"type": "keyword"},
}


@dataclass(frozen=True)
class IndexNames:
    """Every name armswatch uses in a cluster, derived from the index prefix."""

    prefix: str = "armswatch"

    @property
    def listings(self) -> str:
        """The alias every read and write of listings goes through."""
        return f"{self.prefix}-listings"

    def listings_index(self, number: int) -> str:
        return f"{self.listings}-{number:06d}"

    @property
    def runs(self) -> str:
        return f"{self.prefix}-runs"

    @property
    def reviews(self) -> str:
        return f"{self.prefix}-reviews"

    @property
    def vendors(self) -> str:
        """The alias over the current vendors index."""
        return f"{self.prefix}-vendors"

    def vendors_index(self, number: int) -> str:
        return f"{self.vendors}-{number:06d}"

    def template(self, kind: str) -> str:
        return f"{self.prefix}-{kind}"


def templates(names: IndexNames, shards: int, replicas: int) -> dict[str, dict[str, Any]]:
    """Composable index templates by name: listings and vendors (matching their
    numbered indices), runs and reviews."""
    settings = {
        "number_of_shards": shards,
        "number_of_replicas": replicas,
        "analysis": ANALYSIS,
    }

    def template(pattern: str, properties: dict[str, Any]) -> dict[str, Any]:
        return {
            "index_patterns": [pattern],
            "priority": 200,
            "version": TEMPLATE_VERSION,
            "_meta": {"managed_by": "armswatch", "template_version": TEMPLATE_VERSION},
            "template": {
                "settings": settings,
                "mappings": {"dynamic": "strict", "properties": properties},
            },
        }

    return {
        names.template("listings"): template(f"{names.listings}-*", LISTING_PROPERTIES),
        names.template("runs"): template(names.runs, RUN_PROPERTIES),
        names.template("reviews"): template(names.reviews, REVIEW_PROPERTIES),
        names.template("vendors"): template(f"{names.vendors}-*", VENDOR_PROPERTIES),
    }
