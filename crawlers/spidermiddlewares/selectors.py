"""Say when a source's field selectors match nothing.

A field whose configured query finds nothing is filled in by the extraction
fallbacks (structured data, the page's own text), so a mistyped or outdated
selector would go unnoticed while listings lose what the selector was for. From
the CHECK_PAGES-th listing page on (setting SELECTOR_CHECK_PAGES), each configured
query of a field every listing has (title, text: a price, seller or attachment may
well be absent from many) that has matched on no listing page yet is named: in a
warning, in the run's stats (`armswatch/selectors_unmatched`) and note, and in the
crawl's status, so that the crawl exits non-zero instead of looking fine. A query
that matches on a later page (a site whose first pages use another template) is
taken off the list again.
"""

from __future__ import annotations

import logging

from scrapy.crawler import Crawler
from scrapy.http import Response, TextResponse

from crawlers.browser import NOTE_STAT
from crawlers.extraction import select
from crawlers.spiders.base import SourceSpider

CHECK_PAGES = 5
CHECKED = ("title", "text")
UNMATCHED_STAT = "armswatch/selectors_unmatched"

logger = logging.getLogger(__name__)


class SelectorCheckMiddleware:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.check_pages = crawler.settings.getint("SELECTOR_CHECK_PAGES", CHECK_PAGES)
        self.pages = 0
        self.matched: set[str] = set()
        self.note: str | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SelectorCheckMiddleware:
        return cls(crawler)

    def process_spider_input(self, response: Response) -> None:
        spider = self.crawler.spider
        assert isinstance(spider, SourceSpider)
        callback = response.request.callback if response.request else None
        if not isinstance(response, TextResponse) or callback != getattr(
            spider, "parse_listing", None
        ):
            return
        configured = {
            name: query
            for name, query in spider.source.fields
            if name in CHECKED and query is not None and name not in self.matched
        }
        if not configured:
            return  # every checked query has matched: nothing left to check
        newly = {name for name, query in configured.items() if select(response.selector, query)}
        self.matched |= newly
        self.pages += 1
        if self.pages == self.check_pages or (newly and self.pages > self.check_pages):
            self.report(spider, sorted(set(configured) - newly))

    def report(self, spider: SourceSpider, unmatched: list[str]) -> None:
        stats = self.crawler.stats
        assert stats is not None
        if not unmatched:  # the last of them matched at last
            ours = {UNMATCHED_STAT} | (
                {NOTE_STAT} if stats.get_value(NOTE_STAT) == self.note else set()
            )
            stats.set_stats({k: v for k, v in stats.get_stats().items() if k not in ours})
            self.note = None
            return
        names = ", ".join(f"fields.{name}" for name in unmatched)
        note = (
            f"{names} matched nothing on the listing pages (filled in from the page's own "
            f"data where possible): check them against a page of the site in the source "
            f"file of {spider.name}"
        )
        if self.note is None:
            logger.warning("%s (after %d listing pages)", note, self.pages)
        stats.set_value(UNMATCHED_STAT, names)
        if stats.get_value(NOTE_STAT) in (None, self.note):
            stats.set_value(NOTE_STAT, note)
        self.note = note
