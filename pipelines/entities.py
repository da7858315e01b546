"""Entities: extract the leads (addresses, keys, contacts, firearm specifics) of
new and changed listings, so that they are stored, searchable and linked.

An unchanged listing keeps the entities stored with it (the versioning step
copies them); one stored before this step existed gets them now. Phone numbers
written without a country code are read as the source's `country`.
"""

from __future__ import annotations

from armswatch.entities import extract
from armswatch.listing import Listing
from crawlers.spiders.base import SourceSpider
from pipelines.base import CrawlerPipeline


def needs_entities(item: Listing) -> bool:
    return item.change != "unchanged" or not item.entities


class EntitiesPipeline(CrawlerPipeline):
    def process_item(self, item: Listing) -> Listing:
        if needs_entities(item):
            spider: SourceSpider = self.crawler.spider  # type: ignore[assignment]
            found = extract(item.title, item.text, country=spider.source.country)
            item.entities = found.to_json()
            self.crawler.stats.inc_value("armswatch/entities_extracted")
        return item
