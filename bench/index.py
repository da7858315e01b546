"""Listing stores: bulk write throughput and analyst search latency, SQLite and Elasticsearch.

Run: .venv/bin/python bench/index.py [--sizes 10000,100000] [--write-count N] [--es-count N]
                                     [--repeat R] [--es-repeat R] [--es-url URL | --skip-es]

Writes: synthetic listings as the pipelines hand them to a store (classified,
`change="new"`, content hash set; a mix of title-only market rows, short posts
and long ads, some with attachments), `store.write` each, `store.commit` every
batch (the configured `sqlite.batch_size` and `elasticsearch.batch_size`), timed
until all of them are committed; for Elasticsearch until the outbox is empty
and the index counts them all. Generating the listings is not timed.

Searches: p50 and p95 of --repeat runs (after one untimed warm-up) of typical analyst
queries, `store.facets` and the second page of a search by its cursor, on SQLite
stores of each of --sizes listings, and on Elasticsearch at --es-count
(--es-repeat runs).

Elasticsearch: against --es-url if given (credentials from ARMSWATCH_ES_API_KEY,
or ARMSWATCH_ES_USER and ARMSWATCH_ES_PASSWORD), otherwise against noida-db, the
ES-API stand-in of the tests, started on 127.0.0.1. noida-db searches by a
linear scan and is not Elasticsearch: its figures say nothing about a real
cluster (shared/ELASTICSEARCH.md). Indices are created under a random
`bench-*` prefix and deleted at the end.

About five minutes on 2 cores at the defaults.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from itertools import accumulate
from pathlib import Path
from typing import TypeVar

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from armswatch.config.models import ElasticsearchSettings, SqliteSettings  # noqa: E402
from armswatch.listing import Attachment, Listing, content_hash  # noqa: E402
from armswatch.stores import SearchQuery, Store  # noqa: E402
from armswatch.stores.elastic import ElasticsearchStore  # noqa: E402
from armswatch.stores.sqlite import SqliteStore  # noqa: E402
from tests.noida import NoidaServer  # noqa: E402

sys.path.insert(0, str(REPO / "bench"))
from store import WORDS, synthetic  # noqa: E402

WEIGHTS = [1 / (rank + 1) for rank in range(len(WORDS))]
"""bench/store.py's trade words, Zipf-distributed: common ones match many listings, rare few."""
_SYLLABLES = [c + v for c in "bdfghklmnprstvz" for v in "aeiou"]
_MAKE = random.Random(3)
FILLER = sorted({"".join(_MAKE.choices(_SYLLABLES, k=_MAKE.randint(2, 3))) for _ in range(4000)})
"""The everyday words around them (made up, so that no query matches them)."""
FILLER_WEIGHTS = list(accumulate(1 / (rank + 1) for rank in range(len(FILLER))))
T = TypeVar("T")
ATTACHMENT_EXTS = ("stl", "pdf", "zip", "f3d", "step", "jpg")
NOIDA_NOTE = (
    "note: noida-db is an ES-API stand-in whose search is a linear scan; its write and "
    "search figures say nothing about a real Elasticsearch cluster (shared/ELASTICSEARCH.md)"
)


def prose(rng: random.Random, topic: list[str], count: int, density: float) -> str:
    """`count` words: filler, with the listing's topic words in `density` of the places."""
    tokens = rng.choices(FILLER, cum_weights=FILLER_WEIGHTS, k=count)
    for place in rng.sample(range(count), round(count * density)):
        tokens[place] = rng.choice(topic)
    return " ".join(tokens)


def realistic(i: int, rng: random.Random) -> Listing:
    """Listing `i` of bench/store.py's `synthetic` (ids, sources, sellers, scores,
    labels), reshaped like crawled ones: each about a few trade words, as a title-only
    market row, a short post or a long ad; some with attachments and images."""
    listing = synthetic(i, rng)
    topic = rng.choices(WORDS, weights=WEIGHTS, k=rng.randint(3, 8))
    shape = rng.random()
    if shape < 0.35:  # a market row: the title says it all
        listing.title = prose(rng, topic, rng.randint(3, 12), 0.6)
        listing.text = prose(rng, topic, rng.randint(0, 8), 0.3)
        listing.images = [f"{listing.url}/img/{n}.jpg" for n in range(rng.randint(0, 4))]
    elif shape < 0.75:  # a messenger or forum post
        listing.title = prose(rng, topic, rng.randint(2, 8), 0.5)
        listing.text = prose(rng, topic, rng.randint(10, 60), 0.2)
    else:  # a classified ad
        listing.title = prose(rng, topic, rng.randint(4, 14), 0.5)
        listing.text = prose(rng, topic, rng.randint(150, 700), 0.1)
    if rng.random() < 0.15:
        listing.attachments = [
            Attachment(
                name=f"{rng.choice(topic)}_{rng.choice(FILLER)}_v{n}.{ext}",
                url=f"{listing.url}/files/{n}.{ext}",
                ext=ext,
                size=f"{rng.uniform(0.1, 80):.1f} MB",
            )
            for n, ext in enumerate(rng.choices(ATTACHMENT_EXTS, k=rng.randint(1, 3)))
        ]
    listing.posted_at = listing.first_seen
    listing.classifier_version = "bench"
    listing.content_sha256 = content_hash(listing)
    return listing


def generate(count: int, seed: int = 7, chunk: int = 5000) -> Iterator[list[Listing]]:
    """The listings 0..count-1, in chunks (100k long ads at once would not fit kindly)."""
    rng = random.Random(seed)
    for start in range(0, count, chunk):
        yield [realistic(i, rng) for i in range(start, min(start + chunk, count))]


@dataclass
class WriteFigure:
    store: str
    listings: int
    batch: int
    seconds: float


@dataclass
class SearchFigure:
    store: str
    listings: int
    query: str
    hits: int | None
    samples: list[float]

    def percentile(self, p: int) -> float:
        if len(self.samples) == 1:
            return self.samples[0] * 1000
        return statistics.quantiles(self.samples, n=100, method="inclusive")[p - 1] * 1000


def write_all(store: Store, count: int, batch: int) -> float:
    """Seconds to write `count` listings with a commit every `batch`; generation untimed."""
    seconds = 0.0
    written = 0
    for listings in generate(count):
        started = time.perf_counter()
        for listing in listings:
            store.write(listing)
            written += 1
            if written % batch == 0:
                store.commit()
        seconds += time.perf_counter() - started
    started = time.perf_counter()
    store.commit()
    return seconds + time.perf_counter() - started


def write_elastic(store: ElasticsearchStore, count: int, batch: int) -> float:
    """As `write_all`, until the outbox is empty and the index counts every listing."""
    seconds = write_all(store, count, batch)
    started = time.perf_counter()
    if store.outbox.depth().pending:
        report = store.drain(force=True)
        if report.remaining or report.failed or report.error:
            raise SystemExit(f"the outbox did not drain: {report}")
    indexed = store.count()
    seconds += time.perf_counter() - started
    if indexed != count:
        raise SystemExit(f"Elasticsearch counts {indexed} listings, {count} were written")
    return seconds


def analyst_queries() -> dict[str, SearchQuery]:
    since = datetime(2026, 11, 22, tzinfo=UTC)
    return {
        "text, one word 'glock'": SearchQuery(text="glock"),
        "text, two words 'glock frame'": SearchQuery(text="glock frame"),
        'text, phrase "print files"': SearchQuery(text='"print files"'),
        "label firearm + min score 0.7": SearchQuery(labels=("firearm",), min_score=0.7),
        "label blueprints + text 'stl'": SearchQuery(labels=("blueprints",), text="stl"),
        "source + since (last 7 days)": SearchQuery(sources=("source-1",), since=since),
        "sort newest, threat >= 0.5": SearchQuery(min_score=0.5, sort="newest"),
    }


def measure(call: Callable[[], T], repeat: int) -> tuple[T, list[float]]:
    """The result of an untimed warm-up call (caches, query planning), and the
    seconds of `repeat` calls after it."""
    result = call()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        samples.append(time.perf_counter() - started)
    return result, samples


def search_figures(store: Store, name: str, size: int, repeat: int) -> list[SearchFigure]:
    figures = []
    first_pages = {}
    for label, query in analyst_queries().items():
        result, samples = measure(lambda q=query: store.search(q), repeat)
        first_pages[label] = query, result
        figures.append(SearchFigure(name, size, label, result.total, samples))
    query, result = first_pages["text, one word 'glock'"]
    if result.next_cursor is not None:
        second = replace(query, after=result.next_cursor)
        _, samples = measure(lambda: store.search(second), repeat)
        figures.append(SearchFigure(name, size, "page 2 of 'glock' (cursor)", None, samples))
    for label, facets_of in (("facets, all listings", SearchQuery()), ("facets of 'glock'", query)):
        _, samples = measure(lambda q=facets_of: store.facets(q), repeat)
        figures.append(SearchFigure(name, size, label, None, samples))
    return figures


def progress(message: str) -> None:
    sys.stdout.flush()
    print(f"... {message}", file=sys.stderr, flush=True)


def bench_sqlite(
    tmp: Path, sizes: list[int], write_count: int, repeat: int
) -> tuple[list[WriteFigure], list[SearchFigure]]:
    batch = SqliteSettings().batch_size
    writes, searches = [], []
    for size in sorted({*sizes, write_count}):
        path = tmp / f"bench-{size}.sqlite3"
        store = SqliteStore(path)
        try:
            progress(f"SQLite: writing {size:,} listings")
            writes.append(WriteFigure("sqlite", size, batch, write_all(store, size, batch)))
            if size in sizes:
                progress(f"SQLite: searching {size:,} listings")
                searches += search_figures(store, "sqlite", size, repeat)
        finally:
            store.close()
        path.unlink()
    return writes, searches


@contextmanager
def elastic_url(es_url: str | None, tmp: Path) -> Iterator[str]:
    if es_url:
        yield es_url
        return
    data_dir = tmp / "noida"
    data_dir.mkdir()
    with NoidaServer(data_dir) as url:
        yield url


def bench_elastic(
    tmp: Path, es_url: str | None, count: int, repeat: int
) -> tuple[list[WriteFigure], list[SearchFigure]]:
    name = "elasticsearch" if es_url else "noida-db"
    with elastic_url(es_url, tmp) as url:
        settings = ElasticsearchSettings(
            url=[url], index_prefix=f"bench-{uuid.uuid4().hex[:12]}", replicas=0
        )
        store = ElasticsearchStore(settings, tmp / "es-outbox.sqlite3")
        try:
            store.init()
            progress(f"{name} at {url} (prefix {settings.index_prefix}): writing {count:,}")
            seconds = write_elastic(store, count, settings.batch_size)
            writes = [WriteFigure(name, count, settings.batch_size, seconds)]
            progress(f"{name}: searching {count:,} listings")
            searches = search_figures(store, name, count, repeat)
        finally:
            try:
                store.delete_indices()
            finally:
                store.close()
    return writes, searches


def print_table(
    title: str, header: list[str], rows: list[list[str]], left: tuple[int, ...] = (0,)
) -> None:
    """A plain table: the `left` columns (text) left-aligned, the others right-aligned."""
    widths = [max(len(cell) for cell in column) for column in zip(header, *rows, strict=True)]
    print(f"\n{title}")
    for i, row in enumerate([header, *rows]):
        cells = [
            cell.ljust(width) if column in left else cell.rjust(width)
            for column, (cell, width) in enumerate(zip(row, widths, strict=True))
        ]
        print("  ".join(cells).rstrip())
        if i == 0:
            print("  ".join("-" * width for width in widths))


def report(writes: list[WriteFigure], searches: list[SearchFigure]) -> None:
    print_table(
        "Bulk write (store.write + store.commit every batch, until all is committed)",
        ["store", "listings", "batch", "seconds", "listings/s"],
        [
            [
                f.store,
                f"{f.listings:,}",
                str(f.batch),
                f"{f.seconds:.1f}",
                f"{f.listings / f.seconds:,.0f}",
            ]
            for f in writes
        ],
    )
    print_table(
        "Search latency (ms over the runs after one warm-up; hits: the result's total)",
        ["store", "listings", "query", "hits", "runs", "p50", "p95"],
        [
            [
                f.store,
                f"{f.listings:,}",
                f.query,
                "" if f.hits is None else f"{f.hits:,}",
                str(len(f.samples)),
                f"{f.percentile(50):.1f}",
                f"{f.percentile(95):.1f}",
            ]
            for f in searches
        ],
        left=(0, 2),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes",
        type=lambda text: [int(part) for part in text.split(",")],
        default=[10_000, 100_000],
        help="SQLite stores to search, listings each (comma-separated)",
    )
    parser.add_argument(
        "--write-count",
        type=int,
        help="listings of the SQLite write measurement (default: the largest size; "
        "a size among --sizes is written once for both)",
    )
    parser.add_argument("--es-count", type=int, default=2_000, help="listings on Elasticsearch")
    parser.add_argument("--es-url", help="an Elasticsearch cluster instead of noida-db")
    parser.add_argument("--skip-es", action="store_true", help="SQLite only")
    parser.add_argument("--repeat", type=int, default=30, help="runs of each query on SQLite")
    parser.add_argument(
        "--es-repeat",
        type=int,
        default=5,
        help="runs of each query on Elasticsearch (few: noida-db takes seconds per query)",
    )
    args = parser.parse_args()
    write_count = args.write_count or max(args.sizes)
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, {platform.platform()}, SQLite {sqlite3.sqlite_version}; "
        f"store files under {tempfile.gettempdir()}",
        flush=True,
    )
    writes: list[WriteFigure] = []
    searches: list[SearchFigure] = []
    with tempfile.TemporaryDirectory(prefix="armswatch-bench-") as name:
        tmp = Path(name)
        more_writes, more_searches = bench_sqlite(tmp, args.sizes, write_count, args.repeat)
        writes += more_writes
        searches += more_searches
        if not args.skip_es:
            more_writes, more_searches = bench_elastic(
                tmp, args.es_url, args.es_count, args.es_repeat
            )
            writes += more_writes
            searches += more_searches
    report(writes, searches)
    if not args.skip_es and not args.es_url:
        print(f"\n{NOIDA_NOTE}")


if __name__ == "__main__":
    main()
