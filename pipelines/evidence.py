"""Evidence: list each stored listing's raw page (and, for browser sources, its
screenshot) in its manifest and, once it is known flagged (after classification),
keep a WARC of its page's request and response.

The spider holds the request and response of every listing page until its
listings get here; what no flagged listing needs is discarded as they pass and
when the crawl ends. Evidence that cannot be kept is logged and counted
(`armswatch/evidence_failed`); the listing is stored all the same.
"""

from __future__ import annotations

import logging

from scrapy.crawler import Crawler

from armswatch.evidence import EvidenceError, EvidenceLocker
from armswatch.listing import Listing
from crawlers.spiders.base import SourceSpider
from pipelines.base import RuntimePipeline

logger = logging.getLogger(__name__)


class EvidencePipeline(RuntimePipeline):
    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.locker: EvidenceLocker | None = None

    @property
    def spider(self) -> SourceSpider:
        spider: SourceSpider = self.crawler.spider  # type: ignore[assignment]
        return spider

    def process_item(self, item: Listing) -> Listing:
        capture = self.spider.captures.pop((item.id, item.raw_sha256 or ""), None)
        if self.locker is None:
            self.locker = EvidenceLocker(self.runtime.data_dir)
        try:
            added = self.locker.record(item, capture, warc=bool(item.labels))
        except (EvidenceError, OSError) as exc:
            self.crawler.stats.inc_value("armswatch/evidence_failed")
            logger.error(
                "the evidence of listing %s (%s, version %s) was not kept: %s",
                item.id,
                item.url,
                item.version,
                exc,
            )
        else:
            self.crawler.stats.inc_value("armswatch/evidence_files", len(added))
        return item

    def close_spider(self) -> None:
        """Let go of the pages no stored listing came to take (dropped items)."""
        self.spider.captures.clear()
