"""Refuse every request to a .onion host that would not go through a socks5h://
proxy: its name must never reach the local resolver.

Config validation refuses .onion sources without such a proxy; this catches what
a crawl comes across: a link or a redirect to a .onion address on a clear-web
source, say. Such requests are refused when they are scheduled (before the
offsite filter can drop them without a trace) and again before download, for
requests that bypass the scheduler. Each refusal is counted
(`armswatch/onion_refused`, `armswatch/refused`), logged and audited.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.utils.httpobj import urlparse_cached

from armswatch.config.models import is_onion_host
from crawlers.downloadermiddlewares.proxy import routed_proxy
from crawlers.spiders.base import SourceSpider

REFUSED_STAT = "armswatch/onion_refused"


class OnionGuardMiddleware:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> OnionGuardMiddleware:
        guard = cls(crawler)
        crawler.signals.connect(guard.request_scheduled, signal=signals.request_scheduled)
        return guard

    def request_scheduled(self, request: Request, spider: Spider) -> None:
        """Refused here, a request never reaches its errback: report it ourselves."""
        if reason := self.refusal(request):
            assert isinstance(spider, SourceSpider)
            self.crawler.stats.inc_value(REFUSED_STAT)
            spider.report_failure(request, reason, refused=True)
            raise IgnoreRequest(reason)

    def process_request(self, request: Request) -> None:
        """Refused here, a request's errback reports it."""
        if reason := self.refusal(request):
            self.crawler.stats.inc_value(REFUSED_STAT)
            raise IgnoreRequest(reason)

    def refusal(self, request: Request) -> str | None:
        """Why `request` must not be fetched, or None when it may be."""
        host = urlparse_cached(request).hostname or ""
        if not is_onion_host(host):
            return None
        spider = self.crawler.spider
        assert isinstance(spider, SourceSpider)
        proxy = routed_proxy(request, spider.source.proxy)
        scheme = urlsplit(proxy).scheme if proxy else None
        if scheme == "socks5h":
            return None
        route = f"through a {scheme}:// proxy" if scheme else "directly"
        return (
            f"{host} is a .onion address and source {spider.name} would fetch it {route}, "
            "not through Tor; .onion addresses are only fetched through a socks5h:// proxy. "
            "To crawl it, add it as a source of its own with 'proxy: socks5h://HOST:PORT'"
        )
