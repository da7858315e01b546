"""The spider for listing sites: start pages -> category/list pages -> listing
pages, following pagination. Marketplaces, classifieds and file-sharing sites."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

from scrapy.http import Response, TextResponse

from armswatch.config import ListingNavigation
from armswatch.listing import Listing
from crawlers.extraction import extract_fields
from crawlers.spiders.base import SourceSpider


class ListingSpider(SourceSpider):
    @property
    def navigation(self) -> ListingNavigation:
        assert self.source.listings is not None  # guaranteed by the Source model
        return self.source.listings

    async def start(self) -> AsyncIterator[Any]:
        for request in self.start_requests_for(self.parse_list):
            yield request

    def parse_list(self, response: Response) -> Iterator[Any]:
        """A start, category or list page: follow categories, listings and the next page."""
        nav = self.navigation
        yield from self.follow_all(response, nav.categories, self.parse_list)
        yield from self.follow_all(response, nav.links, self.parse_listing)
        yield from self.follow_all(response, nav.next_page, self.parse_list)

    def parse_listing(self, response: Response) -> Iterator[Listing]:
        if not isinstance(response, TextResponse):
            self.logger.info("skipped non-HTML listing page %s", response.url)
            self.crawler.stats.inc_value("armswatch/skipped_non_html")
            return
        capture = self.keep_raw(response)
        fields = extract_fields(response.selector, response.url, self.source.fields)
        yield self.make_listing(response.url, fields, capture)
