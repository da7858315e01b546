"""The page's own machine-readable description of what it sells.

schema.org `Product` (JSON-LD or microdata) and OpenGraph tags are what shops
publish for search engines; they are cleaner than anything scraped from the
layout, so they are the first fallback after a source's configured selectors.
"""

from __future__ import annotations

import html
import json
import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import extruct
import html_text
import parsel

from .clean import paragraphs, single_line
from .price import parse_currency, parse_price
from .urls import absolute

_PRODUCT_TYPES = frozenset(
    {"Product", "IndividualProduct", "ProductModel", "ProductGroup", "SomeProducts", "Vehicle"}
)
_PRODUCT_DATES = ("datePosted", "datePublished", "dateCreated", "releaseDate")
_OFFER_DATES = ("validFrom", "availabilityStarts")
_OPENGRAPH_DATES = ("article:published_time", "og:published_time", "product:published_time")
_MAX_NODES = 20_000  # bounds the walk over hostile, enormous JSON-LD
_JSON_LD_SCRIPTS = (
    "//script[contains(translate(@type, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ',"
    " 'abcdefghijklmnopqrstuvwxyz'), 'ld+json')]"
)
_JSON_JUNK = re.compile(r"<!--|-->|<!\[CDATA\[|\]\]>|^\s*//[^\n]*", re.MULTILINE)
_TRAILING_COMMA = re.compile(r",(\s*[}\]])")


@dataclass
class StructuredData:
    """What JSON-LD, microdata and OpenGraph say about the page's product."""

    title: str | None = None
    text: str | None = None
    price: float | None = None
    currency: str | None = None
    seller: str | None = None
    posted_at: str | None = None
    """As written (not yet normalized); the first of the product's or offer's dates."""
    images: list[str] = field(default_factory=list)


def structured_data(page: parsel.Selector, base: str) -> StructuredData:
    """Merged per field, in order of trust: JSON-LD, microdata, OpenGraph.

    Price and currency come as a pair from the first source that has a price.
    Never raises: broken blocks are skipped one by one, not all together.
    """
    found = extruct.extract(
        page.root,
        base_url=base,
        syntaxes=["microdata", "opengraph"],
        uniform=True,
        with_og_array=True,
        errors="ignore",
    )
    candidates = [
        _from_product(_first_product(_json_ld(page)), base),
        _from_product(_first_product(found.get("microdata") or []), base),
        _from_opengraph((found.get("opengraph") or [{}])[0], base),
    ]
    merged = StructuredData()
    for candidate in candidates:
        merged.title = merged.title or candidate.title
        merged.text = merged.text or candidate.text
        merged.seller = merged.seller or candidate.seller
        merged.posted_at = merged.posted_at or candidate.posted_at
        merged.images = merged.images or candidate.images
        if merged.price is None and candidate.price is not None:
            merged.price, merged.currency = candidate.price, candidate.currency
    if merged.currency is None and merged.price is not None:
        merged.currency = next((c.currency for c in candidates if c.currency), None)
    return merged


def _json_ld(page: parsel.Selector) -> list[Any]:
    """Every JSON-LD block that parses, each on its own (one broken block spoils nothing)."""
    blocks = []
    for script in page.xpath(_JSON_LD_SCRIPTS):
        raw = script.xpath("string()").get() or ""
        for text in (raw, _TRAILING_COMMA.sub(r"\1", _JSON_JUNK.sub("", raw)).strip(" \n\t;")):
            try:
                blocks.append(json.loads(text, strict=False))
                break
            except (ValueError, RecursionError):
                continue
    return blocks


def _walk(data: Any) -> Iterator[dict[str, Any]]:
    """Every JSON object in `data`, depth first in document order (lists, @graph, nesting)."""
    stack, seen = [data], 0
    while stack and seen < _MAX_NODES:
        node = stack.pop()
        if isinstance(node, dict):
            seen += 1
            yield node
            stack.extend(reversed(list(node.values())))
        elif isinstance(node, list):
            stack.extend(reversed(node))


def _types(node: dict[str, Any]) -> set[str]:
    """Short type names: "http://schema.org/Product" and "schema:Product" are "Product"."""
    declared = node.get("@type")
    names = declared if isinstance(declared, list) else [declared]
    return {re.split(r"[/:#]", name)[-1] for name in names if isinstance(name, str)}


def _first_product(data: Any) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """The first Product, and the @id index used to follow references like {"@id": "#offer"}."""
    product: dict[str, Any] = {}
    ids: dict[str, dict[str, Any]] = {}
    for node in _walk(data):
        if isinstance(node.get("@id"), str) and len(node) > 1:
            ids.setdefault(node["@id"], node)
        if not product and _types(node) & _PRODUCT_TYPES:
            product = node
    return product, ids


def _from_product(
    found: tuple[dict[str, Any], dict[str, dict[str, Any]]], base: str
) -> StructuredData:
    product, ids = found

    def resolve(value: Any) -> Any:
        if isinstance(value, dict) and set(value) == {"@id"}:
            return ids.get(value["@id"], value)
        return value

    data = StructuredData(
        title=single_line(_string(product.get("name"))) or None,
        text=_description(_string(product.get("description"))) or None,
        images=_urls(_image_urls(product.get("image"), resolve), base),
        posted_at=_first_string(product, _PRODUCT_DATES) or None,
    )
    offers = resolve(product.get("offers"))
    for offer in map(resolve, offers if isinstance(offers, list) else [offers]):
        if not isinstance(offer, dict):
            continue
        specification = resolve(offer.get("priceSpecification"))
        if isinstance(specification, list):
            specification = specification[0] if specification else None
        if not isinstance(specification, dict):
            specification = {}
        price, currency = _price(
            *(offer.get(key) for key in ("price", "lowPrice", "highPrice")),
            specification.get("price"),
        )
        if price is None:
            continue
        data.price = price
        data.currency = (
            _currency(offer.get("priceCurrency") or specification.get("priceCurrency")) or currency
        )
        seller = resolve(offer.get("seller"))
        if isinstance(seller, dict):
            seller = seller.get("name")
        data.seller = single_line(_string(seller)) or None
        data.posted_at = data.posted_at or _first_string(offer, _OFFER_DATES) or None
        break
    return data


def _first_string(node: dict[str, Any], keys: tuple[str, ...]) -> str:
    return next((text for key in keys if (text := _string(node.get(key)))), "")


def _from_opengraph(tags: dict[str, Any], base: str) -> StructuredData:
    def tag(*names: str) -> str:
        return next((_string(tags[n]) for n in names if _string(tags.get(n))), "")

    images: list[str] = []
    for name in ("og:image", "og:image:url", "og:image:secure_url"):
        value = tags.get(name)
        images.extend(v for v in (value if isinstance(value, list) else [value]) if v)
    price, currency = _price(tag("product:price:amount", "og:price:amount"))
    return StructuredData(
        title=single_line(tag("og:title")) or None,
        text=_description(tag("og:description")) or None,
        price=price,
        currency=_currency(tag("product:price:currency", "og:price:currency")) or currency,
        posted_at=tag(*_OPENGRAPH_DATES) or None,
        images=_urls([_string(image) for image in images], base),
    )


def _string(value: Any) -> str:
    """The first text in a JSON-LD value: "x", ["x", ...] or {"@value": "x"}."""
    if isinstance(value, list):
        value = next((v for v in value if _string(v)), "")
    if isinstance(value, dict):
        value = value.get("@value", "")
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return ""
    return str(value).strip()


def _description(value: str) -> str:
    """Plain text from a description that may carry (escaped) HTML, scripts included."""
    if "<" in value or "&" in value:
        value = html_text.extract_text(html.unescape(value), guess_layout=True)
    return paragraphs(value)


def _price(*values: Any) -> tuple[float | None, str | None]:
    """The first usable amount; a number as is, a string parsed ("1,250.00 $")."""
    for value in values:
        if isinstance(value, list):
            value = value[0] if value else None
        if isinstance(value, int | float) and not isinstance(value, bool):
            try:
                return _finite(value), None
            except (ValueError, OverflowError):
                continue
        if isinstance(value, str):
            try:  # schema.org's own format ("1250.00") first: "1.250" there is 1.25
                return _finite(value), None
            except ValueError:
                price, currency = parse_price(value)
            if price is not None:
                return price, currency
    return None, None


def _finite(value: float | str) -> float:
    number = float(value)
    if not math.isfinite(number):
        raise ValueError("not a price")
    return number


def _currency(value: Any) -> str | None:
    text = _string(value)
    if re.fullmatch(r"[A-Za-z]{3,5}", text):
        return text.upper()
    return parse_currency(text)


def _image_urls(value: Any, resolve: Callable[[Any], Any]) -> list[str]:
    """Image URLs from "url", ["url", ...] or ImageObject(s) with url/contentUrl."""
    urls: list[str] = []
    for item in map(resolve, value if isinstance(value, list) else [value]):
        if isinstance(item, dict):
            item = item.get("url") or item.get("contentUrl") or item.get("@id")
        text = _string(item)
        if text:
            urls.append(text)
    return urls


def _urls(candidates: list[str], base: str) -> list[str]:
    """Absolute http(s) URLs, deduplicated in order."""
    urls = (absolute(candidate, base) for candidate in candidates)
    return list(dict.fromkeys(url for url in urls if url))
