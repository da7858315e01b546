"""SQLite store: write throughput and search latency at scale.

Run: .venv/bin/python bench/store.py [--listings N]
Writes N synthetic listings (committed in batches of 50, as the crawl does),
then times full-text and filtered searches over them.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from armswatch import LABELS
from armswatch.listing import Listing, content_hash
from armswatch.stores import SearchQuery
from armswatch.stores.sqlite import SqliteStore

WORDS = [
    "pistol",
    "rifle",
    "barrel",
    "frame",
    "slide",
    "glock",
    "print",
    "stl",
    "files",
    "kit",
    "rounds",
    "primers",
    "powder",
    "airsoft",
    "scope",
    "holster",
    "filament",
    "nozzle",
    "printer",
    "knife",
    "bow",
    "tent",
    "stove",
    "jacket",
    "boots",
    "watch",
    "phone",
    "vendor",
    "escrow",
    "shipping",
    "stealth",
    "tracked",
    "europe",
    "worldwide",
    "new",
    "used",
    "tested",
    "mint",
]


def synthetic(i: int, rng: random.Random) -> Listing:
    title = " ".join(rng.choices(WORDS, k=6))
    listing = Listing(
        id=f"{i:032x}",
        source=f"source-{i % 5}",
        url=f"https://example.org/l/{i}",
        title=title,
        text=" ".join(rng.choices(WORDS, k=80)),
        price=round(rng.uniform(5, 2000), 2),
        currency=rng.choice(["USD", "EUR", "BTC"]),
        seller=f"seller{i % 400}",
        lang=rng.choice(["en", "de", "fr", "ru", "es"]),
        first_seen="2026-11-01T00:00:00+00:00",
        last_seen=f"2026-11-{1 + i % 28:02d}T00:00:00+00:00",
        change="new",
    )
    listing.scores = {label: round(rng.random() ** 3, 3) for label in LABELS}
    listing.labels = [label for label, score in listing.scores.items() if score >= 0.5]
    listing.threat_score = max(listing.scores.values())
    listing.content_sha256 = content_hash(listing)
    return listing


def timed(run: Callable[[], object], repeat: int = 20) -> float:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listings", type=int, default=100_000)
    args = parser.parse_args()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as tmp:
        store = SqliteStore(Path(tmp) / "bench.sqlite3")
        started = time.perf_counter()
        for i in range(args.listings):
            store.write(synthetic(i, rng))
            if i % 50 == 49:
                store.commit()
        store.commit()
        seconds = time.perf_counter() - started
        print(
            f"write: {args.listings} listings in {seconds:.1f} s = {args.listings / seconds:.0f}/s"
        )
        # Page 51 continues after the last hit of the first 1,000 (keyset paging).
        deep = store.search(SearchQuery(text="rifle", limit=1000)).next_cursor
        queries = {
            "full text 'glock frame'": SearchQuery(text="glock frame"),
            "full text + label + min score": SearchQuery(
                text="print", labels=("blueprints",), min_score=0.6
            ),
            "filters only (source, lang)": SearchQuery(sources=("source-1",), langs=("de",)),
            "label, sorted by threat": SearchQuery(labels=("firearm",)),
            "label, newest first": SearchQuery(labels=("firearm",), sort="newest"),
            "page 51 of a broad search (--after)": SearchQuery(text="rifle", after=deep),
        }
        for name, query in queries.items():
            print(f"search, {name}: median {timed(lambda q=query: store.search(q)):.1f} ms")
        for name, query in {
            "full text 'glock frame'": SearchQuery(text="glock frame"),
            "label": SearchQuery(labels=("firearm",)),
        }.items():
            print(f"facets, {name}: median {timed(lambda q=query: store.facets(q), 5):.1f} ms")
        store.close()


if __name__ == "__main__":
    main()
