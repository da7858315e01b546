"""What both config-driven spiders share: following configured links, building
listing items, keeping raw pages as evidence, and reporting failed fetches."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import scrapy
from parsel import Selector, SelectorList
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response, TextResponse
from twisted.python.failure import Failure

from armswatch.config import Query, Source
from armswatch.listing import Listing, listing_id
from crawlers import signals
from crawlers.extraction import ExtractedFields, select
from crawlers.runtime import Runtime


def nodes(scope: Selector, query: Query) -> SelectorList[Selector]:
    """The elements a query selects (for containers such as forum posts)."""
    return scope.css(query.css) if query.css is not None else scope.xpath(query.xpath or "")


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class SourceSpider(scrapy.Spider):
    """A spider configured entirely by one source file."""

    def __init__(self, source: Source, runtime: Runtime, **kwargs: Any) -> None:
        super().__init__(name=source.name, **kwargs)
        self.source = source
        self.runtime = runtime
        self.allowed_domains = list(source.allowed_domains)

    def follow_all(
        self,
        response: Response,
        query: Query | None,
        callback: Callable[..., Any],
        **cb_kwargs: Any,
    ) -> Iterator[scrapy.Request]:
        """Requests for every link `query` finds on an HTML page."""
        if query is None or not isinstance(response, TextResponse):
            return
        for href in select(response.selector, query):
            if request := self.request(response.urljoin(href), callback, **cb_kwargs):
                yield request

    def request(
        self, url: str, callback: Callable[..., Any], **cb_kwargs: Any
    ) -> scrapy.Request | None:
        """A request whose failure is recorded; None for links that are no web pages
        (javascript:, mailto:, magnet:)."""
        if not url.startswith(("http://", "https://")):
            return None
        return scrapy.Request(url, callback=callback, errback=self.on_error, cb_kwargs=cb_kwargs)

    def start_requests_for(self, callback: Callable[..., Any]) -> Iterator[scrapy.Request]:
        for url in self.source.start_urls:
            if request := self.request(str(url), callback):
                yield request

    def keep_raw(self, response: Response) -> str:
        """Archive the page body as evidence; its SHA-256 goes on every listing from it."""
        return self.runtime.archive.save(response.body)

    def make_listing(self, url: str, fields: ExtractedFields, raw_sha256: str) -> Listing:
        return Listing(
            id=listing_id(self.source.name, url),
            source=self.source.name,
            url=url,
            title=fields.title,
            text=fields.text,
            price=fields.price,
            currency=fields.currency,
            seller=fields.seller,
            posted_at=fields.posted_at,
            last_seen=utc_now(),
            attachments=fields.attachments,
            images=fields.images,
            raw_sha256=raw_sha256,
        )

    def on_error(self, failure: Failure) -> None:
        """Record a fetch that failed or was refused, so nothing is lost without a trace."""
        request = failure.request  # type: ignore[attr-defined]
        reason = f"{failure.type.__name__}: {failure.getErrorMessage()}".strip()
        refused = failure.check(IgnoreRequest) is not None
        if refused:
            self.logger.info("did not fetch %s (%s)", request.url, reason)
            self.crawler.stats.inc_value("armswatch/refused")
        else:
            self.logger.warning("could not fetch %s (%s)", request.url, reason)
            self.crawler.stats.inc_value("armswatch/fetch_failed")
        self.crawler.signals.send_catch_log(
            signals.fetch_failed, request=request, reason=reason, refused=refused
        )
