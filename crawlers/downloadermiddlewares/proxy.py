"""Send every request of a source through the proxy its file names (`proxy:`).

HTTP(S) proxies are Scrapy's own (`request.meta["proxy"]`, read by its
HttpProxyMiddleware); socks5h:// proxies are fetched by crawlers.handlers.socks.
Each source gets SOCKS credentials of its own, new for every crawl, unless the
URL gives some: Tor (IsolateSOCKSAuth, on by default) then builds separate
circuits for them, so that no relay or site can tie one source's visits to
another's through a shared circuit.
"""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler

from crawlers.spiders.base import SourceSpider


def isolated(proxy: str, source: str) -> str:
    """`proxy` with SOCKS credentials for this source and crawl, unless it has some."""
    parts = urlsplit(proxy)
    if parts.scheme != "socks5h" or parts.username is not None:
        return proxy
    credentials = f"armswatch-{source}:{secrets.token_urlsafe(16)}"
    return parts._replace(netloc=f"{credentials}@{parts.netloc}").geturl()


def routed_proxy(request: Request, configured: str | None) -> str | None:
    """The proxy `request` goes through: its own `proxy` meta key if it has one,
    else the source's (which SourceProxyMiddleware gives it before download)."""
    proxy: str | None = request.meta.get("proxy", configured)
    return proxy


def without_credentials(proxy: str) -> str:
    """The proxy URL as it may be logged and audited: scheme://host:port."""
    parts = urlsplit(proxy)
    return parts._replace(netloc=parts.netloc.rpartition("@")[2]).geturl()


class SourceProxyMiddleware:
    def __init__(self) -> None:
        self.proxy: str | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SourceProxyMiddleware:
        middleware = cls()
        crawler.signals.connect(middleware.spider_opened, signal=signals.spider_opened)
        return middleware

    def spider_opened(self, spider: Spider) -> None:
        assert isinstance(spider, SourceSpider)
        if spider.source.proxy is not None:
            self.proxy = isolated(spider.source.proxy, spider.source.name)

    def process_request(self, request: Request) -> None:
        # A retried or redirected request keeps the proxy it was given (Scrapy's
        # HttpProxyMiddleware has moved its credentials to a header by then).
        if self.proxy is not None and "proxy" not in request.meta:
            request.meta["proxy"] = self.proxy
