"""Prices as shown on marketplaces: amount and currency from free text.

Darknet markets quote in crypto (BTC, XMR, LTC), so crypto markers are first
class here; `฿` is read as bitcoin (its use on those markets), not Thai baht.
"""

from __future__ import annotations

import re

from .clean import strip_invisible

# Matched in any letter case: symbols, words, and codes that are no common word.
_CASELESS_MARKERS: dict[str, str] = {
    "$": "USD",
    "US$": "USD",
    "€": "EUR",
    "£": "GBP",
    "¥": "JPY",
    "₹": "INR",
    "₩": "KRW",
    "₽": "RUB",
    "₴": "UAH",
    "₺": "TRY",
    "₪": "ILS",
    "₸": "KZT",
    "R$": "BRL",
    "C$": "CAD",
    "CA$": "CAD",
    "A$": "AUD",
    "AU$": "AUD",
    "NZ$": "NZD",
    "HK$": "HKD",
    "zł": "PLN",
    "Kč": "CZK",
    "฿": "BTC",
    "₿": "BTC",
    "Ƀ": "BTC",
    "Ξ": "ETH",
    "ɱ": "XMR",
    "руб": "RUB",
    "руб.": "RUB",
    "рублей": "RUB",
    "рубля": "RUB",
    "рубль": "RUB",
    "р.": "RUB",
    "р": "RUB",
    "грн": "UAH",
    "zl": "PLN",
    "euro": "EUR",
    "euros": "EUR",
    "dollar": "USD",
    "dollars": "USD",
    "bitcoin": "BTC",
    "bitcoins": "BTC",
    "monero": "XMR",
    "mbtc": "mBTC",
    "usd": "USD",
    "eur": "EUR",
    "gbp": "GBP",
    "rub": "RUB",
    "btc": "BTC",
    "xmr": "XMR",
    "ltc": "LTC",
    "eth": "ETH",
    "usdt": "USDT",
    "pln": "PLN",
    "brl": "BRL",
}
# Matched in capitals only, since in lower case they are words ("try", "ron", "dash").
_UPPERCASE_CODES = {
    code: code
    for code in (
        "BCH",
        "ZEC",
        "DASH",
        "USDC",
        "CAD",
        "AUD",
        "NZD",
        "CHF",
        "JPY",
        "CNY",
        "INR",
        "UAH",
        "TRY",
        "CZK",
        "SEK",
        "NOK",
        "DKK",
        "HUF",
        "RON",
        "BGN",
        "ZAR",
        "MXN",
        "ILS",
        "KZT",
        "HKD",
        "SGD",
        "KRW",
    )
} | {"RMB": "CNY"}
_CRYPTO = frozenset({"BTC", "XMR", "LTC", "ETH", "BCH", "ZEC", "DASH", "USDT", "USDC"})

_CASELESS = {marker.casefold(): code for marker, code in _CASELESS_MARKERS.items()}


def _alternatives(markers: dict[str, str]) -> str:
    # longest first, so "R$" wins over "$" and "рублей" over "руб"
    return "|".join(re.escape(m) for m in sorted(markers, key=len, reverse=True))


# A marker must not sit inside a word ("Łódź", "9mmBTC" are no currencies).
_MARKER = re.compile(
    rf"(?<![^\W\d_])(?:(?i:{_alternatives(_CASELESS)})|{_alternatives(_UPPERCASE_CODES)})"
    r"(?![^\W\d_])"
)
# "1,250.00", "1.250,00", "15 000", "1'250", "0.0123", "450"
# (one thousands separator throughout, a different decimal one; longer is no price)
_NUMBER = re.compile(
    r"(?<![\d.,])(?:\d{1,3}(?P<group>[,. \u00a0\u202f'])\d{3}(?:(?P=group)\d{3}){0,5}"
    r"(?:(?!(?P=group))[.,]\d{1,20})?"
    r"|\d{1,20}(?:[.,]\d{1,20})?)(?![\d])"
)
_LABEL_MAX_LETTERS = 12
_GAP_CHARS = frozenset(" \t\n\r\u00a0\u202f\u2009")


def _code(marker: str) -> str:
    return _UPPERCASE_CODES.get(marker) or _CASELESS[marker.casefold()]


def _to_float(number: str, crypto: bool) -> float:
    """Reads thousands and decimal separators the way the number's own shape implies."""
    digits = re.sub(r"[\s\u00a0\u202f']", "", number)
    if "," in digits and "." in digits:
        decimal = "," if digits.rfind(",") > digits.rfind(".") else "."
        digits = digits.replace("." if decimal == "," else ",", "").replace(decimal, ".")
    elif "," in digits or "." in digits:
        separator = "," if "," in digits else "."
        integer, _, fraction = digits.partition(separator)
        thousands = digits.count(separator) > 1 or (
            len(fraction) == 3 and integer != "0" and not (crypto and separator == ".")
        )
        digits = digits.replace(separator, "") if thousands else digits.replace(separator, ".")
    return float(digits)


def find_prices(text: str) -> list[tuple[float, str]]:
    """Every amount written next to a currency marker ("$ 5", "5 BTC"), in order.

    A marker between two numbers belongs to the nearer one, so "AR15 $500" is
    500 USD, not 15 USD.
    """
    text = strip_invisible(text)
    ending_at: dict[int, re.Match[str]] = {}
    starting_at: dict[int, re.Match[str]] = {}
    for marker in _MARKER.finditer(text):
        ending_at[marker.end()] = marker
        starting_at[marker.start()] = marker
    # marker position -> (gap, -number position, number): the nearest number wins,
    # on a tie the one after the marker ("$5" reading)
    claims: dict[int, tuple[int, int, re.Match[str]]] = {}
    for number in _NUMBER.finditer(text):
        start, end = number.start(), number.end()
        while start > 0 and text[start - 1] in _GAP_CHARS:
            start -= 1
        while end < len(text) and text[end] in _GAP_CHARS:
            end += 1
        for marker, gap in (
            (ending_at.get(start), number.start() - start),
            (starting_at.get(end), end - number.end()),
        ):
            if marker is not None:
                claim = (gap, -number.start(), number)
                if marker.start() not in claims or claim[:2] < claims[marker.start()][:2]:
                    claims[marker.start()] = claim
    winners: dict[int, tuple[float, str]] = {}
    for marker_start, (_, _, number) in sorted(claims.items()):
        code = _code(starting_at[marker_start].group())
        winners.setdefault(number.start(), _amount(number.group(), code))
    return [winners[position] for position in sorted(winners)]


def lone_price(text: str) -> tuple[float, str] | None:
    """The price when `text` is nothing but one price and at most a short label
    ("0.49 BTC", "Price: $450"), as in a shop's dedicated price element."""
    prices = find_prices(text)
    if len(prices) != 1:
        return None
    label = _NUMBER.sub("", _MARKER.sub("", strip_invisible(text)))
    letters = sum(char.isalpha() for char in label)
    return prices[0] if letters <= _LABEL_MAX_LETTERS and not any(map(str.isdigit, label)) else None


def _amount(number: str, code: str) -> tuple[float, str]:
    if code == "mBTC":
        return _to_float(number, crypto=True) / 1000, "BTC"
    return _to_float(number, crypto=code in _CRYPTO), code


def parse_currency(text: str) -> str | None:
    """The currency code a symbol, code or word stands for ("€" -> "EUR"), if any."""
    marker = _MARKER.search(strip_invisible(text))
    if marker is None:
        return None
    code = _code(marker.group())
    return "BTC" if code == "mBTC" else code


def parse_price(text: str) -> tuple[float | None, str | None]:
    """(amount, currency code) from a shown price; (None, None) when there is no number.

    An amount next to a currency marker wins over a bare number earlier in the
    text ("2 pcs for $300" -> 300 USD); without any marker the first number is
    taken and the currency is None.
    """
    prices = find_prices(text)
    if prices:
        return prices[0]
    number = _NUMBER.search(strip_invisible(text))
    if number is None:
        return None, None
    currency = parse_currency(text)
    return _to_float(number.group(), crypto=currency in _CRYPTO), currency
