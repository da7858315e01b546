"""Where goods ship from and to, as ISO 3166-1 alpha-2 codes.

Markets show "Ships from: Germany / Ships to: Worldwide"; forums write "shipping
from the UK to EU". Countries are read only from a list right after such a
label, so a country named elsewhere ("Austrian pistol, made in Austria") is not
taken for where the goods ship from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from .data import table
from .phrases import PhraseMatcher

WORLDWIDE = "worldwide"
"""The `ships_to` value for "ships worldwide" (ISO 3166 has no code for it)."""

_ALPHA2 = re.compile(r"[A-Z]{2}(?![^\W_])")
_ALPHA2_ALIASES = {"UK": "GB"}
_ARTICLE = re.compile(r"(?i:the)\s+")
_AFTER_LABEL = re.compile(r"[ \t]*[:=\-–>]*\s*")


@cache
def _countries() -> tuple[PhraseMatcher[str], frozenset[str]]:
    config = table("countries")
    names: dict[str, list[str]] = {code: list(names) for code, names in config["names"].items()}
    for code, aliases in config["aliases"].items():
        names.setdefault(code, []).extend(aliases)
    return PhraseMatcher(names.items()), frozenset(names)


@dataclass(frozen=True)
class _Shipping:
    labels: PhraseMatcher[str]
    """"from" and "to" labels."""
    worldwide: PhraseMatcher[str]
    ships_worldwide: PhraseMatcher[str]
    joiner: re.Pattern[str]
    then_to: re.Pattern[str]


@cache
def _shipping() -> _Shipping:
    config = table("shipping")

    joiners = "|".join(map(re.escape, config["joiners"]))
    then_to = "|".join(map(re.escape, config["then_to"]))
    return _Shipping(
        labels=PhraseMatcher([("from", config["from"]), ("to", config["to"])]),
        worldwide=PhraseMatcher([(WORLDWIDE, config["worldwide"])]),
        ships_worldwide=PhraseMatcher([(WORLDWIDE, config["ships_worldwide"])]),
        joiner=re.compile(rf"[ \t]*(?:[,/&+;|]|(?i:{joiners})(?![^\W_]))[ \t]*"),
        then_to=re.compile(rf"[ \t]+(?i:{then_to})[ \t]*:?[ \t]*"),
    )


def country_code(name: str) -> str | None:
    """The alpha-2 code of a country name, alias or code in any letter case
    ("Deutschland", "uk", "USA"), None if it is none of them."""
    name = name.strip()
    matcher, codes = _countries()
    code = _ALPHA2_ALIASES.get(name.upper(), name.upper())
    if len(name) == 2 and code in codes:
        return code
    found = matcher.match(name, 0)
    return found[0] if found and found[1] == len(name) else None


def find_shipping(text: str) -> tuple[list[str], list[str]]:
    """(ships from, ships to): country codes, each once, in order; ships-to may
    hold "worldwide"."""
    shipping = _shipping()
    origins: list[tuple[int, str]] = []
    destinations: list[tuple[int, str]] = []
    for direction, label in shipping.labels.finditer(text):
        places, end = _place_list(text, _skip(_AFTER_LABEL, text, label.end()))
        if direction == "to":
            destinations += places
            continue
        origins += [place for place in places if place[1] != WORLDWIDE]
        then = shipping.then_to.match(text, end)
        if places and then:
            destinations += _place_list(text, then.end())[0]
    destinations += [
        (match.start(), WORLDWIDE) for _, match in shipping.ships_worldwide.finditer(text)
    ]
    return _ordered(origins), _ordered(destinations)


def _place_list(text: str, position: int) -> tuple[list[tuple[int, str]], int]:
    """The places listed from `position` ("EU, UK and USA"), and where the list ends."""
    places: list[tuple[int, str]] = []
    end = position
    while True:
        found = _place(text, position)
        if found is None:
            return places, end
        places.append((position, found[0]))
        end = found[1]
        joiner = _shipping().joiner.match(text, end)
        if joiner is None:
            return places, end
        position = joiner.end()


def _place(text: str, position: int) -> tuple[str, int] | None:
    position = _skip(_ARTICLE, text, position)
    matcher, codes = _countries()
    found = _shipping().worldwide.match(text, position) or matcher.match(text, position)
    if found:
        return found
    code = _ALPHA2.match(text, position)
    if code and _ALPHA2_ALIASES.get(code.group(), code.group()) in codes:
        return _ALPHA2_ALIASES.get(code.group(), code.group()), code.end()
    return None


def _skip(pattern: re.Pattern[str], text: str, position: int) -> int:
    """Where `pattern` ends when it matches at `position`, else `position`."""
    found = pattern.match(text, position)
    return found.end() if found else position


def _ordered(places: list[tuple[int, str]]) -> list[str]:
    return list(dict.fromkeys(place for _, place in sorted(places, key=lambda item: item[0])))
