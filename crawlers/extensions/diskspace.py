"""Stop a crawl whole when the data directory's disk is filling up.

On a full disk every write fails at once (Scrapy's request queue, the raw pages,
the audit trail, the log), and Scrapy's engine then loops on the errors instead of
stopping. Checking the free space at each response, a crawl that has less than the
reserve left (setting DISK_RESERVE_BYTES) closes with reason `disk_full` while there
is still room to commit what it fetched and record the run, with a note that says
what to do.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.utils.defer import deferred_from_coro

from armswatch.datadir import RESERVE_BYTES, low_space
from crawlers.browser import NOTE_STAT
from crawlers.spiders.base import SourceSpider

DISK_FULL = "disk_full"
logger = logging.getLogger(__name__)


class DiskSpace:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.reserve = crawler.settings.getint("DISK_RESERVE_BYTES", RESERVE_BYTES)
        self.data_dir: Path | None = None
        self.stopping = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DiskSpace:
        ext = cls(crawler)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.check, signal=signals.response_received)
        return ext

    def spider_opened(self, spider: Spider) -> None:
        assert isinstance(spider, SourceSpider)
        self.data_dir = spider.runtime.data_dir
        self.check()

    def check(self) -> None:
        if self.stopping or self.data_dir is None:
            return
        free = shutil.disk_usage(self.data_dir).free
        if free >= self.reserve:
            return
        self.stopping = True
        note = "stopped: " + low_space(self.data_dir, free, self.reserve)
        logger.error(note)
        assert self.crawler.stats is not None and self.crawler.engine is not None
        self.crawler.stats.set_value(NOTE_STAT, note)
        deferred_from_coro(self.crawler.engine.close_spider_async(reason=DISK_FULL))
