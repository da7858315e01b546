"""After a killed crawl: do not fetch again the listing pages it stored.

A crawl killed with SIGKILL leaves no usable Scrapy job state, so the next run
starts over (crawlers.extensions.jobstate); list pages are fetched again to find
the links, but a listing page whose listing the store has seen since the killed
crawl started is skipped (`armswatch/skipped_stored` in the run's stats): only
what was not committed is fetched again, and nothing is stored twice. The killed
crawl's run record, left "running", is closed as "killed".
"""

from __future__ import annotations

import logging
from pathlib import Path

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response
from scrapy.spidermiddlewares.base import BaseSpiderMiddleware

from armswatch.listing import listing_id
from crawlers.extensions.jobstate import killed_since
from crawlers.spiders.base import SourceSpider, utc_now

SKIPPED_STAT = "armswatch/skipped_stored"
KILLED = "killed"

logger = logging.getLogger(__name__)


class ResumeAfterKillMiddleware(BaseSpiderMiddleware):
    def __init__(self, crawler: Crawler, since: str) -> None:
        super().__init__(crawler)
        self.since = since

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ResumeAfterKillMiddleware:
        job_dir = crawler.settings.get("JOBDIR")
        since = killed_since(Path(job_dir)) if job_dir else None
        if since is None:
            raise NotConfigured("not resuming a killed crawl")
        middleware = cls(crawler, since)
        middleware.close_killed_run()
        return middleware

    @property
    def spider(self) -> SourceSpider:
        spider = self.crawler.spider
        assert isinstance(spider, SourceSpider)
        return spider

    def close_killed_run(self) -> None:
        """The killed crawl's run record says "running" for ever: say what became of it."""
        store = self.spider.runtime.store
        run = store.last_runs().get(self.spider.name)
        if run is None or run.status != "running":
            return
        run.status = KILLED
        run.finished_at = utc_now()
        run.stats["armswatch/note"] = (
            "the crawl was killed; the next run resumed it without fetching again "
            "the listings it had stored"
        )
        store.finish_run(run)

    def get_processed_request(self, request: Request, response: Response | None) -> Request | None:
        spider = self.spider
        if request.callback != getattr(spider, "parse_listing", None):
            return request
        stored = spider.runtime.store.get(listing_id(spider.name, request.url))
        if stored is None or stored.last_seen < self.since:
            return request
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(SKIPPED_STAT)
        return None
