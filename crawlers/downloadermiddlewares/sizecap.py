"""Say why a page of unannounced length was cut off at the size cap.

When a body announces no length, Scrapy's HTTP handler cancels the download once
it passes DOWNLOAD_MAXSIZE and fails it with an empty DownloadCancelledError,
which the audit trail would record without a reason. Only that cancel has no
message (timeouts and announced sizes have their own), so it is the size cap.
"""

from __future__ import annotations

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import DownloadCancelledError


class PageTooLarge(Exception):
    """The body passed the size cap (caps.max_download_bytes); nothing of it is kept."""


class SizeCapMiddleware:
    def __init__(self, crawler: Crawler) -> None:
        self.max_bytes = crawler.settings.getint("DOWNLOAD_MAXSIZE")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SizeCapMiddleware:
        return cls(crawler)

    def process_exception(self, request: Request, exception: Exception) -> None:
        if isinstance(exception, DownloadCancelledError) and not str(exception):
            raise PageTooLarge(
                f"the page passed the size cap of {self.max_bytes} bytes "
                "(caps.max_download_bytes) and was not kept"
            ) from exception
