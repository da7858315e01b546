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
from scrapy.http.headers import Headers
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from armswatch.config import Query, Source
from armswatch.evidence import Capture
from armswatch.listing import Listing, listing_id
from crawlers import signals
from crawlers.browser import SCREENSHOT_PNG, browser_meta, is_rendered
from crawlers.extraction import ExtractedFields, select
from crawlers.runtime import Runtime


def nodes(scope: Selector, query: Query) -> SelectorList[Selector]:
    """The elements a query selects (for containers such as forum posts)."""
    return scope.css(query.css) if query.css is not None else scope.xpath(query.xpath or "")


SCRAPY_FAILURES = ("DOWNLOAD_MAXSIZE", "max redirections")
"""What the IgnoreRequest Scrapy raises for a fetch that failed says (a body over the
size cap once decompressed, an endless redirect chain)."""


def is_refusal(failure: Failure) -> bool:
    """Whether armswatch chose not to fetch (robots.txt, offsite, .onion), rather than
    the fetch failing: Scrapy also raises IgnoreRequest subclasses for error statuses,
    gzip bombs and endless redirects."""
    if not failure.check(IgnoreRequest) or failure.check(HttpError):
        return False
    return not any(cause in failure.getErrorMessage() for cause in SCRAPY_FAILURES)


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def header_pairs(headers: Headers) -> list[tuple[str, str]]:
    """Every header line, repeated ones included, in the order Scrapy keeps them."""
    return [
        (name.decode("latin-1"), value.decode("latin-1"))
        for name, values in headers.items()
        for value in values
    ]


def capture_of(response: Response, raw_sha256: str) -> Capture:
    """The request and response of a page (its body is in the raw archive), for the
    WARC written if a listing from it is flagged."""
    request = response.request
    assert request is not None  # a response handed to a callback has its request
    return Capture(
        url=response.url,
        method=request.method,
        request_headers=header_pairs(request.headers),
        request_body=request.body,
        protocol=response.protocol or "HTTP/1.1",
        status=response.status,
        response_headers=header_pairs(response.headers),
        raw_sha256=raw_sha256,
        captured_at=utc_now(),
        ip_address=str(response.ip_address) if response.ip_address else None,
        rendered=is_rendered(response),
        screenshot=response.meta.get(SCREENSHOT_PNG),
    )


class SourceSpider(scrapy.Spider):
    """A spider configured entirely by one source file."""

    evidence_callbacks: tuple[str, ...] = ()
    """The callbacks whose pages are kept as evidence (browser pages: with a screenshot)."""

    def __init__(self, source: Source, runtime: Runtime, **kwargs: Any) -> None:
        super().__init__(name=source.name, **kwargs)
        self.source = source
        self.runtime = runtime
        self.allowed_domains = list(source.allowed_domains)
        self.captures: dict[tuple[str, str], Capture] = {}
        """Captures of listing pages by (listing id, raw SHA-256), until the evidence
        step takes them (pipelines.evidence); the rest are discarded when it closes."""

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
        meta = browser_meta(self.source, callback, self.evidence_callbacks)
        return scrapy.Request(
            url, callback=callback, errback=self.on_error, cb_kwargs=cb_kwargs, meta=meta
        )

    def start_requests_for(self, callback: Callable[..., Any]) -> Iterator[scrapy.Request]:
        for url in self.source.start_urls:
            if request := self.request(str(url), callback):
                yield request

    def keep_raw(self, response: Response) -> Capture:
        """Archive the page body as evidence; its SHA-256 goes on every listing from it,
        and its capture is held until those listings are known flagged or not."""
        return capture_of(response, self.runtime.archive.save(response.body))

    def make_listing(self, url: str, fields: ExtractedFields, capture: Capture) -> Listing:
        listing = Listing(
            id=listing_id(self.source.name, url),
            source=self.source.name,
            url=url,
            title=fields.title,
            text=fields.text,
            price=fields.price,
            currency=fields.currency,
            seller=fields.seller,
            posted_at=fields.posted_at,
            last_seen=capture.captured_at,
            attachments=fields.attachments,
            images=fields.images,
            raw_sha256=capture.raw_sha256,
        )
        self.captures[(listing.id, capture.raw_sha256)] = capture
        return listing

    def on_error(self, failure: Failure) -> None:
        """Record a fetch that failed or was refused, so nothing is lost without a trace."""
        request = failure.request  # type: ignore[attr-defined]
        reason = f"{failure.type.__name__}: {failure.getErrorMessage()}".strip()
        if isinstance(failure.value, HttpError):
            reason = f"HTTP {failure.value.response.status} ({reason})"
        self.report_failure(request, reason, refused=is_refusal(failure))

    def report_failure(self, request: scrapy.Request, reason: str, *, refused: bool) -> None:
        """Count, log and audit a request that was refused or failed; also for refusals
        made before a request is scheduled, which never reach its errback."""
        if refused:
            self.logger.info("did not fetch %s (%s)", request.url, reason)
            self.crawler.stats.inc_value("armswatch/refused")
        else:
            self.logger.warning("could not fetch %s (%s)", request.url, reason)
            self.crawler.stats.inc_value("armswatch/fetch_failed")
        self.crawler.signals.send_catch_log(
            signals.fetch_failed, request=request, reason=reason, refused=refused
        )
