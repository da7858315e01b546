"""Firearm makes, models and calibers named in a listing, normalized to one name each.

"9mm Luger", "9x19" and "9mm Para" are one cartridge and "G19" and "Glock 19"
one pistol: searches and vendor comparisons need the one name, whatever the
seller wrote.
"""

from __future__ import annotations

import re
from functools import cache

from .data import table
from .model import MakeModel
from .phrases import PhraseMatcher

# "7,62х39" (decimal comma, Cyrillic x) as "7.62x39"; one character for one, so
# positions stay those of the text
_DECIMAL_COMMA = re.compile(r"(?<=\d),(?=\d)")
_CYRILLIC_X = re.compile(r"(?<=\d)\s?х(?=\s?\d)")


@cache
def _calibers() -> PhraseMatcher[str]:
    return PhraseMatcher(table("calibers")["calibers"].items())


@cache
def _makes_models() -> PhraseMatcher[MakeModel]:
    entries: list[tuple[MakeModel, list[str]]] = []
    for maker in table("firearms")["makers"]:
        make = maker["make"]
        entries.append((MakeModel(make, None), maker.get("names", [])))
        entries += [(MakeModel(make, m["model"]), m["names"]) for m in maker["models"]]
    return PhraseMatcher(entries)


def find_calibers(text: str) -> list[str]:
    """Normalized caliber and gauge names, each once, in order of first mention."""
    return _calibers().values(_normalize_numbers(text))


def find_makes_models(text: str) -> list[MakeModel]:
    """Makers and models named in `text`, each once, in order of first mention.

    A maker named only inside a caliber (".223 Remington", "9x18 Makarov") is
    no mention of the maker, and a maker alone is left out where one of its
    models is named.
    """
    found = _makes_models().values(_calibers().blank(_normalize_numbers(text)))
    with_model = {item.make for item in found if item.model}
    return [item for item in found if item.model or item.make not in with_model]


def _normalize_numbers(text: str) -> str:
    text = _DECIMAL_COMMA.sub(".", text)
    return _CYRILLIC_X.sub(lambda match: "x".rjust(len(match.group())), text)
