"""Listing text as HTML: escaped first, always; then our own marks added around
what a search matched or what the watchlist found.

The text is what a seller wrote. It is escaped before any tag of ours goes in,
and marks are placed by position in the original text, never by replacing
inside HTML, so nothing in it can open or close a tag.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from markupsafe import Markup, escape

from armswatch.stores.base import HIGHLIGHT_END, HIGHLIGHT_START

_MARKERS = re.compile(f"({HIGHLIGHT_START}|{HIGHLIGHT_END})")

NEGATIVE_PREFIX = "-"
"""Explanation words that lowered a score ("-airsoft"); "+" shields and "?" words of
demand are shown in the explanation only."""
_NOT_IN_TEXT = ("+", "?")


def highlighted(fragment: str) -> Markup:
    """A search highlight fragment with the matched words in <mark>. A stray marker
    character in the text itself (they are ordinary private-use characters) toggles
    nothing twice: every <mark> opened is closed."""
    out = []
    marked = False
    for piece in _MARKERS.split(fragment):
        if piece == HIGHLIGHT_START:
            if not marked:
                out.append("<mark>")
            marked = True
        elif piece == HIGHLIGHT_END:
            if marked:
                out.append("</mark>")
            marked = False
        elif piece:
            out.append(str(escape(piece)))
    if marked:
        out.append("</mark>")
    return Markup("".join(out))


def term_classes(explanations: Mapping[str, Iterable[str]]) -> dict[str, str]:
    """The words the classifier matched (as written in the listing) and how to mark
    each: "term" for evidence, "negative" for context that lowered a score."""
    classes: dict[str, str] = {}
    for words in explanations.values():
        for word in words:
            if word.startswith(_NOT_IN_TEXT):
                continue
            if word.startswith(NEGATIVE_PREFIX) and len(word) > 1:
                classes.setdefault(word[1:].strip().casefold(), "negative")
            elif word.strip():
                classes[word.strip().casefold()] = "term"
    return classes


def with_terms(text: str, classes: Mapping[str, str]) -> Markup:
    """`text` escaped, with every occurrence of the words in `classes` (any case) in
    <mark class="...">; longer words win where two overlap."""
    if not classes or not text:
        return escape(text)
    words = sorted(classes, key=len, reverse=True)
    pattern = re.compile("|".join(re.escape(word) for word in words), re.IGNORECASE)
    out = []
    position = 0
    for match in pattern.finditer(text):
        found = match.group(0)
        css = classes.get(found.casefold(), "term")
        out.append(str(escape(text[position : match.start()])))
        out.append(f'<mark class="{css}">{escape(found)}</mark>')
        position = match.end()
    out.append(str(escape(text[position:])))
    return Markup("".join(out))
