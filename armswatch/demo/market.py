"""`market`: a darknet-style market with prices in BTC and XMR.

Layout: `/` lists categories and vendors; `/category/<slug>[?page=N]` lists
eight products a page with `<a rel="next">`; `/vendor/<name>` lists one
vendor's products; `/product/<id>` shows a product (vendor, ships from/to,
BTC and XMR price, description, file-pack attachments). `/private/...` is
disallowed by robots.txt and linked from the `parts` category.
"""

from __future__ import annotations

import re

from armswatch.demo.pages import (
    IMAGE,
    amount,
    document,
    esc,
    file_list,
    page_number,
    pager,
    paragraphs,
    shown_date,
)
from armswatch.demo.records import CatalogSite, Record
from armswatch.demo.server import NOT_FOUND, Response

PER_PAGE = 8
_PRODUCT = re.compile(r"(/private)?/product/(mk-\d{4})")
_CATEGORY = re.compile(r"/category/([a-z]+)/?")
_VENDOR = re.compile(r"/vendor/([A-Za-z0-9]+)/?")
_IMAGE = re.compile(r"/img/mk-\d{4}-\d\.jpg")


class Market(CatalogSite):
    """The market site over the catalog's current edition."""

    name = "market"

    def respond(self, path: str, query: dict[str, list[str]]) -> Response:
        if path == "/":
            return self._home()
        if _IMAGE.fullmatch(path):
            return IMAGE
        if (match := _CATEGORY.fullmatch(path)) and match[1] in self._categories:
            return self._category(match[1], page_number(query))
        if match := _VENDOR.fullmatch(path):
            return self._vendor(match[1])
        if match := _PRODUCT.fullmatch(path):
            record = next((r for r in self._records() if r["id"] == match[2]), None)
            if record is not None and record["path"] == path:
                return self._product(record)
        return NOT_FOUND

    def _home(self) -> Response:
        records = self._records()
        categories = "".join(
            f'<li><a class="cat" href="/category/{slug}">{esc(name)}</a> '
            f'<span class="count">{sum(r["category"] == slug for r in records)}</span></li>'
            for slug, name in self._categories.items()
        )
        vendors = "".join(
            f'<li><a class="vendor-link" href="/vendor/{esc(v)}">{esc(v)}</a></li>'
            for v in sorted({r["seller"] for r in records if not r.get("robots_disallowed")})
        )
        body = (
            "<h1>Market</h1>\n<p>Escrow on every order. Rates: 1 BTC = 65000 USD, "
            "1 XMR = 160 USD.</p>\n"
            f'<nav class="categories"><h2>Categories</h2><ul>{categories}</ul></nav>\n'
            f'<section class="vendors"><h2>Vendors</h2><ul>{vendors}</ul></section>'
        )
        return document(self.name, "Market", body)

    def _table(self, records: list[Record]) -> str:
        rows = "\n".join(
            f'<tr class="product-row"><td><a class="product-link" href="{esc(r["path"])}">'
            f'{esc(r["title"])}</a></td><td class="btc">{amount(r["price"], 6)} BTC</td>'
            f'<td class="xmr">{amount(r["price_xmr"])} XMR</td><td><a class="vendor-link" '
            f'href="/vendor/{esc(r["seller"])}">{esc(r["seller"])}</a></td>'
            f"<td>{esc(r['ships_from'])} → {esc(r['ships_to'])}</td></tr>"
            for r in records
        )
        return (
            '<table class="products">\n<tr><th>Product</th><th>BTC</th><th>XMR</th>'
            f"<th>Vendor</th><th>Shipping</th></tr>\n{rows}\n</table>\n"
        )

    def _category(self, slug: str, page: int) -> Response:
        records = sorted(
            (r for r in self._records() if r["category"] == slug),
            key=lambda r: (r["posted_at"], r["id"]),
            reverse=True,
        )
        pages = max(1, -(-len(records) // PER_PAGE))
        if page > pages:
            return NOT_FOUND
        name = self._categories[slug]
        body = (
            f"<h1>{esc(name)}</h1>\n"
            + self._table(records[(page - 1) * PER_PAGE : page * PER_PAGE])
            + pager(f"/category/{slug}", page, pages, "next")
        )
        return document(self.name, name, body)

    def _vendor(self, vendor: str) -> Response:
        records = [
            r for r in self._records() if r["seller"] == vendor and not r.get("robots_disallowed")
        ]
        if not records:
            return NOT_FOUND
        first = records[0]
        body = (
            f'<div class="vendor-profile"><h1 class="vendor-name">{esc(vendor)}</h1>\n'
            f"<p>Ships from {esc(first['ships_from'])} to {esc(first['ships_to'])}. "
            f"{len(records)} listings. Rating 4.8/5.</p></div>\n" + self._table(records)
        )
        return document(self.name, vendor, body)

    def _product(self, record: Record) -> Response:
        photos = "".join(
            f'<img src="{esc(src)}" alt="{esc(record["title"])}">' for src in record["images"]
        )
        files = file_list(record, "file-list")
        body = (
            f'<div class="product" id="product-{esc(record["id"])}">\n'
            f'<h1 class="product-title">{esc(record["title"])}</h1>\n'
            f'<div class="prices"><span class="price-btc"><span class="amount">'
            f'{amount(record["price"], 6)}</span> <span class="unit">BTC</span></span> / '
            f'<span class="price-xmr"><span class="amount">{amount(record["price_xmr"])}'
            '</span> <span class="unit">XMR</span></span></div>\n'
            f'<div class="vendor">Vendor: <a class="vendor-link" href="/vendor/'
            f'{esc(record["seller"])}">{esc(record["seller"])}</a></div>\n'
            '<table class="shipping"><tr><th>Ships from</th>'
            f'<td class="ships-from">{esc(record["ships_from"])}</td></tr><tr><th>Ships to</th>'
            f'<td class="ships-to">{esc(record["ships_to"])}</td></tr></table>\n'
            f'<div class="listed">Listed <time datetime="{esc(record["posted_at"])}">'
            f"{esc(shown_date(record['posted_at']))}</time></div>\n"
            + (f'<div class="product-images">{photos}</div>\n' if photos else "")
            + f'<div class="product-description">{paragraphs(record["text"])}</div>\n'
            + (f'<section class="files"><h2>Files</h2>{files}</section>\n' if files else "")
            + '<form class="buy" method="post" action="/cart"><button>Buy with escrow'
            "</button></form>\n</div>"
        )
        return document(self.name, record["title"], body, lang=record["lang"])
