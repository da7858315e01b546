"""Turning the URLs found on a page into absolute, safe-to-store ones."""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urljoin, urlsplit

import parsel
from lxml import etree

from .clean import strip_invisible

_WEB_SCHEMES = frozenset({"http", "https"})
_IMAGE_SOURCES = ("data-src", "data-original", "data-lazy-src", "src")
_TABS_NEWLINES = re.compile(r"[\t\n\r]")


def document_base(page: parsel.Selector, base_url: str) -> str:
    """The URL relative links resolve against: the first `<base href>`, as in browsers."""
    href = page.xpath("(//base[@href])[1]/@href").get()
    return (absolute(href, base_url) if href else None) or base_url


def absolute(url: str, base: str, *, schemes: frozenset[str] = _WEB_SCHEMES) -> str | None:
    """`url` resolved against `base`, or None when it is empty, malformed or of
    another scheme (this is what drops `javascript:` and `data:` URLs)."""
    # as browsers do: outer whitespace and inner tabs/newlines are ignored
    url = _TABS_NEWLINES.sub("", strip_invisible(url).strip()).replace(" ", "%20")
    if not url:
        return None
    try:
        resolved = urljoin(base, url)
        scheme = urlsplit(resolved).scheme.lower()
    except ValueError:  # e.g. an unbalanced IPv6 bracket
        return None
    return resolved if scheme in schemes else None


def image_urls(results: Iterable[object], base: str) -> list[str]:
    """Absolute image URLs from a selector's results, deduplicated in order.

    Strings are URLs; an <img> gives its lazy-loading source (data-src & co.,
    where `src` is often a placeholder) else its src; another element gives its
    href/src, or else the images inside it.
    """
    found: list[str] = []
    for result in results:
        if isinstance(result, str):
            found.append(result)
        elif isinstance(result, etree._Element) and isinstance(result.tag, str):
            images = [result] if result.tag == "img" else []
            if not images and not (result.get("href") or result.get("src")):
                images = result.xpath(".//img")
            if not images:
                found.append(result.get("href") or result.get("src") or "")
            for image in images:
                found.append(next((image.get(a) for a in _IMAGE_SOURCES if image.get(a)), ""))
    urls = (absolute(url, base) for url in found)
    return list(dict.fromkeys(url for url in urls if url))
