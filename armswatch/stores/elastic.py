"""The Elasticsearch store: the analysts' shared index, fed through a local outbox.

Writes go to the outbox first (`armswatch.stores.outbox`) and are sent to the
cluster with the bulk API when a batch is committed. While the cluster is down
the crawl goes on and the outbox grows; it drains at the next commit after a
back-off, or with `armswatch index flush`.

A listing is one document (`_id` = listing id) that carries its versions and
price history, so a write is atomic. The versions are numbered when a write
reaches the cluster, against the document it finds there (read with its
sequence number, written back only if nobody changed it meanwhile), so that
several crawlers feeding one index, or an operation sent twice after a crash,
never duplicate a version: an operation already applied is recognised by its
content hash and time.
"""

from __future__ import annotations

import logging
import os
import time
import uuid
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from elastic_transport import ConnectionError as TransportConnectionError
from elastic_transport import ConnectionTimeout, TlsError, TransportError
from elasticsearch import (
    ApiError,
    AuthenticationException,
    AuthorizationException,
    Elasticsearch,
    NotFoundError,
    UnsupportedProductError,
    helpers,
)

from armswatch.config.models import ElasticsearchSettings
from armswatch.listing import (
    CLASSIFICATION_FIELDS,
    LINK_FIELDS,
    Listing,
    content_hash,
    same_content,
)
from armswatch.stores.base import (
    FACETS,
    HIGHLIGHT_END,
    HIGHLIGHT_START,
    KEY_FACETS,
    NOT_REVIEWED,
    VERDICTS,
    CrawlRun,
    ListingVersion,
    Review,
    SearchQuery,
    SearchResult,
    StoreError,
    StoreUnavailable,
    VendorProfile,
    entity_keys,
    key_type,
    key_value,
    query_terms,
    vendor_of,
    vendor_record,
)
from armswatch.stores.elastic_index import IndexLayout
from armswatch.stores.elastic_mapping import IndexNames
from armswatch.stores.outbox import Operation, Outbox

logger = logging.getLogger(__name__)

API_KEY_ENV = "ARMSWATCH_ES_API_KEY"
USER_ENV = "ARMSWATCH_ES_USER"
PASSWORD_ENV = "ARMSWATCH_ES_PASSWORD"

TEXT_FIELDS = ("title^3", "title.en^2", "text", "text.en", "seller^2")
"""Where text queries look, weighted as the SQLite store's bm25 columns."""
RETRY_AFTER_SECONDS = (5.0, 30.0, 120.0, 300.0)
"""Back-off after the cluster could not be reached: reads fail fast and drains
wait meanwhile, so that a crawl does not stall on every listing."""
_RETRYABLE = frozenset({408, 409, 429, 500, 502, 503, 504})
"""Bulk item statuses worth sending again (409: a concurrent writer; re-resolved)."""
_STORED_ONLY = (
    "versions", "price_history", "indexed_at", "review",
    "entity_keys", "entity_types", "entity_facets",
)  # fmt: skip
"""Document fields that are not `Listing` fields."""
VERDICT_FIELD = "review.verdict"
"""The latest review's verdict, kept on the listing's document (see `apply`)."""
PIT_KEEP_ALIVE = "5m"
"""How long `iter_listings` keeps its point in time between two batches."""


def connect(settings: ElasticsearchSettings) -> Elasticsearch:
    """A client for the configured nodes; credentials only from the environment."""
    options: dict[str, Any] = {
        "hosts": [str(url).rstrip("/") for url in settings.url],
        "request_timeout": settings.timeout,
        "max_retries": 1,
        "retry_on_timeout": False,
        "verify_certs": settings.verify_certs,
    }
    if settings.ca_certs:
        options["ca_certs"] = str(settings.ca_certs)
    if not settings.verify_certs:
        options["ssl_show_warn"] = False
    if os.environ.get(API_KEY_ENV):
        options["api_key"] = os.environ[API_KEY_ENV]
    elif os.environ.get(USER_ENV):
        options["basic_auth"] = (os.environ[USER_ENV], os.environ.get(PASSWORD_ENV, ""))
    return Elasticsearch(**options)


def explain(exc: Exception, settings: ElasticsearchSettings) -> str:
    """What went wrong talking to the cluster, and what the operator can do."""
    where = ", ".join(str(url).rstrip("/") for url in settings.url)
    if isinstance(exc, TlsError):
        return (
            f"TLS failed with Elasticsearch at {where} ({exc}); set elasticsearch.ca_certs "
            "to the cluster's CA certificate (or verify_certs: false on a test cluster)"
        )
    if isinstance(exc, ConnectionTimeout):
        return (
            f"Elasticsearch at {where} did not answer within {settings.timeout:g} s; check "
            "the cluster's health, or raise elasticsearch.timeout"
        )
    if isinstance(exc, TransportConnectionError):
        return (
            f"Elasticsearch at {where} cannot be reached ({exc}); check elasticsearch.url "
            "(or ARMSWATCH_ES_URL) and that the cluster is running"
        )
    if isinstance(exc, AuthenticationException):
        return (
            f"Elasticsearch at {where} refused the credentials (401); set {API_KEY_ENV}, "
            f"or {USER_ENV} and {PASSWORD_ENV}"
        )
    if isinstance(exc, AuthorizationException):
        return (
            f"Elasticsearch at {where} denied the request (403: {_api_reason(exc)}); give "
            f"the user or API key the rights on the {settings.index_prefix}-* indices"
        )
    if isinstance(exc, UnsupportedProductError):
        return (
            f"the server at {where} is not Elasticsearch (it does not say so in its "
            "answers); armswatch needs Elasticsearch 8.0 or later: check elasticsearch.url "
            "(or ARMSWATCH_ES_URL)"
        )
    if isinstance(exc, ApiError) and exc.message == "media_type_header_exception":
        return (
            f"Elasticsearch at {where} is older than 8.0 (it refused the 8.x API: "
            f"{_api_reason(exc)}); upgrade the cluster to 8.0 or later"
        )
    return f"Elasticsearch at {where} failed: {exc}"


def _api_reason(exc: ApiError) -> str:
    """The cluster's own words for an error (its `reason`), else the error type."""
    error = exc.body.get("error") if isinstance(exc.body, dict) else None
    if isinstance(error, dict) and error.get("reason"):
        return str(error["reason"])
    return str(exc.message)


@dataclass
class DrainReport:
    """What one drain of the outbox did."""

    sent: int = 0
    """Operations the cluster acknowledged."""
    failed: list[str] = field(default_factory=list)
    """Refused for good (kept in the outbox as failed): '<listing id>: <reason>'."""
    retry: int = 0
    """Passing failures (overload, conflicts, a blocked index): sent again later."""
    remaining: int = 0
    error: str | None = None
    """Why the cluster could not be reached, if it could not."""


class ElasticsearchStore:
    """A `Store` on an Elasticsearch cluster, with a local outbox for its writes."""

    def __init__(
        self,
        settings: ElasticsearchSettings,
        outbox_path: Path,
        client: Elasticsearch | None = None,
    ) -> None:
        self.settings = settings
        self.names = IndexNames(settings.index_prefix)
        self.client = client or connect(settings)
        self.layout = IndexLayout(self.client, self.names, settings)
        self.outbox = Outbox(outbox_path)
        self._down_until = 0.0
        self._failures = 0
        self._layout_ready = False
        self._closed = False
        self._last_error = ""
        self._unrefreshed = False
        self._read: dict[str, dict[str, Any] | None] = {}
        """Documents read since the last commit (None: not stored): `write` numbers
        versions against them."""

    # -- the cluster's availability -------------------------------------------

    @property
    def _available(self) -> bool:
        return time.monotonic() >= self._down_until

    def _unavailable(self, exc: Exception) -> StoreUnavailable:
        """Note that the cluster is away (reads fail fast for a while) and say so."""
        delay = RETRY_AFTER_SECONDS[min(self._failures, len(RETRY_AFTER_SECONDS) - 1)]
        self._failures += 1
        self._down_until = time.monotonic() + delay
        self._last_error = explain(exc, self.settings)
        return StoreUnavailable(self._last_error)

    @contextmanager
    def _cluster(self) -> Iterator[None]:
        """Run a request; unreachable or refusing clusters become clear store errors."""
        if not self._available:
            wait = self._down_until - time.monotonic()
            raise StoreUnavailable(f"{self._last_error} (not tried again for {wait:.0f} s)")
        try:
            yield
        except (TransportError, AuthenticationException, AuthorizationException) as exc:
            raise self._unavailable(exc) from exc
        except ApiError as exc:
            if exc.status_code >= 500:
                raise self._unavailable(exc) from exc
            raise StoreError(explain(exc, self.settings)) from exc
        self._failures = 0

    def init(self) -> None:
        """Create the templates, the first listings index and its alias (idempotent)."""
        with self._cluster():
            self.layout.ensure()
        self._layout_ready = True

    def _prepare_writes(self) -> None:
        """Before the first write of this process: create the indices if they are
        missing. Reads never do (they see a missing index as no documents), so a
        read-only account needs no index-management rights."""
        if self._layout_ready:
            return
        with self._cluster():
            if not self.layout.ready():
                self.layout.ensure()
        self._layout_ready = True

    def delete_indices(self) -> None:
        """Remove every index and template of this prefix (tests, decommissioning);
        works after `close` too."""
        with connect(self.settings) as client:
            IndexLayout(client, self.names, self.settings).delete()

    # -- reading --------------------------------------------------------------

    def get(self, listing_id: str) -> Listing | None:
        return self.get_many([listing_id]).get(listing_id)

    def get_many(self, ids: Iterable[str]) -> dict[str, Listing]:
        """The stored listings among `ids`: the cluster's documents with the writes
        still in the outbox applied, as they will be once sent."""
        wanted = list(dict.fromkeys(ids))
        docs = self._documents(wanted)
        queued = self._queued(wanted)
        found = {}
        for listing_id in wanted:
            doc = docs.get(listing_id)
            for operation in queued.get(listing_id, []):
                doc = apply(doc, operation)
            self._read[listing_id] = doc  # None too: `write` need not ask again
            if doc is not None:
                found[listing_id] = listing_of(doc)
        return found

    def _documents(self, ids: list[str]) -> dict[str, dict[str, Any]]:
        return {listing_id: doc for listing_id, (doc, _) in self._fetch(ids).items()}

    def _fetch(self, ids: list[str]) -> dict[str, tuple[dict[str, Any], dict[str, int]]]:
        """Documents by id with their sequence numbers (for conditional writes)."""
        found = {}
        with self._cluster():
            for start in range(0, len(ids), 1000):
                try:
                    response = self.client.mget(
                        index=self.names.listings, ids=ids[start : start + 1000], realtime=True
                    )
                except NotFoundError as exc:
                    if exc.error != "index_not_found_exception":
                        raise
                    return {}  # nothing written yet
                for doc in response["docs"]:
                    if doc.get("found"):
                        found[doc["_id"]] = (
                            doc["_source"],
                            {"if_seq_no": doc["_seq_no"], "if_primary_term": doc["_primary_term"]},
                        )
        return found

    def _queued(self, ids: list[str]) -> dict[str, list[Operation]]:
        """Listing and review operations still in the outbox, per listing, in order."""
        queued: dict[str, list[Operation]] = defaultdict(list)
        for operation in self.outbox.for_keys(("listing", "review"), ids):
            queued[operation.key].append(operation)
        return queued

    def ids_with_prefix(self, prefix: str, limit: int = 2) -> list[str]:
        if not prefix or any(c not in "0123456789abcdef" for c in prefix):
            return []
        with self._cluster():
            response = self.client.search(
                index=self.names.listings,
                query={"prefix": {"id": prefix}},
                sort=[{"id": "asc"}],
                size=limit,
                source=False,
                ignore_unavailable=True,
            )
        return [hit["_id"] for hit in response["hits"]["hits"]]

    def versions(self, listing_id: str) -> list[ListingVersion]:
        self.get_many([listing_id])
        doc = self._read[listing_id]
        return [ListingVersion(**v) for v in doc.get("versions", [])] if doc else []

    def count(self) -> int:
        with self._cluster():
            self._refresh()
            response = self.client.count(index=self.names.listings, ignore_unavailable=True)
            return int(response["count"])

    def search(self, query: SearchQuery) -> SearchResult:
        """The query as Elasticsearch DSL: the same matches, order and pages as the
        SQLite store (relevance scores differ: Lucene's BM25 is not FTS5's)."""
        sort = _sort(query)
        request: dict[str, Any] = {
            "query": _query(query),
            "sort": sort,
            "size": query.limit + 1,
            "track_total_hits": True,
        }
        if query.after is not None:
            request["search_after"] = query.cursor_values(len(sort))
        if query_terms(query.text):
            request["highlight"] = {
                "pre_tags": [HIGHLIGHT_START],
                "post_tags": [HIGHLIGHT_END],
                "fields": {
                    "title": {"number_of_fragments": 0},
                    "seller": {"number_of_fragments": 0},
                    "text": {"fragment_size": 120, "number_of_fragments": 1},
                },
            }
        with self._cluster():
            self._refresh()
            response = self.client.search(
                index=self.names.listings, ignore_unavailable=True, **request
            )
        hits = response["hits"]["hits"]
        page, more = hits[: query.limit], len(hits) > query.limit
        highlights = {
            hit["_id"]: {name: list(parts) for name, parts in hit["highlight"].items()}
            for hit in page
            if hit.get("highlight")
        }
        return SearchResult(
            total=int(response["hits"]["total"]["value"]),
            listings=[listing_of(hit["_source"]) for hit in page],
            highlights=highlights,
            next_cursor=query.cursor(page[-1]["sort"]) if more and page else None,
        )

    def facets(self, query: SearchQuery, size: int = 10) -> dict[str, list[tuple[str, int]]]:
        fields = {"labels": "labels", "source": "source", "lang": "lang", "seller": "seller.raw"}
        aggs: dict[str, Any] = {
            # one more: an empty value ("" seller) is dropped below, as SQLite skips it
            name: {"terms": {"field": path, "size": size + 1}}
            for name, path in fields.items()
        }
        # Every verdict (there are few), and the listings without one counted apart.
        aggs["verdict"] = {"terms": {"field": VERDICT_FIELD, "size": len(VERDICTS)}}
        aggs[NOT_REVIEWED] = {"missing": {"field": VERDICT_FIELD}}
        aggs["entity_type"] = {"terms": {"field": "entity_types", "size": size}}
        for name in KEY_FACETS:  # each document keeps their values (see `_entity_fields`)
            aggs[name] = {"terms": {"field": f"entity_facets.{name}", "size": size}}
        aggs["vendor"] = {"terms": {"field": "vendor_id", "size": size}}
        aggs["day"] = {
            "date_histogram": {
                "field": "last_seen",
                "calendar_interval": "day",
                "time_zone": "UTC",
                "min_doc_count": 1,
                "format": "yyyy-MM-dd",
            }
        }
        with self._cluster():
            self._refresh()
            response = self.client.search(
                index=self.names.listings,
                query=_query(query),
                size=0,
                aggs=aggs,
                ignore_unavailable=True,
            )
        found = response.get("aggregations", {})
        result: dict[str, list[tuple[str, int]]] = {}
        for name in FACETS:
            buckets = found.get(name, {}).get("buckets", [])
            if name == "day":
                days = [(b["key_as_string"], int(b["doc_count"])) for b in buckets]
                result[name] = sorted(days, reverse=True)[:size]
                continue
            counts = [(str(b["key"]), int(b["doc_count"])) for b in buckets if b["key"]]
            if name == "verdict" and found.get(NOT_REVIEWED, {}).get("doc_count"):
                counts.append((NOT_REVIEWED, int(found[NOT_REVIEWED]["doc_count"])))
            result[name] = sorted(counts, key=lambda c: (-c[1], c[0]))[:size]
        return result

    def _refresh(self) -> None:
        """Make this store's own sent writes searchable (others see them within the
        cluster's refresh interval, a second by default)."""
        if self._unrefreshed:
            self.client.indices.refresh(index=self.names.listings)
            self._unrefreshed = False

    # -- writing --------------------------------------------------------------

    def write(self, listing: Listing) -> None:
        """Queue `listing` in the outbox batch (sent at `commit`). Its version and
        first_seen are set from the stored document (read by the dedupe step, or
        here), as they will be numbered when the write reaches the cluster."""
        if listing.change is None:
            raise ValueError(f"listing {listing.id} has no change marker; run dedupe first")
        listing.content_sha256 = listing.content_sha256 or content_hash(listing)
        if listing.id not in self._read:
            with suppress(StoreUnavailable):  # then numbered when the write is sent
                self.get_many([listing.id])
        record = listing.to_record()
        self.outbox.add("listing", listing.id, record)
        resolved = _resolve(self._read.get(listing.id), record)
        self._read[listing.id] = resolved
        listing.version = resolved["version"]
        listing.first_seen = resolved["first_seen"]
        for name in LINK_FIELDS:
            setattr(listing, name, resolved.get(name))

    def commit(self) -> None:
        """Make the batch durable in the outbox, then send what the outbox holds
        (unless the cluster was unreachable moments ago: then it waits)."""
        self.outbox.commit()
        self._read.clear()
        if self._available:
            self.drain()

    def drain(self, force: bool = False) -> DrainReport:
        """Send the outbox to the cluster, oldest first, until it is empty or the
        cluster stops taking it. Never raises for an unreachable cluster: the report
        says so and the operations wait."""
        report = DrainReport()
        if force:
            self._down_until = 0.0
        try:
            while True:
                operations = self.outbox.pending(self.settings.batch_size)
                if not operations:
                    break
                self._prepare_writes()
                sent, retry = self._send(operations, report)
                if not sent and retry:
                    break  # only conflicts or overload left: try again later
        except StoreUnavailable as exc:
            report.error = str(exc)
            logger.warning(
                "%s; %d write(s) wait in the outbox %s and are sent when it is back "
                "(or with 'armswatch index flush')",
                exc,
                self.outbox.depth().pending,
                self.outbox.path,
            )
        report.remaining = self.outbox.depth().pending
        return report

    def _send(self, operations: list[Operation], report: DrainReport) -> tuple[int, int]:
        """One bulk request for a batch of operations; returns (acknowledged, retried)."""
        by_listing: dict[str, list[Operation]] = defaultdict(list)
        runs: dict[str, list[Operation]] = defaultdict(list)
        actions: list[dict[str, Any]] = []
        seqs_of: list[list[int]] = []
        for operation in operations:
            if operation.kind in ("listing", "review"):
                by_listing[operation.key].append(operation)
            if operation.kind == "review":
                actions.append(
                    {
                        "_op_type": "create",
                        "_index": self.names.reviews,
                        "_id": operation.body["id"],
                        "_source": operation.body,
                    }
                )
                seqs_of.append([operation.seq])
            elif operation.kind == "run":
                runs[operation.key].append(operation)
        for run_id, run_operations in runs.items():  # one document per run: its latest state
            actions.append(
                {
                    "_op_type": "index",
                    "_index": self.names.runs,
                    "_id": run_id,
                    "_source": run_operations[-1].body,
                }
            )
            seqs_of.append([o.seq for o in run_operations])
        current = self._fetch(list(by_listing))
        for listing_id, listing_operations in by_listing.items():
            stored, seq = current.get(listing_id, (None, None))
            doc = stored
            for operation in listing_operations:
                doc = apply(doc, operation)
            if doc is None:  # reviews of a listing the cluster never got: kept for later
                continue
            doc["indexed_at"] = _now()
            action: dict[str, Any] = {
                "_index": self.names.listings,
                "_id": listing_id,
                "_source": doc,
            }
            action.update({"_op_type": "index", **seq} if seq else {"_op_type": "create"})
            actions.append(action)
            seqs_of.append([o.seq for o in listing_operations])
        return self._bulk(actions, seqs_of, report)

    def _bulk(
        self, actions: list[dict[str, Any]], seqs_of: list[list[int]], report: DrainReport
    ) -> tuple[int, int]:
        done: set[int] = set()
        retry: dict[int, str] = {}
        failed: dict[int, str] = {}
        # Results may come back out of order (retried items last): match them by
        # index kind and id.
        pending = {
            (self._kind(a["_index"]), a["_id"]): (a, s)
            for a, s in zip(actions, seqs_of, strict=True)
        }
        with self._cluster():
            results = helpers.streaming_bulk(
                self.client,
                actions,
                chunk_size=len(actions) or 1,
                max_retries=self.settings.retries,
                initial_backoff=1,
                max_backoff=30,
                raise_on_error=False,
                yield_ok=True,
            )
            for ok, item in results:
                outcome = next(iter(item.values()))
                action, seqs = pending[(self._kind(outcome["_index"]), outcome["_id"])]
                status = int(outcome.get("status", 0))
                if ok or (status == 409 and action["_index"] == self.names.reviews):
                    done.update(seqs)
                    continue
                reason = _reason(outcome)
                if status in _RETRYABLE or (status == 403 and "cluster_block" in reason):
                    retry.update((s, reason) for s in seqs)
                else:
                    failed.update((s, f"{action['_id']}: {reason}") for s in seqs)
        failed_now = set(failed)
        retry_now = set(retry) - failed_now
        done -= failed_now | retry_now
        self.outbox.done(sorted(done))
        for reason in sorted(set(failed.values())):
            seqs = [s for s, r in failed.items() if r == reason]
            self.outbox.fail(seqs, reason)
            report.failed.append(reason)
            logger.error(
                "Elasticsearch refused listing %s; it is kept in the outbox as failed "
                "('armswatch index status' lists it)",
                reason,
            )
        for reason in sorted(set(retry.values())):
            self.outbox.retry_later([s for s, r in retry.items() if r == reason], reason)
        self._unrefreshed = self._unrefreshed or bool(done)
        report.sent += len(done)
        report.retry += len(retry_now)
        return len(done), len(retry_now)

    def _kind(self, index: str) -> str:
        """`runs`, `reviews` or `listings`, from an index or alias name."""
        return {self.names.runs: "runs", self.names.reviews: "reviews"}.get(index, "listings")

    # -- runs and reviews ------------------------------------------------------

    def start_run(self, source: str, started_at: str) -> CrawlRun:
        """Record a run at once (with the pending writes): a crash leaves it "running"."""
        run = CrawlRun(source=source, started_at=started_at, id=_recorded_id())
        self._queue_run(run)
        return run

    def finish_run(self, run: CrawlRun) -> None:
        if run.id is None:
            raise ValueError("finish_run needs a run returned by start_run")
        self._queue_run(run)

    def _queue_run(self, run: CrawlRun) -> None:
        self.outbox.add("run", str(run.id), asdict(run))
        self.commit()

    def last_runs(self) -> dict[str, CrawlRun]:
        """The latest run of every source, the outbox's news included."""
        with self._cluster():
            self.client.indices.refresh(index=self.names.runs, ignore_unavailable=True)
            response = self.client.search(
                index=self.names.runs,
                sort=[{"started_at": "desc"}, {"id": "desc"}],
                size=10_000,
                ignore_unavailable=True,
            )
        runs = {hit["_id"]: CrawlRun(**hit["_source"]) for hit in response["hits"]["hits"]}
        runs.update((o.key, CrawlRun(**o.body)) for o in self.outbox.of_kind("run"))
        latest: dict[str, CrawlRun] = {}
        for run in sorted(runs.values(), key=lambda r: (r.started_at, str(r.id))):
            latest[run.source] = run
        return dict(sorted(latest.items()))

    def add_review(self, review: Review) -> Review:
        """Record a review at once (with the pending writes); returns it with its id.

        Its verdict reaches the listing's document with it (see `apply`), and is made
        searchable at once: the next page an analyst opens (the queue without this
        listing) may be served by another process or thread."""
        if self.get(review.listing_id) is None:
            raise KeyError(f"no listing with id {review.listing_id!r} in {self.names.listings}")
        review = replace(review, id=_recorded_id())
        self.outbox.add("review", review.listing_id, _review_body(review))
        self.commit()
        with suppress(StoreError), self._cluster():  # sent: refresh; waiting: nothing to do
            self._refresh()
        return review

    def reviews(self, listing_ids: Iterable[str] | None = None) -> list[Review]:
        wanted = None if listing_ids is None else list(dict.fromkeys(listing_ids))
        query: dict[str, Any] = (
            {"match_all": {}} if wanted is None else {"terms": {"listing_id": wanted}}
        )
        found: dict[str, Review] = {}
        with self._cluster():
            self.client.indices.refresh(index=self.names.reviews, ignore_unavailable=True)
            hits = helpers.scan(
                self.client,
                index=self.names.reviews,
                query={"query": query},
                ignore_unavailable=True,
            )
            for hit in hits:
                found[hit["_id"]] = _review(hit["_source"])
        for operation in self.outbox.of_kind("review"):
            if wanted is None or operation.key in wanted:
                found[operation.body["id"]] = _review(operation.body)
        return sorted(found.values(), key=lambda r: str(r.id))

    # -- links across listings -------------------------------------------------

    def iter_listings(self, batch_size: int = 1000) -> Iterator[Listing]:
        """Every listing the cluster holds (with the writes still in the outbox applied),
        in id order over one point in time: a consistent view however long the caller
        takes, while crawls go on writing. Listings only in the outbox are not read."""
        with self._cluster():
            self._refresh()
            try:
                pit = self.client.open_point_in_time(
                    index=self.names.listings, keep_alive=PIT_KEEP_ALIVE
                )["id"]
            except NotFoundError as exc:
                if exc.error != "index_not_found_exception":
                    raise
                return  # nothing written yet
        try:
            after: list[Any] | None = None
            while True:
                with self._cluster():
                    response = self.client.search(
                        pit={"id": pit, "keep_alive": PIT_KEEP_ALIVE},
                        sort=[{"id": "asc"}],
                        size=batch_size,
                        track_total_hits=False,
                        **({"search_after": after} if after else {}),
                    )
                pit = response.get("pit_id", pit)
                hits = response["hits"]["hits"]
                if not hits:
                    return
                queued = self._queued([hit["_id"] for hit in hits])
                for hit in hits:
                    doc = hit["_source"]
                    for operation in queued.get(hit["_id"], []):
                        doc = apply(doc, operation)
                    yield listing_of(doc)
                after = hits[-1]["sort"]
        finally:
            with suppress(StoreError), self._cluster():
                self.client.close_point_in_time(id=pit)

    def set_links(
        self, vendor_ids: Mapping[str, str | None], clusters: Mapping[str, str | None]
    ) -> None:
        """Set `vendor_id` (and `duplicate_cluster`) of the listings named in `vendor_ids`
        (in `clusters`) with bulk partial updates, after the pending writes; listings
        the cluster does not hold are skipped. Not queued in the outbox: an unreachable
        cluster raises StoreUnavailable, and linking is simply run again."""
        changes: dict[str, dict[str, Any]] = defaultdict(dict)
        for name, values in (("vendor_id", vendor_ids), ("duplicate_cluster", clusters)):
            for listing_id, value in values.items():
                changes[listing_id][name] = value
        self.commit()
        self._prepare_writes()
        now = _now()  # a rebuild running meanwhile copies them again (see `rebuild`)
        actions = (
            {
                "_op_type": "update",
                "_index": self.names.listings,
                "_id": listing_id,
                "doc": {**fields, "indexed_at": now},
                "retry_on_conflict": 3,
            }
            for listing_id, fields in changes.items()
        )
        refused: list[str] = []
        with self._cluster():
            results = helpers.streaming_bulk(
                self.client,
                actions,
                chunk_size=self.settings.batch_size,
                max_retries=self.settings.retries,
                initial_backoff=1,
                max_backoff=30,
                raise_on_error=False,
            )
            for ok, item in results:
                outcome = item["update"]
                status = int(outcome.get("status", 0))
                if ok or status == 404:
                    continue
                reason = _reason(outcome)
                if status in _RETRYABLE or (status == 403 and "cluster_block" in reason):
                    raise StoreUnavailable(
                        f"Elasticsearch cannot take the links just now ({reason}); run the "
                        "linking again later"
                    )
                refused.append(f"{outcome['_id']}: {reason}")
            self.client.indices.refresh(index=self.names.listings)
        if refused:
            raise StoreError(
                f"Elasticsearch refused the links of {len(refused)} listing(s), the first "
                f"{refused[0]}; run 'armswatch index check', then the linking again"
            )

    def replace_vendors(self, profiles: Iterable[VendorProfile]) -> None:
        """Make `profiles` the stored vendor profiles: a new vendors index swapped in
        at once (see `IndexLayout.replace_vendors`)."""
        self._prepare_writes()
        docs = (
            {**vendor_record(profile), "listing_count": len(profile.listing_ids)}
            for profile in profiles
        )
        with self._cluster():
            self.layout.replace_vendors(docs)

    def vendors(self, source: str | None = None) -> list[VendorProfile]:
        """The vendor profiles (those with a listing on `source`), most listings first,
        then by id; read in pages of a thousand."""
        query = {"match_all": {}} if source is None else {"term": {"sources": source}}
        found: list[VendorProfile] = []
        after: list[Any] | None = None
        while True:
            with self._cluster():
                response = self.client.search(
                    index=self.names.vendors,
                    query=query,
                    sort=[{"listing_count": "desc"}, {"id": "asc"}],
                    size=1000,
                    ignore_unavailable=True,
                    **({"search_after": after} if after else {}),
                )
            hits = response["hits"]["hits"]
            found += [vendor_of(hit["_source"]) for hit in hits]
            if len(hits) < 1000:
                return found
            after = hits[-1]["sort"]

    def vendor(self, vendor_id: str) -> VendorProfile | None:
        with self._cluster():
            response = self.client.search(
                index=self.names.vendors,
                query={"term": {"id": vendor_id}},
                size=1,
                ignore_unavailable=True,
            )
        hits = response["hits"]["hits"]
        return vendor_of(hits[0]["_source"]) if hits else None

    # -- closing --------------------------------------------------------------

    def close(self) -> None:
        """Discard uncommitted writes (as a crash would), send what is committed, and
        say what still waits. Closing twice is harmless."""
        if self._closed:
            return
        self._closed = True
        discarded = self.outbox.rollback()
        if discarded:
            logger.warning(
                "closing the Elasticsearch store with %d uncommitted write(s); they are discarded",
                discarded,
            )
        if self.outbox.depth().pending and self._available:
            self.drain()
        if self._unrefreshed:  # what this process wrote is searchable when it ends
            with suppress(StoreError), self._cluster():
                self.client.indices.refresh(
                    index=[self.names.listings, self.names.runs, self.names.reviews]
                )
        self.outbox.close()
        self.client.close()


# -- documents ----------------------------------------------------------------


def listing_of(doc: dict[str, Any]) -> Listing:
    return Listing.from_record({k: v for k, v in doc.items() if k not in _STORED_ONLY})


def apply(doc: dict[str, Any] | None, operation: Operation) -> dict[str, Any] | None:
    """The document after one queued operation."""
    if operation.kind == "review":
        if doc is None:
            return None
        body = operation.body
        review = {k: body[k] for k in ("verdict", "labels", "analyst", "reviewed_at", "note")}
        return {**doc, "review": review}
    return _resolve(doc, operation.body)


def _resolve(stored: dict[str, Any] | None, record: dict[str, Any]) -> dict[str, Any]:
    """A crawled listing record applied to the stored document: a new document
    (version 1), a new version (changed content or price), or only a later
    `last_seen` (unchanged, or this very write applied before)."""
    seen_at = record.get("last_seen") or record.get("first_seen") or _now()
    version = {
        "seen_at": seen_at,
        "title": record["title"],
        "text": record["text"],
        "price": record["price"],
        "currency": record["currency"],
        "content_sha256": record["content_sha256"],
        "raw_sha256": record["raw_sha256"],
    }
    if stored is None:
        doc = {**record, "version": 1, "first_seen": record.get("first_seen") or seen_at}
        return _with_history(doc, [], version)
    history = list(stored.get("versions", []))
    applied_before = any(
        v["content_sha256"] == version["content_sha256"] and v["seen_at"] == seen_at
        for v in history
    )
    if same_content(stored, record) or applied_before:
        doc = dict(stored)
        if _later(record.get("last_seen"), stored.get("last_seen")):
            doc["last_seen"] = record["last_seen"]
            doc["raw_sha256"] = record["raw_sha256"]
        if stored.get("classifier_version") is None and record.get("classifier_version"):
            doc.update((name, record[name]) for name in CLASSIFICATION_FIELDS)
        if not stored.get("entities") and record.get("entities"):
            doc["entities"] = record["entities"]
            doc.update(_entity_fields(record["entities"]))
        return doc
    doc = {
        **record,
        "version": int(stored.get("version", len(history))) + 1,
        "first_seen": stored.get("first_seen"),
        # set by linking, not crawled: kept as the verdict is
        **{name: stored.get(name) for name in LINK_FIELDS},
    }
    if "review" in stored:
        doc["review"] = stored["review"]
    return _with_history(doc, history, version)


def _with_history(
    doc: dict[str, Any], history: list[dict[str, Any]], version: dict[str, Any]
) -> dict[str, Any]:
    entry = {"version": doc["version"], **version}
    doc["versions"] = [*history, entry]
    doc["price_history"] = [
        {k: v[k] for k in ("version", "seen_at", "price", "currency")} for v in doc["versions"]
    ]
    doc.update(_entity_fields(doc.get("entities") or {}))
    return doc


def _entity_fields(entities: Mapping[str, list[Any]]) -> dict[str, Any]:
    """What searches filter and count on, derived from the listing's entities."""
    keys = entity_keys(entities)
    facets = {
        name: [key_value(key) for key in keys if key_type(key) == kind]
        for name, kind in KEY_FACETS.items()
    }
    return {
        "entity_keys": keys,
        "entity_types": list(dict.fromkeys(map(key_type, keys))),
        "entity_facets": facets,
    }


def _later(candidate: str | None, current: str | None) -> bool:
    if candidate is None:
        return False
    if current is None:
        return True
    try:
        return _moment(candidate) >= _moment(current)
    except ValueError:
        return candidate >= current


def _moment(timestamp: str) -> datetime:
    moment = datetime.fromisoformat(timestamp)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _recorded_id() -> str:
    """A unique id that sorts in the order of recording (as SQLite's row ids do):
    the time in nanoseconds, then randomness against ties between hosts."""
    return f"{time.time_ns():016x}{uuid.uuid4().hex[:16]}"


def _review_body(review: Review) -> dict[str, Any]:
    body = asdict(review)
    body["labels"] = list(review.labels)
    return body


def _review(body: dict[str, Any]) -> Review:
    return Review(**{**body, "labels": tuple(body.get("labels", ()))})


def _reason(outcome: dict[str, Any]) -> str:
    error = outcome.get("error")
    if isinstance(error, dict):
        return f"{error.get('type', 'error')}: {error.get('reason', '')}"
    return str(error or f"status {outcome.get('status')}")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


# -- the search model as Elasticsearch DSL ------------------------------------


def _query(query: SearchQuery) -> dict[str, Any]:
    must: list[dict[str, Any]] = []
    for term in query_terms(query.text):
        kind = "phrase_prefix" if term.prefix else "phrase"
        must.append(
            {"multi_match": {"query": term.text, "fields": list(TEXT_FIELDS), "type": kind}}
        )
    filters: list[dict[str, Any]] = []
    if query.labels:
        filters.append({"terms": {"labels": list(query.labels)}})
    bounds = {
        op: value
        for op, value in (("gte", query.min_score), ("lte", query.max_score))
        if value is not None
    }
    if bounds and query.labels:
        ranges = [{"range": {f"scores.{label}": bounds}} for label in query.labels]
        filters.append(_any_of(ranges))
    elif bounds:
        filters.append({"range": {"threat_score": bounds}})
    if query.entities:
        keys = [key for key in query.entities if ":" in key]
        types = [key for key in query.entities if ":" not in key]
        either = [{"terms": {"entity_keys": keys}}] if keys else []
        either += [{"terms": {"entity_types": types}}] if types else []
        filters.append(_any_of(either))
    for path, values in (
        ("source", query.sources),
        ("lang", query.langs),
        ("seller.raw", query.sellers),
        ("vendor_id", query.vendors),
        ("duplicate_cluster", query.duplicate_clusters),
    ):
        if values:
            filters.append({"terms": {path: list(values)}})
    moments = {}
    if query.since is not None:
        moments["gte"] = _iso(query.since)
    if query.until is not None:
        moments["lte"] = _iso(query.until)
    if moments:
        filters.append({"range": {"last_seen": moments}})
    if query.verdicts:
        named = [verdict for verdict in query.verdicts if verdict != NOT_REVIEWED]
        either: list[dict[str, Any]] = [{"terms": {VERDICT_FIELD: named}}] if named else []
        if NOT_REVIEWED in query.verdicts:
            either.append({"bool": {"must_not": [{"exists": {"field": VERDICT_FIELD}}]}})
        filters.append(_any_of(either))
    if not must and not filters:
        return {"match_all": {}}
    return {"bool": {"must": must, "filter": filters}}


def _any_of(queries: list[dict[str, Any]]) -> dict[str, Any]:
    """Matches any of `queries` (inside a filter, which no score is asked of)."""
    return {"bool": {"should": queries, "minimum_should_match": 1}}


def _sort(query: SearchQuery) -> list[Any]:
    """The orders of `SORTS`, ties broken the same way in every store."""
    threat = {"threat_score": {"order": "desc"}}
    newest = {"last_seen": {"order": "desc", "missing": "_last"}}
    by_id = {"id": {"order": "asc"}}
    if query.sort == "newest":
        return [newest, threat, by_id]
    if query.ranks_by_text:
        return [{"_score": {"order": "desc"}}, threat, newest, by_id]
    return [threat, newest, by_id]


def _iso(moment: datetime) -> str:
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).isoformat()
