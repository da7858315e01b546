"""`jsmarket`: the market's listings on a site that builds its pages with JavaScript.

Nothing a crawler looks for is in the HTML as served: `/` carries the first
products as inline JSON and a script that turns them into links, and a "Load
more" button that fetches the next ones from `/api/products?page=N`; `/scroll`
is the same list with infinite scroll instead of the button;
`/product/<id>` carries its listing as inline JSON and a script that renders it
(the same markup as the market's product pages, so the same selectors read
it). Only a browser sees the listings. The records are the market's (same
paths, same ground truth); `/private/...` is disallowed by robots.txt and
listed like the rest.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from armswatch.demo.pages import IMAGE, amount, document, page_number, shown_date
from armswatch.demo.records import CatalogSite, Record
from armswatch.demo.server import NOT_FOUND, Response

PER_BATCH = 12
_IMAGE = re.compile(r"/img/[\w-]+\.jpg")

LIST_SCRIPT = """
(function () {
  var rows = document.getElementById("rows");
  var more = document.querySelector("button.load-more");
  var next = null;
  var loading = false;
  function cell(row, className, text) {
    var td = document.createElement("td");
    td.className = className;
    td.textContent = text;
    row.appendChild(td);
    return td;
  }
  function add(batch) {
    batch.items.forEach(function (item) {
      var row = document.createElement("tr");
      row.className = "product-row";
      var link = document.createElement("a");
      link.className = "product-link";
      link.href = item.path;
      link.textContent = item.title;
      cell(row, "title", "").appendChild(link);
      cell(row, "btc", item.btc + " BTC");
      cell(row, "vendor", item.seller);
      rows.appendChild(row);
    });
    next = batch.next;
    loading = false;
    if (more) {
      more.hidden = !next;
      more.disabled = false;
    }
    document.getElementById("shown").textContent = rows.children.length;
  }
  function loadMore() {
    if (!next || loading) return;
    loading = true;
    if (more) more.disabled = true;
    fetch(next).then(function (answer) { return answer.json(); }).then(add);
  }
  if (more) {
    more.addEventListener("click", loadMore);
  } else {  // infinite scroll: the next products when the bottom comes into view
    window.addEventListener("scroll", function () {
      var bottom = document.documentElement.scrollHeight - 50;
      if (window.innerHeight + window.scrollY >= bottom) loadMore();
    });
  }
  add(JSON.parse(document.getElementById("first-products").textContent));
})();
"""

LOAD_MORE = '<button class="load-more" type="button" hidden>Load more</button>\n'
INFINITE_STYLE = "<style>tr.product-row td { height: 120px; }</style>\n"
"""`/scroll`: rows taller than the window, so that the list must be scrolled to grow."""

PRODUCT_SCRIPT = """
(function () {
  var item = JSON.parse(document.getElementById("listing").textContent);
  var root = document.getElementById("app");
  function el(parent, tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    parent.appendChild(node);
    return node;
  }
  root.textContent = "";
  document.title = item.title + " \\u2013 jsmarket";
  el(root, "h1", "product-title", item.title);
  var prices = el(root, "div", "prices");
  var btc = el(prices, "span", "price-btc");
  el(btc, "span", "amount", item.btc);
  btc.appendChild(document.createTextNode(" "));
  el(btc, "span", "unit", "BTC");
  prices.appendChild(document.createTextNode(" / " + item.xmr + " XMR"));
  var vendor = el(root, "div", "vendor", "Vendor: ");
  var link = el(vendor, "a", "vendor-link", item.seller);
  link.href = "#";
  var listed = el(root, "div", "listed", "Listed ");
  el(listed, "time", "", item.shown_date).setAttribute("datetime", item.posted_at);
  if (item.images.length) {
    var photos = el(root, "div", "product-images");
    item.images.forEach(function (src) {
      var img = el(photos, "img");
      img.src = src;
      img.alt = item.title;
    });
  }
  var description = el(root, "div", "product-description");
  item.text.split("\\n\\n").forEach(function (block) {
    var paragraph = el(description, "p");
    block.split("\\n").forEach(function (line, index) {
      if (index) el(paragraph, "br");
      paragraph.appendChild(document.createTextNode(line));
    });
  });
  if (item.attachments.length) {
    var files = el(el(root, "section", "files"), "ul", "file-list");
    item.attachments.forEach(function (file) {
      var entry = el(files, "li");
      el(entry, "a", "file", file.name).href = file.path;
      entry.appendChild(document.createTextNode(" "));
      el(entry, "span", "size", file.size);
    });
  }
})();
"""


def _data(element_id: str, data: Any) -> str:
    """Inline JSON that no script tag inside it can end early."""
    text = json.dumps(data, ensure_ascii=False).replace("</", "<\\/")
    return f'<script type="application/json" id="{element_id}">{text}</script>\n'


class JsMarket:
    """The JavaScript market over `records` (the market's, in the current edition)."""

    name = "jsmarket"
    robots_txt = CatalogSite.robots_txt

    def __init__(self, records: Callable[[], list[Record]]) -> None:
        self._records = records

    def respond(self, path: str, query: dict[str, list[str]]) -> Response:
        if path in ("/", "/scroll"):
            return self._home(infinite=path == "/scroll")
        if path == "/api/products":
            return self._batch(page_number(query))
        if _IMAGE.fullmatch(path):
            return IMAGE
        record = next((r for r in self._records() if r["path"] == path), None)
        return self._product(record) if record is not None else NOT_FOUND

    def _listed(self) -> list[Record]:
        return sorted(self._records(), key=lambda r: (r["posted_at"], r["id"]), reverse=True)

    def _batch_of(self, page: int) -> dict[str, Any] | None:
        records = self._listed()
        chunk = records[(page - 1) * PER_BATCH : page * PER_BATCH]
        if not chunk:
            return None
        more = page * PER_BATCH < len(records)
        return {
            "items": [
                {
                    "path": r["path"],
                    "title": r["title"],
                    "btc": amount(r["price"], 6),
                    "seller": r["seller"],
                }
                for r in chunk
            ],
            "next": f"/api/products?page={page + 1}" if more else None,
        }

    def _home(self, infinite: bool) -> Response:
        body = (
            '<h1>JS Market</h1>\n<p>Escrow on every order. Showing <span id="shown">0</span> '
            "products.</p>\n<noscript><p>This market needs JavaScript.</p></noscript>\n"
            '<table class="products"><tbody id="rows"></tbody></table>\n'
            + (INFINITE_STYLE if infinite else LOAD_MORE)
            + _data("first-products", self._batch_of(1) or {"items": [], "next": None})
            + f"<script>{LIST_SCRIPT}</script>"
        )
        return document(self.name, "JS Market", body)

    def _batch(self, page: int) -> Response:
        batch = self._batch_of(page)
        if batch is None:
            return NOT_FOUND
        return Response(json.dumps(batch).encode(), content_type="application/json")

    def _product(self, record: Record) -> Response:
        listing = {
            key: record[key]
            for key in ("title", "text", "seller", "posted_at", "images", "attachments")
        }
        listing |= {
            "btc": amount(record["price"], 6),
            "xmr": amount(record["price_xmr"]),
            "shown_date": shown_date(record["posted_at"]),
        }
        body = (
            '<div class="product" id="app"><p>Loading…</p></div>\n'
            + _data("listing", listing)
            + f"<script>{PRODUCT_SCRIPT}</script>"
        )
        return document(self.name, "Product", body, lang=record["lang"])
