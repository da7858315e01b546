"""scrapy-redis's scheduler and dupe filter, made safe for workers that die.

scrapy-redis pops a request from Redis before it is downloaded, so a killed
worker would lose what it was fetching, and its spiders would either close as
soon as the shared queue is momentarily empty or (RedisSpider) idle forever.
`FrontierScheduler` instead takes each request into the worker's in-flight
hash (see `frontier.py`) and lets it go only when the request is finished: its
callback's output is processed and the listings from it are committed by the
store, or it failed (recorded in the audit trail), or it was retried or
redirected (its successor is queued). A worker closes when the whole run is
drained: nothing queued and nothing in flight on any worker.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from typing import Any

import redis
from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider
from scrapy.http import Response
from scrapy.statscollectors import StatsCollector
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.scheduler import Scheduler

from armswatch.listing import Listing
from crawlers import signals as armswatch_signals
from crawlers.distributed.frontier import Frontier, new_worker_id, utc_now

TOKEN = "armswatch_frontier"
"""Request meta: the token under which this worker holds the request in Redis."""

logger = logging.getLogger(__name__)


def with_frontier(
    settings: dict[str, Any], redis_url: str, worker_timeout: float
) -> dict[str, Any]:
    """A crawl's Scrapy settings with its frontier in Redis, shared with other workers,
    instead of in JOBDIR (one or the other: a JOBDIR would keep what the shared frontier
    already holds)."""
    return settings | {
        "SCHEDULER": "crawlers.distributed.scheduler.FrontierScheduler",
        "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
        "SCHEDULER_QUEUE_CLASS": "scrapy_redis.queue.PriorityQueue",
        "SCHEDULER_PERSIST": True,  # the frontier outlives any one worker
        "REDIS_URL": redis_url,
        "ARMSWATCH_WORKER_TIMEOUT": worker_timeout,
        "JOBDIR": None,
        "SPIDER_MIDDLEWARES": settings.get("SPIDER_MIDDLEWARES", {})
        | {"crawlers.distributed.scheduler.FrontierOutput": 1000},
        "EXTENSIONS": settings.get("EXTENSIONS", {})
        | {"crawlers.extensions.jobstate.JobState": None},
    }


class Heartbeat(threading.Thread):
    """Says the worker is alive, and requeues what dead workers held, from a thread of
    its own: a worker waiting for the store's write lock or busy in a long callback is
    alive all the same."""

    def __init__(
        self, frontier: Frontier, started: str, timeout: float, stats: StatsCollector
    ) -> None:
        super().__init__(name=f"heartbeat-{frontier.source}", daemon=True)
        self.frontier = frontier
        self.started = started
        self.timeout = timeout
        self.stats = stats
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(self.timeout / 3):
            try:
                self.frontier.beat(self.started, self.timeout)
                if released := self.frontier.release_dead():
                    logger.warning("requeued %d request(s) held by dead workers", released)
                    self.stats.inc_value("armswatch/frontier_requeued", released)
            except redis.RedisError as exc:
                logger.error("Redis did not take the heartbeat of %s: %s", self.name, exc)

    def stop(self) -> None:
        self.stopped.set()
        self.join()


class FrontierScheduler(Scheduler):
    def __init__(self, server: redis.Redis, **kwargs: Any) -> None:
        super().__init__(server, **kwargs)
        self.worker = new_worker_id()
        self.frontier = Frontier(server, "", self.worker)
        self.timeout = 30.0
        self.started = utc_now()
        self.awaiting: dict[str, set[str]] = {}
        """Token -> ids of the listings from its response not yet committed (nor dropped)."""
        self.tokens_of: dict[str, set[str]] = {}
        """Listing id -> the tokens of the requests it came from."""
        self.ended: set[str] = set()
        """Tokens whose callback output has ended."""
        self.heartbeat: Heartbeat | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> FrontierScheduler:
        scheduler: FrontierScheduler = super().from_crawler(crawler)
        scheduler.timeout = crawler.settings.getfloat("ARMSWATCH_WORKER_TIMEOUT", 30.0)
        on = crawler.signals.connect
        on(scheduler.item_dropped, signal=signals.item_dropped)
        on(scheduler.item_dropped, signal=signals.item_error)
        on(scheduler.fetch_failed, signal=armswatch_signals.fetch_failed)
        on(scheduler.listings_committed, signal=armswatch_signals.listings_committed)
        on(scheduler.spider_idle, signal=signals.spider_idle)
        return scheduler

    def open(self, spider: Spider) -> None:
        self.frontier = Frontier(self.server, spider.name, self.worker)
        run = self.frontier.join()
        self.frontier.beat(self.started, self.timeout)
        self.queue_key = self.frontier.key("requests")
        self.df = RFPDupeFilter(self.server, key=self.frontier.key("seen"))
        super().open(spider)
        logger.info("worker %s joined run %s of %s", self.worker, run, spider.name)
        self.heartbeat = Heartbeat(self.frontier, self.started, self.timeout, self.stats)
        self.heartbeat.start()

    def close(self, reason: str) -> None:
        """Unfinished requests (Ctrl-C, page cap) go back to the queue for other workers."""
        if self.heartbeat is not None:
            self.heartbeat.stop()
        self.frontier.leave()
        super().close(reason)

    def enqueue_request(self, request: Request) -> bool:
        # A retry or redirect of a request this worker holds: the original is finished
        # once its successor is queued (or known to the dupe filter).
        token = request.meta.pop(TOKEN, None)
        queued = super().enqueue_request(request)
        if token is not None:
            self.frontier.done(token)
        return queued

    def next_request(self) -> Request | None:
        taken = self.frontier.take()
        if taken is None:
            return None
        token, encoded = taken
        request = self.queue._decode_request(encoded)
        request.meta[TOKEN] = token
        self.stats.inc_value("scheduler/dequeued/redis")
        return request

    def item_yielded(self, token: str, item: Any) -> None:
        if isinstance(item, Listing):
            self.awaiting.setdefault(token, set()).add(item.id)
            self.tokens_of.setdefault(item.id, set()).add(token)

    def output_ended(self, token: str) -> None:
        self.ended.add(token)
        self._settle(token)

    def item_dropped(self, item: Any, **kwargs: Any) -> None:
        """A listing dropped or failed in the pipelines is not waiting for a commit (the
        store keeps the ones it refused in rejected/)."""
        if isinstance(item, Listing):
            self._committed([item])

    def listings_committed(self, listings: list[Listing], **kwargs: Any) -> None:
        self._committed(listings)

    def _committed(self, listings: list[Listing]) -> None:
        for listing in listings:
            for token in self.tokens_of.pop(listing.id, ()):
                self.awaiting[token].discard(listing.id)
                self._settle(token)

    def _settle(self, token: str) -> None:
        if token in self.ended and not self.awaiting.get(token):
            self.ended.discard(token)
            self.awaiting.pop(token, None)
            self.frontier.done(token)

    def fetch_failed(self, request: Request, **kwargs: Any) -> None:
        """A failed or refused fetch is finished: it is in the audit trail."""
        if token := request.meta.get(TOKEN):
            self.frontier.done(token)

    def spider_idle(self, spider: Spider) -> None:
        """Close only when the run is drained on every worker, not when this one is idle."""
        # Nothing is downloading or in the pipelines here: whatever this worker still
        # holds, apart from listings awaiting their commit, was dropped on the way.
        if stray := self.frontier.held() - {t for t, ids in self.awaiting.items() if ids}:
            self.frontier.done(*stray)
        if not self.frontier.finish():
            raise DontCloseSpider


class FrontierOutput:
    """Spider middleware: tells the scheduler which listings come from which request
    and when a callback's output ends."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> FrontierOutput:
        return cls(crawler)

    async def process_spider_output(
        self, response: Response, result: AsyncIterator[Any]
    ) -> AsyncIterator[Any]:
        scheduler = self.crawler.engine.scheduler  # type: ignore[union-attr]
        token = response.meta.get(TOKEN)
        if token is None or not isinstance(scheduler, FrontierScheduler):
            async for output in result:
                yield output
            return
        try:
            async for output in result:
                scheduler.item_yielded(token, output)
                yield output
        finally:
            scheduler.output_ended(token)
