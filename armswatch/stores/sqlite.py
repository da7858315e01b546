"""The SQLite store: one database file with full-text search, for one host.

WAL mode lets `armswatch search` read while a crawl writes. Listing writes are
grouped in one explicit transaction per batch, so a crash loses only the batch
that was not committed yet. Full-text search is an FTS5 index over title, text
and seller that accent-folds (`remove_diacritics 2`), so "replique" finds
"réplique" in any script the Unicode tables know.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence, Sized
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from armswatch.listing import (
    CLASSIFICATION_FIELDS,
    LINK_FIELDS,
    VERSIONED_FIELDS,
    Listing,
    content_hash,
    same_content,
)
from armswatch.sqlite_wal import use_wal
from armswatch.stores.base import (
    FACETS,
    HIGHLIGHT_END,
    HIGHLIGHT_START,
    KEY_FACETS,
    NOT_REVIEWED,
    CrawlRun,
    ListingVersion,
    Review,
    SearchQuery,
    SearchResult,
    StoreError,
    VendorProfile,
    entity_keys,
    key_type,
    key_value,
    query_terms,
    vendor_of,
    vendor_record,
)

logger = logging.getLogger(__name__)

SCHEMA_VERSION = 4

_CHUNK = 500
"""Ids per `IN (...)`: far below SQLite's bound-variable limit on every build (999 on old ones)."""

_BUSY_TIMEOUT_MS = 10_000
"""How long a writer or reader waits for another process's lock before failing."""

_BM25_WEIGHTS = (3.0, 1.0, 2.0)
"""Column weights for title, text, seller: a hit in a title says more than one in a long post."""

_RANK = f"bm25(listings_fts, {', '.join(map(str, _BM25_WEIGHTS))})"
_SEEN = "coalesce(l.last_seen_epoch, 0)"
"""When a listing was last seen, for sorting: one never seen (or with an unreadable
time) sorts as the oldest, as Elasticsearch sorts a missing date last."""
_ORDERS: dict[str, tuple[tuple[str, bool], ...]] = {
    "relevance": ((_RANK, False), ("l.threat_score", True), (_SEEN, True), ("l.id", False)),
    "score": (("l.threat_score", True), (_SEEN, True), ("l.id", False)),
    "newest": ((_SEEN, True), ("l.threat_score", True), ("l.id", False)),
}
"""Per order, its sort keys (SQL over `listings l`, descending?). bm25 is best when
lowest. The id comes last, so that no two listings tie and pages never overlap;
the Elasticsearch store sorts the same way."""

_SNIPPET_TOKENS = 16
"""Tokens of a listing's text around its matches in a search highlight."""
_ELLIPSIS = "…"

_MIGRATIONS: tuple[str, ...] = (
    # 0 -> 1: the initial schema.
    """
    CREATE TABLE IF NOT EXISTS listings (
        pk INTEGER PRIMARY KEY,  -- explicit, so VACUUM keeps the FTS rowids valid
        id TEXT NOT NULL UNIQUE,
        source TEXT NOT NULL,
        url TEXT NOT NULL,
        title TEXT NOT NULL DEFAULT '',
        text TEXT NOT NULL DEFAULT '',
        price REAL,
        currency TEXT,
        seller TEXT,
        posted_at TEXT,
        first_seen TEXT,
        last_seen TEXT,
        last_seen_epoch REAL,  -- last_seen as UTC seconds: what filters and sorting compare
        lang TEXT,
        attachments TEXT NOT NULL DEFAULT '[]',
        images TEXT NOT NULL DEFAULT '[]',
        content_sha256 TEXT,
        raw_sha256 TEXT,
        scores TEXT NOT NULL DEFAULT '{}',
        labels TEXT NOT NULL DEFAULT '[]',
        threat_score REAL NOT NULL DEFAULT 0,
        classifier_version TEXT,
        explanations TEXT NOT NULL DEFAULT '{}',
        version INTEGER NOT NULL DEFAULT 1
    );
    CREATE INDEX IF NOT EXISTS listings_source ON listings(source);
    CREATE INDEX IF NOT EXISTS listings_lang ON listings(lang);
    CREATE INDEX IF NOT EXISTS listings_seller ON listings(seller);
    CREATE INDEX IF NOT EXISTS listings_last_seen ON listings(last_seen_epoch);
    CREATE INDEX IF NOT EXISTS listings_threat
        ON listings(threat_score DESC, last_seen_epoch DESC);

    CREATE TABLE IF NOT EXISTS listing_scores (
        listing_id TEXT NOT NULL REFERENCES listings(id) ON DELETE CASCADE,
        label TEXT NOT NULL,
        score REAL NOT NULL,
        PRIMARY KEY (listing_id, label)
    ) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS listing_scores_label ON listing_scores(label, score);

    CREATE TABLE IF NOT EXISTS listing_labels (
        listing_id TEXT NOT NULL REFERENCES listings(id) ON DELETE CASCADE,
        label TEXT NOT NULL,
        PRIMARY KEY (listing_id, label)
    ) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS listing_labels_label ON listing_labels(label, listing_id);

    CREATE TABLE IF NOT EXISTS versions (
        listing_id TEXT NOT NULL REFERENCES listings(id) ON DELETE CASCADE,
        version INTEGER NOT NULL,
        seen_at TEXT NOT NULL,
        title TEXT NOT NULL,
        text TEXT NOT NULL,
        price REAL,
        currency TEXT,
        content_sha256 TEXT NOT NULL,
        raw_sha256 TEXT,
        PRIMARY KEY (listing_id, version)
    ) WITHOUT ROWID;

    CREATE TABLE IF NOT EXISTS crawl_runs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        source TEXT NOT NULL,
        started_at TEXT NOT NULL,
        finished_at TEXT,
        status TEXT NOT NULL,
        stats TEXT NOT NULL DEFAULT '{}'
    );
    CREATE INDEX IF NOT EXISTS crawl_runs_source ON crawl_runs(source, id);

    CREATE VIRTUAL TABLE IF NOT EXISTS listings_fts USING fts5(
        title, text, seller,
        content='listings', content_rowid='pk',
        tokenize='unicode61 remove_diacritics 2'
    );
    CREATE TRIGGER IF NOT EXISTS listings_fts_insert AFTER INSERT ON listings BEGIN
        INSERT INTO listings_fts(rowid, title, text, seller)
        VALUES (new.pk, new.title, new.text, new.seller);
    END;
    CREATE TRIGGER IF NOT EXISTS listings_fts_delete AFTER DELETE ON listings BEGIN
        INSERT INTO listings_fts(listings_fts, rowid, title, text, seller)
        VALUES ('delete', old.pk, old.title, old.text, old.seller);
    END;
    CREATE TRIGGER IF NOT EXISTS listings_fts_update
    AFTER UPDATE OF title, text, seller ON listings BEGIN
        INSERT INTO listings_fts(listings_fts, rowid, title, text, seller)
        VALUES ('delete', old.pk, old.title, old.text, old.seller);
        INSERT INTO listings_fts(rowid, title, text, seller)
        VALUES (new.pk, new.title, new.text, new.seller);
    END;
    """,
    # 1 -> 2: analysts' reviews.
    """
    CREATE TABLE IF NOT EXISTS reviews (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        listing_id TEXT NOT NULL REFERENCES listings(id) ON DELETE CASCADE,
        verdict TEXT NOT NULL,
        labels TEXT NOT NULL DEFAULT '[]',
        analyst TEXT NOT NULL,
        note TEXT NOT NULL DEFAULT '',
        reviewed_at TEXT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS reviews_listing ON reviews(listing_id, id);
    """,
    # 2 -> 3: the latest verdict on the listing itself, so that searches (the review
    # app's queue) filter on it; `add_review` keeps it, crawl writes never touch it.
    # Its indexes give a verdict's listings in the score and newest orders (the queue's
    # pages, at once however many there are) and count them without reading rows.
    """
    ALTER TABLE listings ADD COLUMN verdict TEXT;
    UPDATE listings SET verdict = (
        SELECT r.verdict FROM reviews r WHERE r.listing_id = listings.id
        ORDER BY r.id DESC LIMIT 1
    );
    CREATE INDEX IF NOT EXISTS listings_verdict ON listings(verdict, threat_score DESC, id);
    CREATE INDEX IF NOT EXISTS listings_verdict_seen
        ON listings(verdict, coalesce(last_seen_epoch, 0) DESC, threat_score DESC, id);
    """,
    # 3 -> 4: entities, vendor links and duplicate clusters. Each entity key is a row
    # of its own (with its type and value apart), so that searches find a key's or a
    # type's listings from an index and facets count types and values; vendor profiles
    # are kept whole as JSON, with their sources apart to filter on.
    """
    ALTER TABLE listings ADD COLUMN entities TEXT NOT NULL DEFAULT '{}';
    ALTER TABLE listings ADD COLUMN vendor_id TEXT;
    ALTER TABLE listings ADD COLUMN duplicate_cluster TEXT;
    CREATE INDEX IF NOT EXISTS listings_vendor ON listings(vendor_id);
    CREATE INDEX IF NOT EXISTS listings_duplicate_cluster ON listings(duplicate_cluster);

    CREATE TABLE IF NOT EXISTS listing_entities (
        listing_id TEXT NOT NULL REFERENCES listings(id) ON DELETE CASCADE,
        key TEXT NOT NULL,
        type TEXT NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (listing_id, key)
    ) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS listing_entities_key ON listing_entities(key, listing_id);
    CREATE INDEX IF NOT EXISTS listing_entities_type
        ON listing_entities(type, value, listing_id);

    CREATE TABLE IF NOT EXISTS vendors (
        id TEXT PRIMARY KEY,
        listing_count INTEGER NOT NULL,
        profile TEXT NOT NULL  -- the VendorProfile as JSON
    ) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS vendors_size ON vendors(listing_count DESC, id);
    CREATE TABLE IF NOT EXISTS vendor_sources (
        vendor_id TEXT NOT NULL REFERENCES vendors(id) ON DELETE CASCADE,
        source TEXT NOT NULL,
        PRIMARY KEY (source, vendor_id)
    ) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS vendor_sources_vendor ON vendor_sources(vendor_id);
    """,
)
"""`_MIGRATIONS[n]` takes the schema from version n to n + 1; append, never edit."""

_JSON_FIELDS = frozenset({"attachments", "images", "scores", "labels", "explanations", "entities"})
_FIELDS: tuple[str, ...] = (
    "id", "source", "url", "title", "text", "price", "currency", "seller", "posted_at",
    "first_seen", "last_seen", "lang", "attachments", "images", "content_sha256", "raw_sha256",
    "scores", "labels", "threat_score", "classifier_version", "explanations", "entities",
    "vendor_id", "duplicate_cluster", "version",
)  # fmt: skip
"""The stored `Listing` fields, in column order (all but the per-crawl `change`)."""

_COLUMNS = ", ".join(f"l.{name}" for name in _FIELDS)
_STATE = (
    "first_seen",
    "version",
    "classifier_version",
    "entities",
    *LINK_FIELDS,
    *VERSIONED_FIELDS,
)
"""What `write` compares a crawled listing with."""
_CORRUPT_CODES = frozenset({sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB})
"""Primary result codes of a damaged file (extended codes are masked down to these)."""


class SqliteStore:
    """A `Store` in one SQLite file. Use it from one thread; other processes may read."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._closed = False
        try:
            self._conn = sqlite3.connect(self.path, isolation_level=None)
        except sqlite3.Error as exc:
            raise self._error(exc) from exc
        try:
            self._conn.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")
            mode = use_wal(self._conn, _BUSY_TIMEOUT_MS / 1000)
            if mode != "wal":
                logger.warning("%s cannot use WAL (%s): searches wait for writes", path, mode)
            self._conn.execute("PRAGMA synchronous = NORMAL")
            self._conn.execute("PRAGMA foreign_keys = ON")
            self._migrate()
        except sqlite3.Error as exc:
            self._conn.close()
            raise self._error(exc) from exc
        except StoreError:
            self._conn.close()
            raise

    # -- opening --------------------------------------------------------------

    def _error(self, exc: sqlite3.Error) -> StoreError:
        """A StoreError that names the file and says what the operator can do."""
        if _is_corruption(exc):
            return StoreError(
                f"{self.path} is not a SQLite database or is corrupt ({exc}); "
                "move it aside or point --data-dir elsewhere"
            )
        return StoreError(
            f"cannot open the store {self.path} ({exc}); check that it is a writable "
            "SQLite file, or point --data-dir elsewhere"
        )

    def _migrate(self) -> None:
        """Bring the schema to `SCHEMA_VERSION`; refuse a file from a newer armswatch.

        A file that is already current is only read, so opening the store (a search,
        the review app) never waits for the write lock of a crawl in progress.
        """
        if self._schema_version() == SCHEMA_VERSION:
            return
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            self._conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER)")
            # Read again under the write lock: another process may have just migrated.
            current = self._schema_version()
            for script in _MIGRATIONS[current or 0 :]:
                for statement in _statements(script):
                    self._conn.execute(statement)
            if current is None:
                self._conn.execute("INSERT INTO schema_version VALUES (?)", (SCHEMA_VERSION,))
            elif current != SCHEMA_VERSION:
                self._conn.execute("UPDATE schema_version SET version = ?", (SCHEMA_VERSION,))
            self._conn.execute("COMMIT")
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise

    def _schema_version(self) -> int | None:
        """The file's schema version, None when it records none (a new file)."""
        exists = self._conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'"
        ).fetchone()
        row = exists and self._conn.execute("SELECT version FROM schema_version").fetchone()
        if not row:
            return None
        if row[0] > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path} has schema version {row[0]}, newer than this armswatch "
                f"knows ({SCHEMA_VERSION}); upgrade armswatch or point --data-dir elsewhere"
            )
        return row[0]

    @contextmanager
    def _corruption_as_store_error(self) -> Iterator[None]:
        """Turn a corrupt page met mid-use into the same clear StoreError as at open."""
        try:
            yield
        except sqlite3.DatabaseError as exc:
            if _is_corruption(exc):
                raise self._error(exc) from exc
            raise

    # -- reading --------------------------------------------------------------

    def get(self, listing_id: str) -> Listing | None:
        return self.get_many([listing_id]).get(listing_id)

    def ids_with_prefix(self, prefix: str, limit: int = 2) -> list[str]:
        """Ids starting with `prefix` (ids are lower-case hex), at most `limit`."""
        if not prefix or any(c not in "0123456789abcdef" for c in prefix):
            return []
        upper = prefix + "g"  # the first string after every id with this prefix
        with self._corruption_as_store_error():
            rows = self._conn.execute(
                "SELECT id FROM listings WHERE id >= ? AND id < ? ORDER BY id LIMIT ?",
                (prefix, upper, limit),
            ).fetchall()
        return [row[0] for row in rows]

    def get_many(self, ids: Iterable[str]) -> dict[str, Listing]:
        """The stored listings among `ids`, by id; asked in chunks under the variable limit."""
        rows = self._select_in(f"SELECT {_COLUMNS} FROM listings l WHERE l.id", ids)
        return {row[0]: _listing(row) for row in rows}

    def _select_in(self, sql: str, values: Iterable[str]) -> list[Any]:
        """Rows of `sql` (ending in the column to match) `IN` the distinct `values`,
        asked in chunks under SQLite's variable limit."""
        wanted = list(dict.fromkeys(values))
        rows: list[Any] = []
        with self._corruption_as_store_error():
            for start in range(0, len(wanted), _CHUNK):
                chunk = wanted[start : start + _CHUNK]
                rows += self._conn.execute(f"{sql} IN ({_marks(chunk)})", chunk).fetchall()
        return rows

    def versions(self, listing_id: str) -> list[ListingVersion]:
        """All versions, oldest first."""
        with self._corruption_as_store_error():
            rows = self._conn.execute(
                "SELECT version, seen_at, title, text, price, currency, content_sha256, raw_sha256"
                " FROM versions WHERE listing_id = ? ORDER BY version",
                (listing_id,),
            ).fetchall()
        return [ListingVersion(*row) for row in rows]

    def count(self) -> int:
        with self._corruption_as_store_error():
            return int(self._conn.execute("SELECT count(*) FROM listings").fetchone()[0])

    def search(self, query: SearchQuery) -> SearchResult:
        """One page of matches in the query's order, continuing after `query.after`.

        The text is user input: it is turned into quoted FTS5 terms (see
        `fts_query`), so no character of it is read as FTS5 syntax. Pages are
        keyset pages: each continues strictly after the sort values of the last
        hit of the one before (the cursor), not after a count of hits, so listings
        written between two pages do not shift the later ones by their number. (bm25
        values move with the index's statistics, though: pages by relevance that a
        crawl writes between may repeat or skip a hit.)
        """
        match = fts_query(query.text)
        keys = _order(query, match)
        source, where, params = _matching(query, match)
        condition = _where(where)
        page_where, page_params = list(where), list(params)
        if query.after is not None:
            after = query.cursor_values(len(keys))
            # Row values compare left to right: each key in ascending form (descending
            # ones negated) makes "after the cursor" one comparison.
            ascending = ", ".join(f"-{sql}" if desc else sql for sql, desc in keys)
            page_where.append(f"({ascending}) > ({_marks(keys)})")
            page_params += [-v if desc else v for (_, desc), v in zip(keys, after, strict=True)]
        order = ", ".join(f"{sql} DESC" if desc else sql for sql, desc in keys)
        selected = ", ".join(sql for sql, _ in keys)
        with self._corruption_as_store_error():
            total = self._conn.execute(
                f"SELECT count(*) FROM {source}{condition}", params
            ).fetchone()[0]
            # One row more than the page shows whether another page follows.
            rows = self._conn.execute(
                f"SELECT {selected}, l.pk, {_COLUMNS} FROM {source}{_where(page_where)}"
                f" ORDER BY {order} LIMIT ?",
                [*page_params, query.limit + 1],
            ).fetchall()
        more = len(rows) > query.limit
        rows = rows[: query.limit]
        listings = [_listing(row[len(keys) + 1 :]) for row in rows]
        next_cursor = None
        if more:
            next_cursor = query.cursor(list(rows[-1][: len(keys)]))
        highlights = self._highlights(match, [row[len(keys)] for row in rows]) if match else {}
        return SearchResult(
            total=int(total), listings=listings, highlights=highlights, next_cursor=next_cursor
        )

    def _highlights(self, match: str, pks: list[int]) -> dict[str, dict[str, list[str]]]:
        """The matched words of one page's listings, per field that has any: title and
        seller whole, the text as a snippet around its matches. Asked for the page's
        rows only, as snippets cost a read of each listing's text."""
        if not pks:
            return {}
        marks = (HIGHLIGHT_START, HIGHLIGHT_END)
        with self._corruption_as_store_error():
            rows = self._conn.execute(
                "SELECT l.id, highlight(listings_fts, 0, ?, ?),"
                " snippet(listings_fts, 1, ?, ?, ?, ?), highlight(listings_fts, 2, ?, ?)"
                " FROM listings_fts JOIN listings l ON l.pk = listings_fts.rowid"
                f" WHERE listings_fts MATCH ? AND listings_fts.rowid IN ({_marks(pks)})",
                [*marks, *marks, _ELLIPSIS, _SNIPPET_TOKENS, *marks, match, *pks],
            ).fetchall()
        highlights: dict[str, dict[str, list[str]]] = {}
        for listing_id, *fragments in rows:
            fields = {
                name: [fragment]
                for name, fragment in zip(("title", "text", "seller"), fragments, strict=True)
                if fragment and HIGHLIGHT_START in fragment
            }
            if fields:
                highlights[listing_id] = fields
        return highlights

    def facets(self, query: SearchQuery, size: int = 10) -> dict[str, list[tuple[str, int]]]:
        """Per facet of FACETS, the `size` commonest values among all the query's
        matches (its sort, cursor and limit aside), commonest first, ties by value;
        for `day` (the UTC day last seen), the latest `size` days, newest first.
        A listing counts once under each of its labels; empty values are not counted."""
        if size < 1:
            raise ValueError("size must be at least 1")
        source, where, params = _matching(query, fts_query(query.text))
        day = "strftime('%Y-%m-%d', last_seen_epoch, 'unixepoch')"
        # Facet names and columns are constants; the matches are computed once (a CTE
        # read more than once is materialized) and every facet is one GROUP BY over them.
        arms = [
            "SELECT 'labels', ll.label, count(*) AS n FROM listing_labels ll"
            " JOIN matches m ON ll.listing_id = m.id WHERE ll.label != ''"
            " GROUP BY ll.label ORDER BY n DESC, ll.label LIMIT ?",
            *(
                f"SELECT '{column}', {column}, count(*) AS n FROM matches"
                f" WHERE {column} IS NOT NULL AND {column} != ''"
                f" GROUP BY {column} ORDER BY n DESC, {column} LIMIT ?"
                for column in ("source", "lang", "seller")
            ),
            f"SELECT 'day', {day} AS d, count(*) AS n FROM matches"
            " WHERE last_seen_epoch IS NOT NULL GROUP BY d ORDER BY d DESC LIMIT ?",
            "SELECT 'verdict', coalesce(verdict, ?) AS v, count(*) AS n FROM matches"
            " GROUP BY v ORDER BY n DESC, v LIMIT ?",
            # A listing with two bitcoin addresses counts once under btc.
            "SELECT 'entity_type', le.type, count(DISTINCT le.listing_id) AS n"
            " FROM listing_entities le JOIN matches m ON le.listing_id = m.id"
            " GROUP BY le.type ORDER BY n DESC, le.type LIMIT ?",
            *(
                f"SELECT '{facet}', le.value, count(*) AS n FROM listing_entities le"
                f" JOIN matches m ON le.listing_id = m.id WHERE le.type = '{key}'"
                " GROUP BY le.value ORDER BY n DESC, le.value LIMIT ?"
                for facet, key in KEY_FACETS.items()
            ),
            "SELECT 'vendor', vendor_id, count(*) AS n FROM matches WHERE vendor_id IS NOT NULL"
            " GROUP BY vendor_id ORDER BY n DESC, vendor_id LIMIT ?",
        ]
        sql = (
            "WITH matches AS (SELECT l.id, l.source, l.lang, l.seller, l.last_seen_epoch,"
            " l.verdict, l.vendor_id"
            f" FROM {source}{_where(where)}) "
            + " UNION ALL ".join(f"SELECT * FROM ({arm})" for arm in arms)
        )
        with self._corruption_as_store_error():
            limits = [*[size] * 5, NOT_REVIEWED, *[size] * 5]  # NOT_REVIEWED: the verdict arm's
            rows = self._conn.execute(sql, [*params, *limits]).fetchall()
        counts: dict[str, list[tuple[str, int]]] = {name: [] for name in FACETS}
        for name, value, count in rows:
            counts[name].append((str(value), int(count)))
        for name, values in counts.items():
            # A compound SELECT need not keep each arm's order: sort here.
            if name == "day":
                values.sort(key=lambda item: item[0], reverse=True)
            else:
                values.sort(key=lambda item: (-item[1], item[0]))
        return counts

    # -- writing --------------------------------------------------------------

    def write(self, listing: Listing) -> None:
        """Store `listing` inside the open batch (see `commit`).

        What happens is decided against the stored state, not the crawl's `change`
        marker, which may be stale (another crawl got there first): a missing
        listing is inserted, a different content or price makes a new version, the
        same only moves `last_seen`. `listing.version` and `listing.first_seen` are
        set to the stored values, so the item that goes on down the pipeline
        matches the record.
        """
        if listing.change is None:
            raise ValueError(f"listing {listing.id} has no change marker; run dedupe first")
        listing.content_sha256 = listing.content_sha256 or content_hash(listing)
        with self._corruption_as_store_error():
            self._begin()
            # A savepoint makes each write all-or-nothing: a listing that fails
            # half-way leaves nothing behind for the batch's commit.
            self._conn.execute("SAVEPOINT write_listing")
            try:
                row = self._conn.execute(
                    f"SELECT {', '.join(_STATE)} FROM listings WHERE id = ?", (listing.id,)
                ).fetchone()
                stored = None if row is None else dict(zip(_STATE, row, strict=True))
                if stored is None:
                    self._insert(listing)
                elif same_content(stored, vars(listing)):
                    self._touch(listing, stored)
                else:
                    self._add_version(listing, stored)
            except BaseException:
                self._conn.execute("ROLLBACK TO write_listing")
                raise
            finally:
                self._conn.execute("RELEASE write_listing")

    def commit(self) -> None:
        """Make every write since the last commit durable."""
        if self._conn.in_transaction:
            with self._corruption_as_store_error():
                self._conn.execute("COMMIT")

    def start_run(self, source: str, started_at: str) -> CrawlRun:
        """Record a run at once (committing pending writes): a crash then leaves it "running"."""
        run = CrawlRun(source=source, started_at=started_at)
        with self._corruption_as_store_error():
            self._begin()
            cursor = self._conn.execute(
                "INSERT INTO crawl_runs (source, started_at, finished_at, status, stats)"
                " VALUES (?, ?, ?, ?, ?)",
                (run.source, run.started_at, run.finished_at, run.status, _dump(run.stats)),
            )
            run.id = cursor.lastrowid
            self.commit()
        return run

    def finish_run(self, run: CrawlRun) -> None:
        """Record the run's end and stats, committing pending writes with it, so a
        finished run never describes writes that were lost."""
        if run.id is None:
            raise ValueError("finish_run needs a run returned by start_run")
        with self._corruption_as_store_error():
            self._begin()
            self._conn.execute(
                "UPDATE crawl_runs SET finished_at = ?, status = ?, stats = ? WHERE id = ?",
                (run.finished_at, run.status, _dump(run.stats), run.id),
            )
            self.commit()

    def last_runs(self) -> dict[str, CrawlRun]:
        """The latest run of every source that has one."""
        with self._corruption_as_store_error():
            rows = self._conn.execute(
                "SELECT id, source, started_at, finished_at, status, stats FROM crawl_runs"
                " WHERE id IN (SELECT max(id) FROM crawl_runs GROUP BY source) ORDER BY source"
            ).fetchall()
        return {
            source: CrawlRun(
                source=source,
                started_at=started_at,
                finished_at=finished_at,
                status=status,
                stats=json.loads(stats),
                id=run_id,
            )
            for run_id, source, started_at, finished_at, status, stats in rows
        }

    def add_review(self, review: Review) -> Review:
        """Record a review at once (committing pending writes); returns it with its id."""
        with self._corruption_as_store_error():
            self._begin()
            known = self._conn.execute(
                "SELECT 1 FROM listings WHERE id = ?", (review.listing_id,)
            ).fetchone()
            if not known:
                self.commit()
                raise KeyError(f"no listing with id {review.listing_id!r} in {self.path}")
            cursor = self._conn.execute(
                "INSERT INTO reviews (listing_id, verdict, labels, analyst, note, reviewed_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (
                    review.listing_id,
                    review.verdict,
                    _dump(list(review.labels)),
                    review.analyst,
                    review.note,
                    review.reviewed_at,
                ),
            )
            self._conn.execute(
                "UPDATE listings SET verdict = ? WHERE id = ?", (review.verdict, review.listing_id)
            )
            self.commit()
        return replace(review, id=cursor.lastrowid)

    def reviews(self, listing_ids: Iterable[str] | None = None) -> list[Review]:
        """Reviews of these listings (default: all), oldest first."""
        sql = "SELECT id, listing_id, verdict, labels, analyst, note, reviewed_at FROM reviews"
        if listing_ids is None:
            with self._corruption_as_store_error():
                rows = self._conn.execute(sql).fetchall()
        else:
            rows = self._select_in(f"{sql} WHERE listing_id", listing_ids)
        rows.sort(key=lambda row: row[0])
        return [
            Review(
                listing_id=listing_id,
                verdict=verdict,
                analyst=analyst,
                reviewed_at=reviewed_at,
                labels=tuple(json.loads(labels)),
                note=note,
                id=review_id,
            )
            for review_id, listing_id, verdict, labels, analyst, note, reviewed_at in rows
        ]

    # -- links across listings -------------------------------------------------

    def iter_listings(self, batch_size: int = 1000) -> Iterator[Listing]:
        """Every listing in the order they were first stored, `batch_size` rows a read;
        no read stays open between batches, so the caller may write meanwhile."""
        last = 0
        while True:
            with self._corruption_as_store_error():
                rows = self._conn.execute(
                    f"SELECT l.pk, {_COLUMNS} FROM listings l WHERE l.pk > ? ORDER BY l.pk LIMIT ?",
                    (last, batch_size),
                ).fetchall()
            if not rows:
                return
            for row in rows:
                yield _listing(row[1:])
            last = rows[-1][0]

    def set_links(
        self, vendor_ids: Mapping[str, str | None], clusters: Mapping[str, str | None]
    ) -> None:
        """Set `vendor_id` (and `duplicate_cluster`) of the listings named in `vendor_ids`
        (in `clusters`) and commit, with the pending writes; unknown ids are skipped."""
        with self._corruption_as_store_error():
            self._begin()
            for column, values in (("vendor_id", vendor_ids), ("duplicate_cluster", clusters)):
                self._conn.executemany(
                    f"UPDATE listings SET {column} = ? WHERE id = ?",
                    [(value, listing_id) for listing_id, value in values.items()],
                )
            self.commit()

    def replace_vendors(self, profiles: Iterable[VendorProfile]) -> None:
        """Make `profiles` the stored vendor profiles in one transaction (with the
        pending writes): readers see the old set or the new one, never a mix."""
        with self._corruption_as_store_error():
            self._begin()
            self._conn.execute("DELETE FROM vendors")  # and their sources (cascade)
            for profile in profiles:
                self._conn.execute(
                    "INSERT INTO vendors (id, listing_count, profile) VALUES (?, ?, ?)",
                    (profile.id, len(profile.listing_ids), _dump(vendor_record(profile))),
                )
                self._conn.executemany(
                    "INSERT OR IGNORE INTO vendor_sources (vendor_id, source) VALUES (?, ?)",
                    [(profile.id, source) for source in profile.sources],
                )
            self.commit()

    def vendors(self, source: str | None = None) -> list[VendorProfile]:
        """The vendor profiles (those with a listing on `source`), most listings first,
        then by id."""
        sql = "SELECT profile FROM vendors"
        params: list[str] = []
        if source is not None:
            sql += " WHERE id IN (SELECT vendor_id FROM vendor_sources WHERE source = ?)"
            params.append(source)
        with self._corruption_as_store_error():
            rows = self._conn.execute(f"{sql} ORDER BY listing_count DESC, id", params).fetchall()
        return [vendor_of(json.loads(profile)) for (profile,) in rows]

    def vendor(self, vendor_id: str) -> VendorProfile | None:
        with self._corruption_as_store_error():
            row = self._conn.execute(
                "SELECT profile FROM vendors WHERE id = ?", (vendor_id,)
            ).fetchone()
        return None if row is None else vendor_of(json.loads(row[0]))

    def close(self) -> None:
        """Close the file; writes not committed are rolled back, as a crash would lose
        them. Closing twice is harmless."""
        if self._closed:
            return
        self._closed = True
        if self._conn.in_transaction:
            logger.warning("closing %s with uncommitted writes; they are discarded", self.path)
            self._conn.execute("ROLLBACK")
        self._conn.close()

    def _begin(self) -> None:
        """Open the batch transaction if none is open. IMMEDIATE takes the write lock
        up front, so a busy database is waited for (busy_timeout) instead of failing
        when a read inside the transaction turns into a write."""
        if not self._conn.in_transaction:
            self._conn.execute("BEGIN IMMEDIATE")

    def _insert(self, listing: Listing) -> None:
        listing.version = 1
        listing.first_seen = listing.first_seen or listing.last_seen
        record = _columns(listing)
        names = [*record, "last_seen_epoch"]
        self._conn.execute(
            f"INSERT INTO listings ({', '.join(names)}) VALUES ({_marks(names)})",
            [*record.values(), _epoch(listing.last_seen)],
        )
        self._write_scores(listing)
        self._write_entities(listing)
        self._insert_version(listing)

    def _add_version(self, listing: Listing, stored: dict[str, Any]) -> None:
        """A changed listing: its content, classification and entities replaced; its
        links (set by linking, not crawled) kept."""
        (latest,) = self._conn.execute(
            "SELECT max(version) FROM versions WHERE listing_id = ?", (listing.id,)
        ).fetchone()
        listing.version = (latest or 0) + 1
        listing.first_seen = stored["first_seen"]
        _keep_links(listing, stored)
        record = _columns(listing)
        for name in ("id", *LINK_FIELDS):
            del record[name]
        assignments = ", ".join(f"{name} = ?" for name in record)
        self._conn.execute(
            f"UPDATE listings SET {assignments}, last_seen_epoch = ? WHERE id = ?",
            [*record.values(), _epoch(listing.last_seen), listing.id],
        )
        self._write_scores(listing)
        self._write_entities(listing)
        self._insert_version(listing)

    def _touch(self, listing: Listing, stored: dict[str, Any]) -> None:
        """An unchanged listing: only when it was seen (and its raw bytes) move, and
        its classification and entities if it had none stored."""
        listing.version = stored["version"]
        listing.first_seen = stored["first_seen"]
        _keep_links(listing, stored)
        self._conn.execute(
            "UPDATE listings SET last_seen = ?, last_seen_epoch = ?, raw_sha256 = ? WHERE id = ?",
            (listing.last_seen, _epoch(listing.last_seen), listing.raw_sha256, listing.id),
        )
        if stored["classifier_version"] is None and listing.classifier_version is not None:
            record = _columns(listing)
            assignments = ", ".join(f"{name} = ?" for name in CLASSIFICATION_FIELDS)
            self._conn.execute(
                f"UPDATE listings SET {assignments} WHERE id = ?",
                [*(record[name] for name in CLASSIFICATION_FIELDS), listing.id],
            )
            self._write_scores(listing)
        if stored["entities"] == "{}" and listing.entities:
            self._conn.execute(
                "UPDATE listings SET entities = ? WHERE id = ?",
                (_dump(listing.entities), listing.id),
            )
            self._write_entities(listing)

    def _write_entities(self, listing: Listing) -> None:
        """The indexable copy of the entity keys that `search` filters on and `facets`
        counts (replacing those stored)."""
        self._conn.execute("DELETE FROM listing_entities WHERE listing_id = ?", (listing.id,))
        self._conn.executemany(
            "INSERT INTO listing_entities (listing_id, key, type, value) VALUES (?, ?, ?, ?)",
            [
                (listing.id, key, key_type(key), key_value(key))
                for key in entity_keys(listing.entities)
            ],
        )

    def _write_scores(self, listing: Listing) -> None:
        """The indexable copies of scores and labels that `search` filters on
        (replacing those stored)."""
        self._conn.execute("DELETE FROM listing_scores WHERE listing_id = ?", (listing.id,))
        self._conn.execute("DELETE FROM listing_labels WHERE listing_id = ?", (listing.id,))
        self._conn.executemany(
            "INSERT INTO listing_scores (listing_id, label, score) VALUES (?, ?, ?)",
            [(listing.id, label, score) for label, score in listing.scores.items()],
        )
        self._conn.executemany(
            "INSERT OR IGNORE INTO listing_labels (listing_id, label) VALUES (?, ?)",
            [(listing.id, label) for label in listing.labels],
        )

    def _insert_version(self, listing: Listing) -> None:
        self._conn.execute(
            "INSERT INTO versions (listing_id, version, seen_at, title, text, price, currency,"
            " content_sha256, raw_sha256) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                listing.id,
                listing.version,
                listing.last_seen or listing.first_seen or datetime.now(UTC).isoformat(),
                listing.title,
                listing.text,
                listing.price,
                listing.currency,
                listing.content_sha256,
                listing.raw_sha256,
            ),
        )


def _keep_links(listing: Listing, stored: dict[str, Any]) -> None:
    """The stored links on the crawled listing (which has none: linking sets them)."""
    for name in LINK_FIELDS:
        setattr(listing, name, stored[name])


def fts_query(text: str) -> str:
    """User text as a safe FTS5 query: every term of `query_terms` quoted (a phrase
    stays a phrase, a prefix gets FTS5's `*`), all terms ANDed; "" when no term is
    left (a filter-only search)."""
    terms = []
    for term in query_terms(text):
        quoted = '"' + term.text.replace('"', '""') + '"'
        terms.append(quoted + "*" if term.prefix else quoted)
    return " AND ".join(terms)


def _matching(query: SearchQuery, match: str) -> tuple[str, list[str], list[Any]]:
    """What to select from, and the conditions (with parameters) of the query's
    matches: the FTS5 match of its text, if any, and every filter."""
    where, params = _filters(query)
    if not match:
        return "listings l", where, params
    source = "listings_fts JOIN listings l ON l.pk = listings_fts.rowid"
    return source, ["listings_fts MATCH ?", *where], [match, *params]


def _where(conditions: list[str]) -> str:
    return " WHERE " + " AND ".join(conditions) if conditions else ""


def _order(query: SearchQuery, match: str) -> tuple[tuple[str, bool], ...]:
    """The query's sort keys. Only relevance with words to match ranks by bm25;
    "relevance" without any is the threat-score order (see `SearchQuery.order_name`)."""
    if query.sort == "relevance" and match:
        return _ORDERS["relevance"]
    return _ORDERS["score" if query.sort == "relevance" else query.sort]


def _filters(query: SearchQuery) -> tuple[list[str], list[Any]]:
    """SQL conditions on `listings l` and their parameters, one per filter given."""
    where: list[str] = []
    params: list[Any] = []
    if query.labels:
        where.append(
            "EXISTS (SELECT 1 FROM listing_labels ll WHERE ll.listing_id = l.id"
            f" AND ll.label IN ({_marks(query.labels)}))"
        )
        params.extend(query.labels)
    bounds = [
        (op, v) for op, v in ((">=", query.min_score), ("<=", query.max_score)) if v is not None
    ]
    if bounds and query.labels:
        where.append(
            "EXISTS (SELECT 1 FROM listing_scores ls WHERE ls.listing_id = l.id"
            f" AND ls.label IN ({_marks(query.labels)})"
            + "".join(f" AND ls.score {op} ?" for op, _ in bounds)
            + ")"
        )
        params.extend([*query.labels, *(value for _, value in bounds)])
    elif bounds:
        where.extend(f"l.threat_score {op} ?" for op, _ in bounds)
        params.extend(value for _, value in bounds)
    if query.verdicts:
        named = [verdict for verdict in query.verdicts if verdict != NOT_REVIEWED]
        either = [f"l.verdict IN ({_marks(named)})"] if named else []
        if NOT_REVIEWED in query.verdicts:
            either.append("l.verdict IS NULL")
        where.append("(" + " OR ".join(either) + ")")
        params.extend(named)
    if query.entities:
        # A key's listings and a bare type's, each read from its index.
        either = []
        for column, values in (
            ("key", [key for key in query.entities if ":" in key]),
            ("type", [key for key in query.entities if ":" not in key]),
        ):
            if values:
                either.append(
                    f"SELECT listing_id FROM listing_entities WHERE {column} IN ({_marks(values)})"
                )
                params.extend(values)
        where.append(f"l.id IN ({' UNION '.join(either)})")
    for column, values in (
        ("source", query.sources),
        ("lang", query.langs),
        ("seller", query.sellers),
        ("vendor_id", query.vendors),
        ("duplicate_cluster", query.duplicate_clusters),
    ):
        if values:
            where.append(f"l.{column} IN ({_marks(values)})")
            params.extend(values)
    if query.since is not None:
        where.append("l.last_seen_epoch >= ?")
        params.append(_utc(query.since).timestamp())
    if query.until is not None:
        where.append("l.last_seen_epoch <= ?")
        params.append(_utc(query.until).timestamp())
    return where, params


def _columns(listing: Listing) -> dict[str, Any]:
    """The listing as column values: lists and dicts as JSON text."""
    record = listing.to_record()
    return {name: _dump(record[name]) if name in _JSON_FIELDS else record[name] for name in _FIELDS}


def _listing(row: Sequence[Any]) -> Listing:
    record = {
        name: json.loads(value) if name in _JSON_FIELDS else value
        for name, value in zip(_FIELDS, row, strict=True)
    }
    return Listing.from_record(record)


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _marks(values: Sized) -> str:
    return ", ".join("?" * len(values))


def _utc(moment: datetime) -> datetime:
    """A naive datetime is taken as UTC, the zone every stored timestamp is in."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _epoch(timestamp: str | None) -> float | None:
    """An ISO-8601 timestamp as UTC seconds, so `2026-11-23T10:00:00Z` and
    `...+00:00` (or another offset) compare as the same moment; None if unreadable."""
    if not timestamp:
        return None
    try:
        return _utc(datetime.fromisoformat(timestamp)).timestamp()
    except ValueError:
        return None


def _is_corruption(exc: sqlite3.Error) -> bool:
    return (getattr(exc, "sqlite_errorcode", 0) & 0xFF) in _CORRUPT_CODES


def _statements(script: str) -> list[str]:
    """A migration script split into statements (trigger bodies kept whole), so that
    each runs inside the migration transaction; `executescript` would commit first."""
    statements, pending = [], ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            statements.append(pending.strip())
            pending = ""
    return statements
