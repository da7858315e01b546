"""Stats: count listings by what the crawl found, for the progress line,
the summary table and the run history."""

from __future__ import annotations

from scrapy.crawler import Crawler

from armswatch.listing import Listing


class StatsPipeline:
    def __init__(self, crawler: Crawler) -> None:
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StatsPipeline:
        return cls(crawler)

    def process_item(self, item: Listing) -> Listing:
        self.stats.inc_value(f"armswatch/listings_{item.change}")
        if item.labels and item.change != "unchanged":
            self.stats.inc_value("armswatch/flagged")
        return item
