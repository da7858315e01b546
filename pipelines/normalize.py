"""Normalize: Unicode NFC, whitespace, leftover markup to text, language, content hash.

Everything downstream (dedupe, classifier, search) compares and reads the
normalized form, so that the same listing served with other whitespace or
Unicode composition is not a change.
"""

from __future__ import annotations

import re
import unicodedata

import html_text
import py3langid
from scrapy.exceptions import DropItem

from armswatch.listing import Listing, content_hash
from pipelines.base import CrawlerPipeline

_INLINE_SPACE = re.compile(r"[^\S\n]+")
_BLANK_LINES = re.compile(r"\n{3,}")
_INVISIBLE = re.compile(r"[\u200b-\u200f\u2060\ufeff\u00ad]")
_MARKUP = re.compile(r"<[a-zA-Z/!][^>]*>")
_MIN_CHARS_FOR_LANG = 12


def clean_text(value: str, *, single_line: bool = False) -> str:
    """NFC, markup turned to text, invisible characters dropped, whitespace tidied."""
    if _MARKUP.search(value):
        value = html_text.extract_text(value, guess_layout=True)
    value = _INVISIBLE.sub("", unicodedata.normalize("NFC", value))
    if single_line:
        return " ".join(value.split())
    lines = (_INLINE_SPACE.sub(" ", line).strip() for line in value.splitlines())
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def detect_language(text: str) -> str | None:
    """ISO 639-1 code of the text's language, or None for too little text."""
    if len(text.strip()) < _MIN_CHARS_FOR_LANG:
        return None
    lang, _ = py3langid.classify(text)
    return str(lang)


class NormalizePipeline(CrawlerPipeline):
    def process_item(self, item: Listing) -> Listing:
        item.title = clean_text(item.title, single_line=True)
        item.text = clean_text(item.text)
        item.seller = clean_text(item.seller, single_line=True) or None if item.seller else None
        if not item.title and not item.text:
            self.crawler.stats.inc_value("armswatch/dropped_empty")
            raise DropItem(
                f"no title and no text found at {item.url}: the source's field selectors "
                "may no longer match the page (raw page kept as "
                f"{item.raw_sha256})"
            )
        item.lang = detect_language(f"{item.title}\n{item.text}")
        item.content_sha256 = content_hash(item)
        return item
