"""The download handler of browser sources (`render: browser` or `auto`): requests
marked for the browser (crawlers.browser.BROWSER) are rendered by scrapy-playwright
in Chromium; every other request (robots.txt, `auto`'s first try over HTTP) goes
to SocksDownloadHandler, as for HTTP sources.

Browser contexts: one per proxy (a source's pages go through its proxy, the
page's own requests too), replaced by a fresh one after `browser.pages_per_context`
pages and closed as soon as their last page is done; pages are closed when read.
A socks5h:// proxy is reached through a local SocksRelay (Chromium cannot give
SOCKS credentials), so Tor still isolates each source's circuits. Browser failures
become Scrapy's download errors, which are retried like any other.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import TimeoutError as PlaywrightTimeoutError
from scrapy import Request
from scrapy.core.downloader.handlers.base import BaseDownloadHandler
from scrapy.crawler import Crawler
from scrapy.exceptions import DownloadFailedError, DownloadTimeoutError, NotConfigured
from scrapy.http import Response
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.misc import build_from_crawler
from scrapy_playwright.handler import ScrapyPlaywrightDownloadHandler
from scrapy_playwright.page import PageMethod

from armswatch.config import Source
from crawlers.browser import (
    BROWSER,
    SCREENSHOT,
    SCREENSHOT_PNG,
    STATES,
    chromium_path,
    prepare_page,
)
from crawlers.handlers.relay import SocksRelay
from crawlers.handlers.socks import SocksDownloadHandler, SocksProxy

PLAYWRIGHT_META = (
    "playwright",
    "playwright_context",
    "playwright_context_kwargs",
    "playwright_page_methods",
    "playwright_page_goto_kwargs",
)
"""What this handler puts in a request's meta for scrapy-playwright, and takes out
again: a retried request must not carry page methods (they hold results and would
not go into the crawl's disk queue)."""

PROXY = "armswatch_browser_proxy"
"""Request meta: the proxy and credentials of a browser request."""

_shared: weakref.WeakKeyDictionary[Crawler, BrowserDownloadHandler] = weakref.WeakKeyDictionary()


@dataclass(eq=False)
class _Context:
    """One browser context: its scrapy-playwright name and the pages it served."""

    key: Any
    name: str
    started: int = 0
    open: int = 0


class ContextRotation:
    """Hands out browser contexts, one current context per proxy: each serves at most
    `pages` pages, then a new one takes over and the old one is closed (through
    `close`) when its last open page is done, so that a long crawl never grows one
    context's cookies, cache and memory without bound."""

    def __init__(self, pages: int, close: Callable[[str], Awaitable[None]]) -> None:
        self.pages = pages
        self._close = close
        self._current: dict[Any, _Context] = {}
        self._numbers = itertools.count(1)

    def acquire(self, key: Any, label: str) -> _Context:
        context = self._current.get(key)
        if context is None or context.started >= self.pages:
            context = _Context(key, f"{label}-{next(self._numbers)}")
            self._current[key] = context
        context.started += 1
        context.open += 1
        return context

    async def release(self, context: _Context) -> None:
        context.open -= 1
        if context.started >= self.pages and context.open == 0:
            if self._current.get(context.key) is context:
                del self._current[context.key]
            await self._close(context.name)


class BrowserDownloadHandler(BaseDownloadHandler):
    """One per crawler, for http and https alike (one browser per source)."""

    lazy = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> BrowserDownloadHandler:
        if crawler not in _shared:
            _shared[crawler] = cls(crawler)
        return _shared[crawler]

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        executable = chromium_path()
        if not os.access(executable, os.X_OK):
            raise NotConfigured(
                f"render: browser needs Chromium at {executable}, which is missing: run "
                "./install.sh (it installs Debian's chromium), or point ARMSWATCH_CHROMIUM "
                "at a Chromium executable"
            )
        settings = crawler.settings
        source: Source = crawler.spider.source  # type: ignore[union-attr]
        self._options = source.browser
        self._timeout = self._options.timeout or settings.getfloat("DOWNLOAD_TIMEOUT")
        self._http = build_from_crawler(SocksDownloadHandler, crawler)
        self._browser = build_from_crawler(ScrapyPlaywrightDownloadHandler, crawler)
        self._auth_encoding = settings.get("HTTPPROXY_AUTH_ENCODING") or "latin-1"
        self._contexts = ContextRotation(self._options.pages_per_context, self._close_context)
        self._relays: dict[SocksProxy, SocksRelay] = {}
        self._relay_lock = asyncio.Lock()
        self._proxy_labels: dict[Any, str] = {}
        self._closed = False

    async def download_request(self, request: Request) -> Response:
        if not request.meta.get(BROWSER):
            return await self._http.download_request(request)
        return await self._render(request)

    async def close(self) -> None:
        if self._closed:  # shared by the http and https schemes: closed once
            return
        self._closed = True
        await self._http.close()
        await self._browser.close()
        for relay in self._relays.values():
            await relay.close()

    async def _render(self, request: Request) -> Response:
        options, timeout = self._options, self._timeout
        key, context_options = await self._context_options(request)
        context = self._contexts.acquire(key, self._proxy_label(key))
        prepare = PageMethod(prepare_page, options, timeout, self.crawler.stats.inc_value)
        methods = [prepare]
        screenshot = None
        if request.meta.get(SCREENSHOT):
            screenshot = PageMethod(
                "screenshot", full_page=True, type="png", timeout=timeout * 1000
            )
            methods.append(screenshot)
        request.meta.update(
            playwright=True,
            playwright_context=context.name,
            playwright_context_kwargs=context_options,
            playwright_page_methods=methods,
            playwright_page_goto_kwargs={
                "wait_until": options.wait_until,
                "timeout": timeout * 1000,
            },
        )
        try:
            response = await self._browser.download_request(request)
        except PlaywrightTimeoutError as exc:
            raise DownloadTimeoutError(
                f"{request.url}: the browser did not load the page within {timeout:g} s "
                f"(browser.timeout); it is retried ({_first_line(exc)})"
            ) from exc
        except PlaywrightError as exc:
            raise DownloadFailedError(
                f"{request.url}: the browser could not load the page ({_first_line(exc)})"
                + self._proxy_failure(key, request)
            ) from exc
        finally:
            for key_ in PLAYWRIGHT_META:
                request.meta.pop(key_, None)
            await self._contexts.release(context)
        self.crawler.stats.inc_value("armswatch/browser_pages")
        request.meta[STATES] = prepare.result or []
        if screenshot is not None:
            request.meta[SCREENSHOT_PNG] = screenshot.result
        return response

    async def _context_options(self, request: Request) -> tuple[Any, dict[str, Any]]:
        """The context key (the proxy, credentials included) and Playwright's options
        for a new context of it."""
        options: dict[str, Any] = {"ignore_https_errors": True, "service_workers": "block"}
        proxy_url = request.meta.get("proxy")
        if not proxy_url:
            return None, options
        # Credentials are for the proxy, not the site: out of the headers the browser
        # sends, into meta, where a retry of this request finds them again.
        proxy = request.meta.get(PROXY) or SocksProxy.of(request, self._auth_encoding)
        request.meta[PROXY] = proxy
        request.headers.pop(b"Proxy-Authorization", None)
        scheme = urlsplit(proxy_url).scheme
        if scheme == "socks5h":
            async with self._relay_lock:  # pages of a new proxy may come together
                if proxy not in self._relays:
                    relay = SocksRelay(proxy, self._timeout)
                    await relay.start()
                    self._relays[proxy] = relay
            options["proxy"] = {"server": self._relays[proxy].url}
        else:
            options["proxy"] = {"server": f"{scheme}://{proxy.host}:{proxy.port}"}
            if proxy.username is not None:
                options["proxy"] |= {"username": proxy.username, "password": proxy.password or ""}
        return (scheme, proxy), options

    def _proxy_failure(self, key: Any, request: Request) -> str:
        """What the SOCKS proxy said when the relay could not connect the page's host
        (the browser itself only learns that the connection failed)."""
        relay = self._relays.get(key[1]) if key else None
        host = urlparse_cached(request).hostname or ""
        failure = relay.failures.pop(host, None) if relay else None
        if failure is None:
            return ""
        return f"; {failure}: through Tor the service may be offline or the circuit failed"

    def _proxy_label(self, key: Any) -> str:
        """A context name prefix that names no credentials (scrapy-playwright logs it)."""
        if key not in self._proxy_labels:
            self._proxy_labels[key] = f"proxy{len(self._proxy_labels)}" if key else "direct"
        return self._proxy_labels[key]

    async def _close_context(self, name: str) -> None:
        wrapper = self._browser.context_wrappers.get(name)
        if wrapper is not None:
            await wrapper.context.close()
            self.crawler.stats.inc_value("armswatch/browser_contexts_closed")


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
