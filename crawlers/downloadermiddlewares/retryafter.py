"""Honour `Retry-After` on 429 and 503 answers: wait as long as the site asks
before Scrapy's RetryMiddleware (which ignores the header) asks again.

A site that asks for more than `RETRY_AFTER_MAX` seconds is not retried in this
crawl: its answer stands, and is recorded as a failed fetch. Waits are counted in
the run's stats (`armswatch/retry_after_waits`, `armswatch/retry_after_seconds`)
so the run history shows that a site throttled the crawl.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet import reactor, task

RETRY_AFTER_MAX = 300.0
"""Default longest wait, seconds (setting RETRY_AFTER_MAX)."""
WAITS_STAT = "armswatch/retry_after_waits"
SECONDS_STAT = "armswatch/retry_after_seconds"
TOO_LONG_STAT = "armswatch/retry_after_too_long"
THROTTLING = {429, 503}

logger = logging.getLogger(__name__)


def retry_after_seconds(value: str, now: datetime | None = None) -> float | None:
    """Seconds a `Retry-After` value asks for (delta-seconds or an HTTP date), None
    when it is neither."""
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class RetryAfterMiddleware:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.max_wait = crawler.settings.getfloat("RETRY_AFTER_MAX", RETRY_AFTER_MAX)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RetryAfterMiddleware:
        return cls(crawler)

    async def process_response(self, request: Request, response: Response) -> Response:
        header = response.headers.get(b"Retry-After")
        if response.status not in THROTTLING or header is None or request.meta.get("dont_retry"):
            return response
        wait = retry_after_seconds(header.decode("latin-1"))
        if wait is None:
            return response
        stats = self.crawler.stats
        assert stats is not None
        if wait > self.max_wait:
            logger.warning(
                "%s answered %d asking to retry after %.0f s, more than the %.0f s armswatch "
                "waits: not retried in this crawl",
                request.url,
                response.status,
                wait,
                self.max_wait,
            )
            stats.inc_value(TOO_LONG_STAT)
            request.meta["dont_retry"] = True
            return response
        logger.info("%s answered %d: waiting %.1f s as it asks", request.url, response.status, wait)
        stats.inc_value(WAITS_STAT)
        stats.inc_value(SECONDS_STAT, wait)
        await maybe_deferred_to_future(task.deferLater(reactor, wait, lambda: None))
        return response
