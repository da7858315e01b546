"""3D-printing, CAD and CNC files a listing names or offers, and the design they are of.

Gun files travel as STL/STEP/3MF models, G-code and archives; a file name or a
format named next to a known design ("FGC-9", "Liberator") is what separates a
file listing from a hobby print.
"""

from __future__ import annotations

import re
from functools import cache

from .data import table
from .model import FileRef
from .phrases import PhraseMatcher


@cache
def _types() -> tuple[dict[str, str], re.Pattern[str], list[PhraseMatcher[str]]]:
    types = table("file_types")["types"]
    by_extension = {ext: name for name, spec in types.items() for ext in spec["extensions"]}
    extensions = "|".join(sorted(map(re.escape, by_extension), key=len, reverse=True))
    file_name = re.compile(
        rf"(?<![\w.\-()\[\]+@])[\w\-()\[\]+]+(?:\.[\w\-()\[\]+]+)*\.(?i:({extensions}))(?![\w-])"
    )
    words = [
        PhraseMatcher((name, spec.get("words", [])) for name, spec in types.items()),
        PhraseMatcher(
            ((name, spec.get("capitals", [])) for name, spec in types.items()),
            ignore_case=False,
        ),
    ]
    return by_extension, file_name, words


@cache
def _designs() -> tuple[list[PhraseMatcher[str]], PhraseMatcher[bool]]:
    config = table("designs")
    designs = config["designs"]
    matchers = [
        PhraseMatcher((name, spec.get("names", [])) for name, spec in designs.items()),
        PhraseMatcher(
            ((name, spec.get("capitals", [])) for name, spec in designs.items()),
            ignore_case=False,
        ),
    ]
    return matchers, PhraseMatcher([(True, config["file_words"])])


def designs_named(text: str) -> list[str]:
    """The known designs named in `text`, each once, in order of first mention."""
    matchers, _ = _designs()
    found = sorted(
        (match.start(), design) for matcher in matchers for design, match in matcher.finditer(text)
    )
    return list(dict.fromkeys(design for _, design in found))


def find_files(text: str) -> list[FileRef]:
    """File names with a known extension, formats named without a file name
    ("STL files"), and known designs named next to words about files; each
    with the design its own name names, else the first one the text names."""
    by_extension, file_name, word_matchers = _types()
    designs = designs_named(text)
    listing_design = designs[0] if designs else None
    found: list[tuple[int, FileRef]] = []
    named_types = set()
    for match in file_name.finditer(text):
        file_type = by_extension[match.group(1).lower()]
        design = next(iter(designs_named(match.group())), listing_design)
        found.append((match.start(), FileRef(match.group(), file_type, design)))
        named_types.add(file_type)
    names = file_name.sub(lambda match: " " * len(match.group()), text)  # keeps positions
    for matcher in word_matchers:
        for file_type, match in matcher.finditer(names):
            if file_type not in named_types:
                found.append((match.start(), FileRef(None, file_type, listing_design)))
    if not found and listing_design and _designs()[1].values(text):
        found.append((0, FileRef(None, None, listing_design)))
    return list(dict.fromkeys(ref for _, ref in sorted(found, key=lambda item: item[0])))
