"""A generated classifieds site of any size for the crawl benchmarks (bench/crawl.py).

`/` links every list page; `/list/K` links 50 listings; `/l/N` is listing N,
whose title and text are a demo classifieds record's (cycled, numbered, so each
page is distinct). Growing `listings` adds new listings at the end: a nightly
crawl's new ones. Served by the demo sites' own server, which logs requests.
"""

from __future__ import annotations

import re

from armswatch.demo.pages import amount, document, esc
from armswatch.demo.records import Catalog, Record
from armswatch.demo.server import NOT_FOUND, Response

PER_LIST = 50
_LIST = re.compile(r"/list/(\d+)")
_LISTING = re.compile(r"/l/(\d+)")

SOURCE_YAML = """\
name: bench-large
kind: classifieds
start_urls: ["${ARMSWATCH_BENCH_SITE}/"]
allowed_domains: [127.0.0.1]
robots: obey
listings:
  categories: "a.list::attr(href)"
  links: "a.listing::attr(href)"
fields:
  title: "h1::text"
  text: "div.description"
  price: ".price .amount::text"
  currency: ".price .currency::text"
  seller: ".seller::text"
"""
"""The source file that crawls it (the site's URL in ARMSWATCH_BENCH_SITE)."""


class LargeSite:
    name = "large"
    robots_txt = "User-agent: *\nDisallow: /private/\n"

    def __init__(self, listings: int) -> None:
        self.listings = listings
        self._records = [r for r in Catalog.load().public("classifieds", 1)]

    @property
    def pages(self) -> int:
        """Pages a full crawl fetches: home, list pages and listings."""
        return 1 + self.list_pages + self.listings

    @property
    def list_pages(self) -> int:
        return -(-self.listings // PER_LIST)

    def respond(self, path: str, query: dict[str, list[str]]) -> Response:
        if path == "/":
            links = "".join(
                f'<li><a class="list" href="/list/{k}">page {k}</a></li>'
                for k in range(self.list_pages)
            )
            return document(self.name, "Listings", f"<ul>{links}</ul>")
        if (match := _LIST.fullmatch(path)) and int(match[1]) < self.list_pages:
            first = int(match[1]) * PER_LIST
            links = "".join(
                f'<li><a class="listing" href="/l/{n}">{esc(self._record(n)["title"])}</a></li>'
                for n in range(first, min(first + PER_LIST, self.listings))
            )
            return document(self.name, f"List {match[1]}", f"<ul>{links}</ul>")
        if (match := _LISTING.fullmatch(path)) and int(match[1]) < self.listings:
            return self._listing(int(match[1]))
        return NOT_FOUND

    def _record(self, n: int) -> Record:
        return self._records[n % len(self._records)]

    def _listing(self, n: int) -> Response:
        record = self._record(n)
        title = f"{record['title']} (no. {n})"
        price = (
            f'<p class="price"><span class="amount">{amount(record["price"])}</span> '
            f'<span class="currency">{esc(record["currency"])}</span></p>'
            if record.get("price") is not None
            else ""
        )
        body = (
            f"<h1>{esc(title)}</h1>{price}"
            f'<p class="seller">{esc(record["seller"])}</p>'
            f'<div class="description"><p>{esc(record["text"])}</p><p>Ref {n}.</p></div>'
        )
        return document(self.name, title, body, lang=record.get("lang", "en"))
