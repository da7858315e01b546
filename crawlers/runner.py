"""Run a crawl of one or more sources in this process and report what each did.

Scrapy's reactor cannot be restarted, so `run_crawl` can be called once per
process; the CLI and the scheduler (in a child process) call it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scrapy.crawler import Crawler, CrawlerProcess
from scrapy.utils.reactor import install_reactor, is_reactor_installed

from armswatch.config import Config, Source
from crawlers.browser import NO_LINKS_STAT
from crawlers.distributed.frontier import connect, for_workers
from crawlers.downloadermiddlewares.login import LOGIN_NEEDED
from crawlers.downloadermiddlewares.robots import UNAVAILABLE_STAT
from crawlers.extensions.jobstate import discard_if_killed
from crawlers.publicsuffix import use_bundled_suffix_list
from crawlers.runtime import Runtime
from crawlers.settings import crawler_settings, job_dir
from crawlers.spidermiddlewares.selectors import UNMATCHED_STAT
from crawlers.spiders.forum import ForumSpider
from crawlers.spiders.listing import ListingSpider

logger = logging.getLogger(__name__)

ASYNCIO_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
FINISHED_REASONS = {"finished", "closespider_pagecount"}
SUMMARY_COUNTS = {
    "pages": "response_received_count",
    "new": "armswatch/listings_new",
    "changed": "armswatch/listings_changed",
    "same": "armswatch/listings_unchanged",
    "flagged": "armswatch/flagged",
    "failed": "armswatch/fetch_failed",
    "refused": "armswatch/refused",
}
"""Summary figure -> the crawl stat it counts."""


@dataclass
class SourceReport:
    """What one source's crawl did; `status` is what an operator reads."""

    source: str
    reason: str = "not started"
    stats: dict[str, Any] = field(default_factory=dict)

    def count(self, key: str) -> int:
        return int(self.stats.get(key, 0))

    @property
    def pages(self) -> int:
        return self.count(SUMMARY_COUNTS["pages"])

    @property
    def found(self) -> int:
        """Listings the crawl extracted (stored, or dropped by a pipeline)."""
        return self.count("item_scraped_count") + self.count("item_dropped_count")

    @property
    def status(self) -> str:
        if self.reason == "shutdown":
            return "interrupted (resumes next run)"
        if self.reason == LOGIN_NEEDED:
            return "login needed"
        if self.reason not in FINISHED_REASONS:
            return f"failed ({self.reason})"
        if self.count(UNAVAILABLE_STAT):
            return "robots.txt unavailable"
        if self.stats.get(UNMATCHED_STAT) or (self.count(NO_LINKS_STAT) and not self.found):
            return "selectors match nothing"
        if self.pages == 0 and self.count("armswatch/fetch_failed"):
            return "unreachable"
        if self.reason == "closespider_pagecount":
            return "stopped at page cap"
        return "ok"

    @property
    def ok(self) -> bool:
        return self.status in {"ok", "stopped at page cap"}

    def summary(self) -> dict[str, Any]:
        """The figures an operator reads (summary table, `crawl --report`, run history)."""
        counts = {name: self.count(key) for name, key in SUMMARY_COUNTS.items()}
        counts["dropped"] = self.count("armswatch/dropped_empty") + self.count("armswatch/rejected")
        return {"source": self.source, "status": self.status, "ok": self.ok, **counts}


ProgressCallback = Callable[[list[SourceReport]], None]


def run_crawl(
    config: Config,
    sources: list[Source],
    *,
    max_pages: int | None = None,
    on_progress: ProgressCallback | None = None,
    log_file: Path | None = None,
) -> list[SourceReport]:
    """Crawl `sources` concurrently (one Scrapy crawler each) into the configured store;
    with `distributed.redis_url`, as one of the workers sharing each source's frontier.

    Raises FrontierError when Redis cannot be reached."""
    use_bundled_suffix_list()
    if (redis_url := config.settings.distributed.redis_url) is not None:
        connect(redis_url).close()  # an unreachable Redis fails here, before anything runs
        config = for_workers(config)
    runtime = Runtime.open(config)
    log_file = log_file or _default_log_file(config)
    log_file.parent.mkdir(parents=True, exist_ok=True)
    logging_settings = {
        "LOG_FILE": str(log_file),
        "LOG_LEVEL": "INFO",
        "LOG_FILE_APPEND": True,
        "LOG_INSTALL_ROOT_HANDLER": True,
    }
    process = CrawlerProcess(logging_settings)
    if not is_reactor_installed():
        # Every source has its own Crawler (own settings); the reactor they share
        # must exist before the first one is built.
        install_reactor(ASYNCIO_REACTOR)
    crawlers: list[tuple[Source, Crawler]] = []
    try:
        for source in sources:
            if redis_url is None and discard_if_killed(job_dir(config, source)):
                logger.warning(
                    "the previous crawl of %s was killed; starting it over, without fetching "
                    "again the listings it stored",
                    source.name,
                )
            spider_cls = ForumSpider if source.kind == "forum" else ListingSpider
            settings = {**crawler_settings(config, source, max_pages), **logging_settings}
            crawler = Crawler(spider_cls, settings)
            process.crawl(crawler, source=source, runtime=runtime)
            crawlers.append((source, crawler))

        def snapshot() -> list[SourceReport]:
            return [_report(source, crawler) for source, crawler in crawlers]

        if on_progress is not None:
            from twisted.internet import task

            task.LoopingCall(lambda: on_progress(snapshot())).start(0.5, now=False)
        process.start()
        return snapshot()
    finally:
        runtime.close()


def _report(source: Source, crawler: Crawler) -> SourceReport:
    stats = crawler.stats.get_stats() if crawler.stats else {}
    reason = stats.get("finish_reason") or ("running" if crawler.crawling else "not started")
    return SourceReport(source=source.name, reason=str(reason), stats=dict(stats))


def _default_log_file(config: Config) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return config.data_dir / "logs" / f"crawl-{stamp}.log"
