"""`classifieds`: a clear-web classifieds marketplace in eight languages.

Layout: `/` lists categories; `/c/<category>[?page=N]` lists ten listings a page,
newest first, with `<a rel="next">`; `/l/<id>` shows a listing. Listing pages
come in four markups (the record's `markup`): `plain` (CSS classes only),
`jsonld` (classes plus schema.org JSON-LD and OpenGraph), `semantic` (no class
attribute at all, JSON-LD and OpenGraph: category `outdoor`) and `broken`
(unclosed tags). Traps for the crawler: `/private/...` (disallowed by
robots.txt, linked from a category page), `/huge` (13 MiB, linked from the
`tools` category) and `/files/...` (attachments: 404, never to be fetched).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from armswatch.demo.pages import (
    IMAGE,
    amount,
    document,
    esc,
    file_list,
    json_ld,
    meta_tags,
    page_number,
    pager,
    paragraphs,
    shown_date,
)
from armswatch.demo.records import CatalogSite, Record
from armswatch.demo.server import NOT_FOUND, Response

PER_PAGE = 10
HUGE_PATH = "/huge"
HUGE_BYTES = 13 * 1024 * 1024
HUGE_CATEGORY = "tools"
INJECTED_SCRIPT = "INJECTED-SCRIPT-TEXT"
"""Text inside the `<script>` of a hostile listing; it must never reach a listing's text."""

_LISTING = re.compile(r"(/private)?/l/(cl-\d{4})")
_CATEGORY = re.compile(r"/c/([a-z]+)/?")
_IMAGE = re.compile(r"/img/cl-\d{4}-\d\.jpg")


class Classifieds(CatalogSite):
    """The classifieds site over the catalog's current edition."""

    name = "classifieds"

    def respond(self, path: str, query: dict[str, list[str]]) -> Response:
        if path == "/":
            return self._home()
        if path == HUGE_PATH:
            return _huge()
        if _IMAGE.fullmatch(path):
            return IMAGE
        if (match := _CATEGORY.fullmatch(path)) and match[1] in self._categories:
            return self._category(match[1], page_number(query))
        if match := _LISTING.fullmatch(path):
            record = next((r for r in self._records() if r["id"] == match[2]), None)
            if record is not None and record["path"] == path:
                return _listing(record, self._categories[record["category"]])
        return NOT_FOUND

    def _home(self) -> Response:
        counts = {slug: 0 for slug in self._categories}
        for record in self._records():
            counts[record["category"]] += 1
        items = "".join(
            f'<li><a class="category" href="/c/{slug}">{esc(name)}</a> '
            f'<span class="count">({counts[slug]})</span></li>'
            for slug, name in self._categories.items()
        )
        body = (
            "<h1>Classifieds</h1>\n<p>Buy and sell locally, in eight languages.</p>\n"
            f'<nav class="categories"><ul>{items}</ul></nav>'
        )
        return document(self.name, "Classifieds", body)

    def _category(self, slug: str, page: int) -> Response:
        records = sorted(
            (r for r in self._records() if r["category"] == slug),
            key=lambda r: (r["posted_at"], r["id"]),
            reverse=True,
        )
        pages = max(1, -(-len(records) // PER_PAGE))
        if page > pages:
            return NOT_FOUND
        shown = records[(page - 1) * PER_PAGE : page * PER_PAGE]
        rows = [
            f'<li class="listing-row"><a class="listing-link" href="{esc(r["path"])}">'
            f'{esc(r["title"])}</a> <span class="row-price">{esc(_price_text(r))}</span> '
            f'<span class="row-date">{esc(shown_date(r["posted_at"]))}</span></li>'
            for r in shown
        ]
        if slug == HUGE_CATEGORY and page == 1:
            rows.append(
                f'<li class="listing-row"><a class="listing-link" href="{HUGE_PATH}">'
                "Complete tool catalogue 2025 – every item on one page</a></li>"
            )
        name = self._categories[slug]
        body = (
            f'<h1>{esc(name)}</h1>\n<ul class="listings">\n'
            + "\n".join(rows)
            + "\n</ul>\n"
            + pager(f"/c/{slug}", page, pages, "next")
        )
        return document(self.name, name, body)


def _price_text(record: Record) -> str:
    if record["price"] is None:
        return "Make an offer"
    return f"{amount(record['price'])} {record['currency']}"


def _listing(record: Record, category: str) -> Response:
    markup = record["markup"]
    if markup == "semantic":
        body = _semantic_body(record, category)
    elif markup == "broken":
        body = _broken_body(record)
    else:
        body = _plain_body(record, category)
    head = _structured_data(record) if markup in {"jsonld", "semantic"} else ""
    return document("classifieds", record["title"], body, head, record["lang"])


def _description(record: Record) -> str:
    text = paragraphs(record["text"])
    if record.get("inject_script"):
        text += f'<script>var note = "{INJECTED_SCRIPT}"; document.title = note;</script>'
    return text


def _price_html(record: Record) -> str:
    if record["price"] is None:
        return '<span class="price">Make an offer</span>'
    return (
        f'<span class="price"><span class="amount">{amount(record["price"])}</span> '
        f'<span class="currency">{esc(record["currency"])}</span></span>'
    )


def _plain_body(record: Record, category: str) -> str:
    price = _price_html(record)
    photos = _photos(record)
    files = file_list(record, "files")
    return (
        f'<article class="listing" data-id="{esc(record["id"])}">\n'
        f'<nav class="breadcrumb"><a href="/">Home</a> › '
        f'<a href="/c/{esc(record["category"])}">{esc(category)}</a></nav>\n'
        f'<h1 class="listing-title">{esc(record["title"])}</h1>\n'
        f'<div class="meta">{price} <span class="seller">Seller: '
        f'<span class="user">{esc(record["seller"])}</span></span> '
        f'<time class="posted" datetime="{esc(record["posted_at"])}">'
        f"{esc(shown_date(record['posted_at']))}</time></div>\n"
        + (f'<div class="gallery">{photos}</div>\n' if photos else "")
        + f'<div class="description">{_description(record)}</div>\n'
        + (f'<section class="attachments"><h2>Files</h2>{files}</section>\n' if files else "")
        + '<aside class="contact"><a href="/">Contact the seller</a></aside>\n</article>'
    )


def _broken_body(record: Record) -> str:
    """The plain layout with unclosed and mismatched tags, as sloppy sites have it; only
    the description is closed, so that its text stays what the record says."""
    return (
        "<article class=listing>\n"
        f'<h1 class="listing-title">{esc(record["title"])}\n'
        f'<div class="meta">{_price_html(record).removesuffix("</span>")}\n'
        f'<span class="seller">Seller: <span class="user">{esc(record["seller"])}</span>\n'
        f'<time class="posted" datetime="{esc(record["posted_at"])}">'
        f"{esc(shown_date(record['posted_at']))}</time></span></div></div>\n"
        f'<div class="gallery">{_photos(record)}\n'
        f'<div class="description"><p><b>{esc(record["text"])}\n</div>\n'
        f"{file_list(record, 'files').removesuffix('</ul>')}\n"
        "<table><tr><td>Condition<td>used\n</article></section>\n"
    )


def _photos(record: Record) -> str:
    return "".join(
        f'<img class="photo" src="{esc(src)}" alt="{esc(record["title"])} – photo {n}">'
        for n, src in enumerate(record["images"], 1)
    )


def _semantic_body(record: Record, category: str) -> str:
    """No class or id attribute anywhere: only elements, JSON-LD and OpenGraph."""
    photos = "".join(
        f'<figure><img src="{esc(src)}" alt="{esc(record["title"])}"></figure>'
        for src in record["images"]
    )
    files = "".join(
        f'<li><a href="{esc(a["path"])}">{esc(a["name"])}</a> ({esc(a["size"])})</li>'
        for a in record["attachments"]
    )
    price = (
        f'<data value="{amount(record["price"])}">{amount(record["price"])} '
        f"{esc(record['currency'])}</data>"
        if record["price"] is not None
        else "Make an offer"
    )
    return (
        f'<nav><a href="/">Home</a> › <a href="/c/{esc(record["category"])}">{esc(category)}'
        "</a></nav>\n<article>\n"
        f"<header><h1>{esc(record['title'])}</h1>\n<p>Offered by <b>{esc(record['seller'])}"
        f'</b> on <time datetime="{esc(record["posted_at"])}">'
        f"{esc(shown_date(record['posted_at']))}</time></p></header>\n"
        f"{photos}\n<section><h2>Description</h2>{_description(record)}</section>\n"
        f"<section><h2>Price</h2><p>{price}</p></section>\n"
        + (f"<section><h2>Files</h2><ul>{files}</ul></section>\n" if files else "")
        + "</article>"
    )


def _structured_data(record: Record) -> str:
    product: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "Product",
        "sku": record["id"],
        "name": record["title"],
        "description": record["text"],
        "category": record["category"],
    }
    if record["images"]:
        product["image"] = record["images"]
    offer: dict[str, Any] = {
        "@type": "Offer",
        "availability": "https://schema.org/InStock",
        "validFrom": record["posted_at"],
        "seller": {"@type": "Person", "name": record["seller"]},
    }
    og = [
        ("og:type", "product"),
        ("og:site_name", "classifieds"),
        ("og:title", record["title"]),
        ("og:description", record["text"][:300]),
    ]
    if record["images"]:
        og.append(("og:image", record["images"][0]))
    if record["price"] is not None:
        offer |= {"price": amount(record["price"]), "priceCurrency": record["currency"]}
        og += [
            ("product:price:amount", amount(record["price"])),
            ("product:price:currency", record["currency"]),
        ]
    product["offers"] = offer
    return json_ld(product) + meta_tags(og)


def _huge() -> Response:
    """A page over any sane download cap, streamed so it costs no memory."""
    head = b"<!DOCTYPE html>\n<html><head><title>Tool catalogue</title></head><body>\n"
    tail = b"</body></html>\n"
    line = b"<p>Catalogue item: cordless drill, hammer, spirit level, tape measure.</p>\n"

    def chunks() -> Iterator[bytes]:
        yield head
        left = HUGE_BYTES - len(head) - len(tail)
        block = line * (65536 // len(line))
        while left > 0:
            piece = block[:left]
            left -= len(piece)
            yield piece
        yield tail

    return Response(chunks(), length=HUGE_BYTES)
