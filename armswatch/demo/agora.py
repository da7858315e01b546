"""`agora`: the saved Agora Weapons pages of 2014-04-06, served as they are.

The files (see the folder's SOURCE.md) have no extension and were saved by a
crawler that wrote a page as `cat/<id>.1` when a folder `cat/<id>/` was also
needed; this site maps the original URLs back onto them and sends them as
`text/html` (a plain static server would send application/octet-stream).
Everything else the pages link to (vendors, images, other categories) is 404.
"""

from __future__ import annotations

import html
import os
import re
from pathlib import Path

from armswatch.demo.records import Record
from armswatch.demo.server import NOT_FOUND, Response

AGORA_ENV = "ARMSWATCH_AGORA_DIR"
CRAWL_DAY = "2014-04-06"
_REPO = Path(__file__).resolve().parents[2]
_SUBSET = Path("shared", "data", "agora-2014-04-06-weapons-html")
DEFAULT_DIRS = (_REPO.parent / _SUBSET, _REPO / _SUBSET)
"""The shared data folder beside the checkout, or inside it (as on CI)."""
START_PATH = "/cat/eD8l7PYEK3"
"""The Weapons category: its menu links the five subcategories."""
DISALLOWED_PRODUCT = "cv6GtuTYWw"
"""Disallowed by robots.txt; linked from the Fireworks category."""
LIST_PAGES = (
    "SrT9NkgbRe",
    "TbngW7XUlo",
    "pbmKV0iowm",
    "RuXVKCci11",
    "RuXVKCci11/2",
    "rr760maKeC",
    "rr760maKeC/2",
)
"""The subcategory list pages a crawl from START_PATH visits (by category links and
"next page" links); `cat/<id>/1` is an older copy of `cat/<id>` that no link reaches."""

_ID = r"[A-Za-z0-9]{10}"
_CAT = re.compile(rf"/cat/({_ID})(?:/(\d+))?")
_PRODUCT = re.compile(rf"/p/({_ID})")
_CSS = re.compile(r"/css/([A-Za-z0-9_-]+\.css)")
_LISTED = re.compile(rf'<td class="column-name"><a href="/p/({_ID})">')
_TITLE = re.compile(r'<div id="single-product"[^>]*>.*?<h1>(.*?)</h1>', re.S)
_PRICE = re.compile(r'<div class="product-page-price">([\d.]+) BTC</div>')
_VENDOR = re.compile(r'<a class="gen-user-link" href="/vendor/([^"#]+)#"/>')


def agora_candidates(explicit: Path | None = None) -> list[Path]:
    """Where the saved pages are looked for: the argument, else $ARMSWATCH_AGORA_DIR,
    else DEFAULT_DIRS. Each may be the crawl-day folder or the folder above it."""
    if explicit is not None:
        return [explicit]
    if os.environ.get(AGORA_ENV):
        return [Path(os.environ[AGORA_ENV])]
    return list(DEFAULT_DIRS)


def find_agora_dir(explicit: Path | None = None) -> Path | None:
    """The folder holding index.html and p/, or None when no candidate has them."""
    for folder in agora_candidates(explicit):
        for root in (folder, folder / CRAWL_DAY):
            if (root / "index.html").is_file() and (root / "p").is_dir():
                return root
    return None


class Agora:
    """Static file site over the saved Agora pages (read-only)."""

    name = "agora"
    robots_txt = f"User-agent: *\nDisallow: /p/{DISALLOWED_PRODUCT}\nDisallow: /vendor/\n"

    def __init__(self, root: Path) -> None:
        self.root = root

    def respond(self, path: str, query: dict[str, list[str]]) -> Response:
        if path in {"/", "/index.html"}:
            return self._file("index.html")
        if match := _CSS.fullmatch(path):
            return self._file(f"css/{match[1]}", "text/css; charset=utf-8")
        if match := _PRODUCT.fullmatch(path):
            return self._file(f"p/{match[1]}")
        if match := _CAT.fullmatch(path):
            return self._file(
                f"cat/{match[1]}/{match[2]}" if match[2] else _first_page(self.root, match[1])
            )
        return NOT_FOUND

    def _file(self, relative: str, content_type: str = "text/html; charset=utf-8") -> Response:
        path = self.root / relative
        if not path.is_file():
            return NOT_FOUND
        return Response(path.read_bytes(), content_type=content_type)

    def expected(self) -> list[Record]:
        """The product pages a crawl from START_PATH reaches, robots.txt obeyed.

        These pages carry no ground-truth labels (`labels` is None): Agora is an
        evaluation set, labeled elsewhere.
        """
        seen: dict[str, None] = {}
        for page in LIST_PAGES:
            relative = f"cat/{page}" if "/" in page else _first_page(self.root, page)
            text = (self.root / relative).read_text(encoding="utf-8")
            seen |= dict.fromkeys(_LISTED.findall(text))
        seen.pop(DISALLOWED_PRODUCT, None)
        return [self._product(product) for product in seen]

    def _product(self, product: str) -> Record:
        text = (self.root / "p" / product).read_text(encoding="utf-8")
        title, price, vendor = _TITLE.search(text), _PRICE.search(text), _VENDOR.search(text)
        return {
            "id": product,
            "site": self.name,
            "path": f"/p/{product}",
            "title": " ".join(html.unescape(title[1]).split()) if title else "",
            "price": float(price[1]) if price else None,
            "currency": "BTC",
            "seller": vendor[1] if vendor else None,
            "labels": None,
        }


def _first_page(root: Path, category: str) -> str:
    """`cat/<id>`, or `cat/<id>.1` where the crawler needed `cat/<id>/` as a folder."""
    return f"cat/{category}.1" if (root / "cat" / category).is_dir() else f"cat/{category}"
