"""The spider for listing sites: start pages -> category/list pages -> listing
pages, following pagination. Marketplaces, classifieds and file-sharing sites."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

from scrapy import Request
from scrapy.http import Response, TextResponse

from armswatch.config import ListingNavigation
from armswatch.listing import Listing
from crawlers.browser import (
    FALLBACK_STAT,
    NO_LINKS_STAT,
    NOTE_STAT,
    finds_nothing,
    in_browser,
    is_rendered,
    page_states,
)
from crawlers.extraction import extract_fields
from crawlers.spiders.base import SourceSpider


class ListingSpider(SourceSpider):
    evidence_callbacks = ("parse_listing",)

    @property
    def navigation(self) -> ListingNavigation:
        assert self.source.listings is not None  # guaranteed by the Source model
        return self.source.listings

    async def start(self) -> AsyncIterator[Any]:
        for request in self.start_requests_for(self.parse_list):
            yield request

    def parse_list(self, response: Response) -> Iterator[Any]:
        """A start, category or list page: follow categories, listings and the next page
        (in a browser page, also those it showed before a scroll or click). A page
        where neither categories nor listing links are found is rendered in the
        browser (`render: auto`), or reported: its links may be built by scripts."""
        nav = self.navigation
        if finds_nothing(response, (nav.categories, nav.links)):
            if self.source.render == "auto" and not is_rendered(response):
                yield self.needs_browser(response)
                return
            self.report_no_links(response)
        for page in page_states(response):
            yield from self.follow_all(page, nav.categories, self.parse_list)
            yield from self.follow_all(page, nav.links, self.parse_listing)
            yield from self.follow_all(page, nav.next_page, self.parse_list)

    def parse_listing(self, response: Response) -> Iterator[Listing | Request]:
        if not isinstance(response, TextResponse):
            self.logger.info("skipped non-HTML listing page %s", response.url)
            self.crawler.stats.inc_value("armswatch/skipped_non_html")
            return
        if (
            self.source.render == "auto"
            and not is_rendered(response)
            and finds_nothing(response, (query for _, query in self.source.fields))
        ):
            yield self.needs_browser(response)
            return
        capture = self.keep_raw(response)
        fields = extract_fields(response.selector, response.url, self.source.fields)
        yield self.make_listing(response.url, fields, capture)

    def needs_browser(self, response: Response) -> Request:
        """`render: auto`: the page again, in the browser (counted: the pages that needed it)."""
        self.crawler.stats.inc_value(FALLBACK_STAT)
        self.logger.info("%s: the configured selectors find nothing; rendering it", response.url)
        return in_browser(response, self.evidence_callbacks)

    def report_no_links(self, response: Response) -> None:
        self.crawler.stats.inc_value(NO_LINKS_STAT)
        self.logger.warning(
            "%s: no links match listings.links (nor listings.categories); %s",
            response.url,
            self._no_links_advice(),
        )

    def closed(self, reason: str) -> None:
        """Say why a crawl found no listings at all when its list pages had no links
        (in the run history and the crawl summary, not only in the log)."""
        stats = self.crawler.stats
        found = stats.get_value("item_scraped_count") or stats.get_value("item_dropped_count")
        if stats.get_value(NO_LINKS_STAT) and not found:
            note = (
                "0 listings: the list pages have no links matching listings.links; "
                + self._no_links_advice()
            )
            stats.set_value(NOTE_STAT, note)
            self.logger.warning(note)

    def _no_links_advice(self) -> str:
        if self.source.render != "http":
            return (
                "even rendered in the browser: check listings.links and the browser: options "
                "(wait_for, click, scrolls)"
            )
        return "the site may need render: browser (its links may be built by JavaScript)"
