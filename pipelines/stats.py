"""Stats: count listings by what the crawl found, for the progress line,
the summary table and the run history."""

from __future__ import annotations

from armswatch.listing import Listing
from pipelines.base import CrawlerPipeline


def newly_flagged(item: Listing) -> bool:
    """Flagged and new or changed in this crawl: what is counted as flagged, and
    what alerts are about."""
    return bool(item.labels) and item.change != "unchanged"


class StatsPipeline(CrawlerPipeline):
    def process_item(self, item: Listing) -> Listing:
        self.crawler.stats.inc_value(f"armswatch/listings_{item.change}")
        if newly_flagged(item):
            self.crawler.stats.inc_value("armswatch/flagged")
        return item
