"""robots.txt, read conservatively: a site whose robots.txt cannot be read is not
crawled in this run.

Scrapy's RobotsTxtMiddleware parses whatever answer it gets, so a 5xx error page
allows everything; and a robots.txt it cannot download (larger than the size cap)
allows everything too. Here a 5xx answer, or one too large to read, refuses every
page of that host for this crawl, recorded (`armswatch/robots_unavailable`, the
refusals in the audit trail) so that the run history says why. A missing
robots.txt (4xx) allows everything, as the standard says (RFC 9309); a host that
cannot be reached at all is left to fail on its pages, which reports it unreachable.
"""

from __future__ import annotations

import logging

from scrapy import Request
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import DownloadCancelledError, IgnoreRequest
from scrapy.http import Response
from scrapy.robotstxt import RobotParser
from twisted.internet.defer import Deferred

from crawlers.downloadermiddlewares.sizecap import PageTooLarge

UNAVAILABLE_STAT = "armswatch/robots_unavailable"

logger = logging.getLogger(__name__)


class Unavailable:
    """The parser of a robots.txt that could not be read: nothing is allowed."""

    def __init__(self, reason: str) -> None:
        self.reason = reason

    def allowed(self, url: str | bytes, user_agent: str | bytes) -> bool:
        return False

    def sitemaps(self) -> list[str]:
        return []


class ConservativeRobotsTxtMiddleware(RobotsTxtMiddleware):
    def process_request_2(self, rp: RobotParser | Unavailable | None, request: Request) -> None:
        if isinstance(rp, Unavailable):
            raise IgnoreRequest(rp.reason)
        super().process_request_2(rp, request)  # type: ignore[arg-type]

    async def _parse_robots(self, response: Response, netloc: str, request: Request) -> None:
        if response.status >= 500:
            self._stats.inc_value(f"robotstxt/response_status_count/{response.status}")
            self._unavailable(netloc, f"its robots.txt answered HTTP {response.status}")
            return
        await super()._parse_robots(response, netloc, request)

    def _robots_error(self, exc: Exception, netloc: str) -> None:
        if isinstance(exc, DownloadCancelledError | PageTooLarge):  # over DOWNLOAD_MAXSIZE
            size = self.crawler.settings.getint("DOWNLOAD_MAXSIZE")
            self._unavailable(netloc, f"its robots.txt is larger than the size cap ({size} bytes)")
            return
        super()._robots_error(exc, netloc)

    def _unavailable(self, netloc: str, why: str) -> None:
        reason = f"{netloc} not crawled in this run: {why}, so what it allows is unknown"
        logger.warning(reason)
        self._stats.inc_value(UNAVAILABLE_STAT)
        waiting = self._parsers[netloc]
        assert isinstance(waiting, Deferred)
        self._parsers[netloc] = Unavailable(reason)  # type: ignore[assignment]
        waiting.callback(self._parsers[netloc])
