"""Binary bodies served as HTML (an image, an archive, a file labelled text/html)
are not pages: hand them on as plain responses, which the spiders skip and count
(`armswatch/skipped_non_html`), instead of extracting a listing from their bytes.
"""

from __future__ import annotations

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.http import HtmlResponse, Response

SNIFF_BYTES = 1024
BINARY_STAT = "armswatch/binary_as_html"


def looks_binary(body: bytes) -> bool:
    """NUL bytes near the start: no HTML in any ASCII-compatible charset has them
    (UTF-16 pages start with a byte-order mark, kept as text)."""
    head = body[:SNIFF_BYTES]
    return b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff"))


class BinaryAsHtmlMiddleware:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> BinaryAsHtmlMiddleware:
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Response:
        if not isinstance(response, HtmlResponse) or not looks_binary(response.body):
            return response
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(BINARY_STAT)
        return Response(**{name: getattr(response, name) for name in Response.attributes})
