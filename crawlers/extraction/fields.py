"""Orchestration: every listing field from configured selectors, then fallbacks.

Per field the order is (1) the source's configured selector, (2) the page's
structured data (schema.org Product via JSON-LD/microdata, then OpenGraph),
(3) what a reader sees (the <h1>, the main text, a price next to the title).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import parsel
from lxml import etree

from armswatch.config.models import FieldSelectors, Query
from armswatch.listing import Attachment

from .attachments import detect, from_elements, merge
from .clean import paragraphs, single_line
from .dates import normalize_date
from .price import parse_currency, parse_price
from .query import element_text, is_visible_string, run_query, select
from .readable import price_near_title, readable_text, readable_title
from .structured import StructuredData, structured_data
from .urls import document_base, image_urls


@dataclass
class ExtractedFields:
    """The content fields of one listing or post, ready for `armswatch.listing.Listing`."""

    title: str = ""
    text: str = ""
    price: float | None = None
    currency: str | None = None
    seller: str | None = None
    posted_at: str | None = None
    images: list[str] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)


def extract_fields(
    scope: parsel.Selector,
    base_url: str,
    fields: FieldSelectors,
    *,
    page: parsel.Selector | None = None,
) -> ExtractedFields:
    """Extract one listing from `scope`: the whole page, or one forum post.

    Pass the whole page as `page` when `scope` is a post: the page's structured
    data describes the page, not the post, so it is then not used; readable
    text and attachment detection apply to the post alone. Hostile HTML never
    raises; an invalid configured query raises ValueError.
    """
    document = page if page is not None else scope
    base = document_base(document, base_url)
    is_post = page is not None and page.root is not scope.root
    data = StructuredData() if is_post else structured_data(document, base)

    def configured(query: Query | None) -> list[str]:
        return select(scope, query) if query is not None else []

    title = single_line(next(iter(configured(fields.title)), ""))
    texts = configured(fields.text)
    price, currency = _configured_price(configured(fields.price))
    if price is not None:
        currency = currency or data.currency
    else:
        price, currency = data.price, data.currency
    if price is None:
        price, currency = price_near_title(scope)
    shown_currency = next(iter(configured(fields.currency)), "")
    if shown_currency:
        currency = parse_currency(shown_currency) or _code_like(shown_currency) or currency

    return ExtractedFields(
        title=title or data.title or readable_title(scope),
        text=paragraphs("\n\n".join(texts)) if texts else data.text or readable_text(scope),
        price=price,
        currency=currency,
        seller=single_line(next(iter(configured(fields.seller)), "")) or data.seller,
        posted_at=_posted_at(scope, fields.posted_at)
        or normalize_date(data.posted_at or "")
        or _first_time_element(scope),
        images=(image_urls(run_query(scope, fields.images), base) if fields.images else [])
        or data.images,
        attachments=merge(
            from_elements(run_query(scope, fields.attachments), base) if fields.attachments else [],
            detect(scope.root, base) if isinstance(scope.root, etree._Element) else [],
        ),
    )


def _configured_price(values: list[str]) -> tuple[float | None, str | None]:
    """The first match with a number; its currency, else one shown in the other matches
    (a selector like `.price ::text` may give "$" and "1,250" apart)."""
    for value in values:
        price, currency = parse_price(value)
        if price is not None:
            return price, currency or parse_currency(" ".join(values))
    return None, None


def _code_like(value: str) -> str | None:
    """A shown currency that is no known symbol but looks like a code ("CHF", "kes")."""
    value = single_line(value)
    return value.upper() if value.isascii() and value.isalpha() and len(value) == 3 else None


def _first_time_element(scope: parsel.Selector) -> str | None:
    """What a reader sees as the date: the first <time datetime> in the listing."""
    for stamp in scope.xpath("descendant-or-self::time/@datetime").getall():
        if normalized := normalize_date(stamp):
            return normalized
    return None


def _posted_at(scope: parsel.Selector, query: Query | None) -> str | None:
    """The first date found, from a <time datetime> when the selector points at one."""
    if query is None:
        return None
    for result in run_query(scope, query):
        if isinstance(result, etree._Element):
            stamps = result.xpath("descendant-or-self::time/@datetime")
            value = stamps[0] if stamps and stamps[0].strip() else element_text(result)
        elif isinstance(result, str) and not is_visible_string(result):
            continue
        else:
            value = str(result)
        normalized = normalize_date(value)
        if normalized:
            return normalized
    return None
