"""Prices in a listing's text, as amount and currency code.

The reading of numbers and currency markers is the crawler's (crawlers.extraction.price),
so a price here is the price the crawl records.
"""

from __future__ import annotations

from crawlers.extraction.price import find_prices

from .model import Price


def prices_in(text: str) -> list[Price]:
    """Every amount written next to a currency marker, each once, in order."""
    return list(dict.fromkeys(Price(amount, currency) for amount, currency in find_prices(text)))
