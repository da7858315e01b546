"""Resume interrupted crawls, start finished or killed ones afresh.

Scrapy's JOBDIR lets a crawl stopped with Ctrl-C resume where it stopped. But
a finished crawl's JOBDIR would make the next nightly run skip every page it
has seen, and a killed crawl's JOBDIR marks pages as seen whose listings were
never committed. So: a marker file says "running"; a graceful stop removes
it (resume next time), a finished crawl removes the whole job directory, and
a marker left by a killed crawl makes the next run start over.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

from scrapy import Spider, signals
from scrapy.crawler import Crawler

MARKER = "armswatch-running"
logger = logging.getLogger(__name__)


def discard_if_killed(job_dir: Path) -> bool:
    """Before a crawl: drop the state a killed crawl left. True when it did."""
    if (job_dir / MARKER).exists():
        shutil.rmtree(job_dir)
        return True
    return False


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
        (self.job_dir / MARKER).touch()

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if reason == "shutdown":
            (self.job_dir / MARKER).unlink(missing_ok=True)
            logger.info("crawl of %s paused; the next run resumes it", spider.name)
        else:
            shutil.rmtree(self.job_dir, ignore_errors=True)
