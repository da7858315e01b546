"""Resume interrupted crawls, start finished ones afresh, and resume killed ones
without fetching again what they stored.

Scrapy's JOBDIR lets a crawl stopped with Ctrl-C resume where it stopped. But
a finished crawl's JOBDIR would make the next nightly run skip every page it
has seen, and a killed crawl's JOBDIR marks pages as seen whose listings were
never committed. So: a marker file says "running" and holds the time the crawl
(or the killed crawl it resumes) started; a graceful stop removes it (resume next
time), a finished crawl removes the whole job directory, and a marker left by a
killed crawl makes the next run start over, keeping only that time
(crawlers.spidermiddlewares.resume then skips the listings stored since).
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

from scrapy import Spider, signals
from scrapy.crawler import Crawler

from crawlers.spiders.base import utc_now

MARKER = "armswatch-running"
KILLED_SINCE = "armswatch-killed-since"
"""In a job directory: when the killed crawl that this one resumes started."""
logger = logging.getLogger(__name__)


def discard_if_killed(job_dir: Path) -> bool:
    """Before a crawl: drop the state a killed crawl left, keeping when it started.
    True when it did."""
    marker = job_dir / MARKER
    if not marker.exists():
        return False
    since = marker.read_text(encoding="utf-8").strip()
    shutil.rmtree(job_dir)
    if since:
        job_dir.mkdir(parents=True)
        (job_dir / KILLED_SINCE).write_text(since, encoding="utf-8")
    return True


def killed_since(job_dir: Path) -> str | None:
    """When the killed crawl this one resumes started (UTC, ISO 8601), if it resumes one."""
    path = job_dir / KILLED_SINCE
    return path.read_text(encoding="utf-8").strip() or None if path.exists() else None


class JobState:
    def __init__(self, job_dir: Path) -> None:
        self.job_dir = job_dir

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> JobState:
        ext = cls(Path(crawler.settings["JOBDIR"]))
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self, spider: Spider) -> None:
        self.job_dir.mkdir(parents=True, exist_ok=True)
        since = killed_since(self.job_dir) or utc_now()
        (self.job_dir / MARKER).write_text(since, encoding="utf-8")

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if reason == "shutdown":
            (self.job_dir / MARKER).unlink(missing_ok=True)
            logger.info("crawl of %s paused; the next run resumes it", spider.name)
        else:
            shutil.rmtree(self.job_dir, ignore_errors=True)
