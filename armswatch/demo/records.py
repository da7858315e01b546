"""Ground truth of the demo sites: the listing records in `data/`, per edition.

The records are what the pages show, so the same record answers both "what
does the server render" and "what should a crawl have found". The URL paths
of listings, images and attachments are derived here, in one place, so that a
page and the ground truth can never disagree about them.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).resolve().parent / "data"
SITES = ("classifieds", "forum", "market")
EDITIONS = (1, 2)
POSTS_PER_PAGE = 5
PRIVATE_PREFIX = "/private"
"""Every demo site's robots.txt disallows this prefix; a few listings live under it."""

Record = dict[str, Any]


def read_jsonl(path: Path) -> list[Record]:
    """One JSON object per non-blank line."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def file_path(record: Record, name: str) -> str:
    """Where an attachment is linked; the server answers 404 there, by design."""
    key = hashlib.sha1(record["id"].encode()).hexdigest()[:6]
    return f"/files/{key}/{name}"


def listing_path(record: Record) -> str:
    """The URL path (with fragment for forum posts) at which a record is shown."""
    prefix = PRIVATE_PREFIX if record.get("robots_disallowed") else ""
    site = record["site"]
    if site == "classifieds":
        return f"{prefix}/l/{record['id']}"
    if site == "market":
        return f"{prefix}/product/{record['id']}"
    page = (record["post"] - 1) // POSTS_PER_PAGE + 1
    query = f"?page={page}" if page > 1 else ""
    return f"{prefix}/thread/{record['thread']}{query}#p{record['id'].removeprefix('fo-')}"


def image_paths(record: Record) -> list[str]:
    return [f"/img/{record['id']}-{n}.jpg" for n in range(1, record.get("photos", 0) + 1)]


def _finish(record: Record) -> Record:
    """Expand the stored shorthand into what the page shows."""
    done = copy.deepcopy(record)
    if repeat := done.pop("text_repeat", 0):
        done["text"] = "\n\n".join([done["text"]] * repeat)
    done["path"] = listing_path(done)
    done["images"] = image_paths(done)
    for attachment in done["attachments"]:
        attachment["path"] = file_path(done, attachment["name"])
    return done


def _apply(records: list[Record], changes: dict[str, Any], site: str) -> list[Record]:
    edits = {c["id"]: c for c in changes["changed"]}
    removed = set(changes["removed"])
    kept = [r | edits.get(r["id"], {}) for r in records if r["id"] not in removed]
    return kept + [r for r in changes["added"] if r["site"] == site]


@dataclass(frozen=True)
class Catalog:
    """All records of all editions, loaded once; sections name the categories/boards."""

    sections: dict[str, dict[str, str]]
    editions: dict[int, dict[str, list[Record]]]

    @classmethod
    def load(cls, data_dir: Path = DATA_DIR) -> Catalog:
        base = {site: read_jsonl(data_dir / f"{site}.jsonl") for site in SITES}
        changes = json.loads((data_dir / "edition2.json").read_text(encoding="utf-8"))
        second = {site: _apply(records, changes, site) for site, records in base.items()}
        editions = {
            1: {site: [_finish(r) for r in records] for site, records in base.items()},
            2: {site: [_finish(r) for r in records] for site, records in second.items()},
        }
        sections = json.loads((data_dir / "sites.json").read_text(encoding="utf-8"))
        return cls(sections=sections, editions=editions)

    def records(self, site: str, edition: int) -> list[Record]:
        """Every record the site serves in that edition, robots-disallowed ones included."""
        return self.editions[edition][site]

    def public(self, site: str, edition: int) -> list[Record]:
        """The records a crawl that obeys robots.txt can reach (copies, safe to change)."""
        return [
            copy.deepcopy(r) for r in self.records(site, edition) if not r.get("robots_disallowed")
        ]


class CatalogSite:
    """A generated site over the catalog's current edition, with the demo's robots.txt."""

    name: str
    robots_txt = f"User-agent: *\nDisallow: {PRIVATE_PREFIX}/\n"

    def __init__(self, catalog: Catalog, edition: Callable[[], int]) -> None:
        self._catalog = catalog
        self._edition = edition
        self._categories = catalog.sections[self.name]

    def _records(self) -> list[Record]:
        return self._catalog.records(self.name, self._edition())
