"""Browser rendering for `render: browser` and `render: auto` sources, the parts the
spiders and settings share: which requests the browser renders (request meta), the
Scrapy settings of a browser source, and what the browser does with a page before
its HTML is read (wait, scroll, click "load more").

Playwright itself is imported only by the download handler
(crawlers.handlers.browser), so that HTTP-only crawls never load it.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from scrapy import Request
from scrapy.http import Response, TextResponse

from armswatch.config import Query, Source
from armswatch.config.models import BrowserOptions
from crawlers.extraction import select

if TYPE_CHECKING:
    from playwright.async_api import Page
    from playwright.async_api import Request as PageRequest

BROWSER = "armswatch_browser"
"""Request meta: render this request in the browser."""
SCREENSHOT = "armswatch_screenshot"
"""Request meta: also take a full-page screenshot (listing pages: it is evidence)."""
SCREENSHOT_PNG = "armswatch_screenshot_png"
"""Response meta: the PNG of the page as the browser showed it."""
STATES = "armswatch_browser_states"
"""Response meta: the page's HTML before each scroll or click, so that links a "next"
control replaced in place are followed too."""

CHROMIUM_ENV = "ARMSWATCH_CHROMIUM"
DEFAULT_CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    # RFC 7686: a .onion name is never looked up by this host's resolver. Pages through
    # a SOCKS proxy are unaffected (the proxy resolves their names).
    "--host-resolver-rules=MAP *.onion ~NOTFOUND",
)
QUIET_SECONDS = 0.3
"""No request open for this long after a scroll or click: the page has settled."""
PAGE_SIZE_JS = "() => document.documentElement.outerHTML.length"
"""How a click is seen to have changed the page."""

FALLBACK_STAT = "armswatch/browser_fallbacks"
NO_LINKS_STAT = "armswatch/list_pages_without_links"
NOTE_STAT = "armswatch/note"
"""A sentence for the operator about why a crawl found what it found (run history,
crawl summary)."""


def chromium_path() -> str:
    """The Chromium that renders pages: $ARMSWATCH_CHROMIUM, else Debian's."""
    return os.environ.get(CHROMIUM_ENV) or DEFAULT_CHROMIUM


def browser_settings(source: Source) -> dict[str, Any]:
    """The Scrapy settings a browser source adds to crawlers.settings (none for HTTP)."""
    if source.render == "http":
        return {}
    handler = "crawlers.handlers.browser.BrowserDownloadHandler"
    return {
        "DOWNLOAD_HANDLERS": {"http": handler, "https": handler},
        "PLAYWRIGHT_BROWSER_TYPE": "chromium",
        "PLAYWRIGHT_LAUNCH_OPTIONS": {
            "executable_path": chromium_path(),
            "args": list(CHROMIUM_ARGS),
            "headless": True,
        },
    }


def browser_meta(source: Source, callback: Callable[..., Any], evidence: tuple[str, ...]) -> dict:
    """Request meta for a page of `source`: rendered in the browser for `render:
    browser` (`auto` starts over HTTP), with a screenshot when `callback` is one of the
    spider's `evidence` callbacks (the pages whose listings are stored)."""
    return _rendered(callback, evidence) if source.render == "browser" else {}


def in_browser(response: Response, evidence: tuple[str, ...]) -> Request:
    """`response`'s page again, rendered in the browser (`render: auto`): a new request
    to the same callback, not a copy (the first one's meta and headers are spent)."""
    request = response.request
    assert request is not None  # a response handed to a callback has its request
    return Request(
        request.url,
        callback=request.callback,
        errback=request.errback,
        cb_kwargs=request.cb_kwargs,
        meta=_rendered(request.callback, evidence),
        priority=request.priority,
        dont_filter=True,  # its URL was seen: by the first try
    )


def _rendered(callback: Callable[..., Any] | None, evidence: tuple[str, ...]) -> dict:
    return {BROWSER: True, SCREENSHOT: getattr(callback, "__name__", "") in evidence}


def is_rendered(response: Response) -> bool:
    """Whether the browser rendered this page (its body is the HTML after scripts ran)."""
    return bool(response.meta.get(BROWSER))


def finds_nothing(response: Response, queries: Iterable[Query | None]) -> bool:
    """Whether none of the configured `queries` finds anything on an HTML page (false
    when none is configured: then there is nothing to judge the page by)."""
    configured = [query for query in queries if query is not None]
    if not configured or not isinstance(response, TextResponse):
        return False
    return not any(select(response.selector, query) for query in configured)


def page_states(response: Response) -> Iterator[Response]:
    """The page as read, then as it was before each scroll or click in the browser."""
    yield response
    for html in response.meta.get(STATES, ()):
        yield response.replace(body=html.encode("utf-8"), encoding="utf-8")


class _Traffic:
    """Requests a page has open, to tell when it has settled after a scroll or click."""

    def __init__(self, page: Page) -> None:
        self.open = 0
        self.last = time.monotonic()
        page.on("request", self._started)
        page.on("requestfinished", self._ended)
        page.on("requestfailed", self._ended)

    def _started(self, _: PageRequest) -> None:
        self.open += 1
        self.last = time.monotonic()

    def _ended(self, _: PageRequest) -> None:
        self.open = max(0, self.open - 1)
        self.last = time.monotonic()

    async def settled(self, timeout: float) -> None:
        """Wait (at most `timeout` s) until no request has been open for QUIET_SECONDS."""
        self.last = max(self.last, time.monotonic())
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.open == 0 and time.monotonic() - self.last >= QUIET_SECONDS:
                return
            await asyncio.sleep(0.05)


async def prepare_page(
    page: Page, options: BrowserOptions, timeout: float, count: Callable[[str], None]
) -> list[str]:
    """Bring a loaded page to the state in which its listings show: wait for
    `wait_for`, scroll `scrolls` times, click `click` up to `max_clicks` times. Returns
    the HTML before each scroll and click. A wait that runs out is counted (via
    `count`), not an error: the page is read as it is."""
    from playwright.async_api import Error as PlaywrightError
    from playwright.async_api import TimeoutError as PlaywrightTimeoutError

    ms = timeout * 1000
    if options.wait_for:
        try:
            await page.wait_for_selector(options.wait_for, state="attached", timeout=ms)
        except PlaywrightTimeoutError:
            count("armswatch/browser_wait_timeouts")
    traffic: _Traffic | None = None  # watched from the first scroll or click on
    states: list[str] = []
    for _ in range(options.scrolls):
        traffic = traffic or _Traffic(page)
        height = await page.evaluate("() => document.documentElement.scrollHeight")
        states.append(await page.content())
        await page.evaluate("() => window.scrollTo(0, document.documentElement.scrollHeight)")
        await traffic.settled(timeout)
        if await page.evaluate("() => document.documentElement.scrollHeight") <= height:
            states.pop()  # nothing came: that state is the page as it is now
            break
        count("armswatch/browser_scrolls")
    for _ in range(options.max_clicks if options.click else 0):
        control = page.locator(options.click or "").first
        if not await control.is_visible():
            break
        traffic = traffic or _Traffic(page)
        before = await page.evaluate(PAGE_SIZE_JS)
        states.append(await page.content())
        try:
            await control.click(timeout=ms)
            await page.wait_for_function(
                f"size => ({PAGE_SIZE_JS})() !== size", arg=before, timeout=ms
            )
        except PlaywrightTimeoutError:
            states.pop()
            count("armswatch/browser_clicks_without_change")
            break
        except PlaywrightError:  # the click navigated away: read the new page
            await page.wait_for_load_state(timeout=ms)
        await traffic.settled(timeout)
        count("armswatch/browser_clicks")
    return states
