"""Read pages whose declared character set is wrong, missing or mixed.

Sites declare UTF-8 and send Windows-1252, declare Latin-1 and send UTF-8, declare
nothing, or paste Windows-1252 text into UTF-8 templates. Read as declared, such
pages become U+FFFD or mojibake ("CafÃ©") in the stored listing. This sets the
encoding a page is read with (the body, kept as evidence, is not touched):

* a body that is valid UTF-8 (and not plain ASCII) is UTF-8, whatever is declared:
  other encodings almost never produce valid UTF-8 by chance;
* otherwise, when UTF-8 or a Western single-byte set is declared, or nothing is,
  `armswatch_mixed`: UTF-8 where the bytes are UTF-8, Windows-1252 elsewhere;
* any other declared encoding (KOI8-R, Shift_JIS, GBK, ...) is trusted.
"""

from __future__ import annotations

import codecs
import re

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.http import HtmlResponse, Response
from w3lib.encoding import html_body_declared_encoding, http_content_type_encoding

MIXED = "armswatch_mixed"
FIXED_STAT = "armswatch/charset_fixed"
WESTERN = {"utf-8", "ascii", "cp1252", "iso8859-1", "iso8859-15"}
BOMS = (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_UTF8_SEQUENCE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
)


def _cp1252_fallback(error: UnicodeError) -> tuple[str, int]:
    assert isinstance(error, UnicodeDecodeError)
    bad = error.object[error.start : error.end]
    return bad.decode("cp1252", errors="replace"), error.end


def _decode_mixed(data: bytes, errors: str = "strict") -> tuple[str, int]:
    return bytes(data).decode("utf-8", errors="armswatch_cp1252"), len(data)


def _find(name: str) -> codecs.CodecInfo | None:
    if name != MIXED:
        return None
    utf8 = codecs.lookup("utf-8")
    return codecs.CodecInfo(utf8.encode, _decode_mixed, name=MIXED)


codecs.register_error("armswatch_cp1252", _cp1252_fallback)
codecs.register(_find)


def readable_encoding(body: bytes, declared: str | None) -> str | None:
    """The encoding `body` reads right with, or None when `declared` (already
    normalized by codecs.lookup) is right, or the body is ASCII or has a BOM."""
    if body.isascii() or body.startswith(BOMS):
        return None
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        if declared is None or declared in WESTERN:
            if declared == "cp1252" and not _UTF8_SEQUENCE.search(body):
                return None
            return MIXED
        return None
    return None if declared == "utf-8" else "utf-8"


def declared_encoding(response: HtmlResponse) -> str | None:
    """What the page says it is in: its Content-Type header, else its <meta>."""
    content_type = response.headers.get(b"Content-Type", b"").decode("latin-1")
    name = http_content_type_encoding(content_type) or html_body_declared_encoding(response.body)
    if name is None:
        return None
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


class CharsetMiddleware:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CharsetMiddleware:
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Response:
        if not isinstance(response, HtmlResponse):
            return response
        encoding = readable_encoding(response.body, declared_encoding(response))
        if encoding is None:
            return response
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(FIXED_STAT)
        return response.replace(encoding=encoding)
