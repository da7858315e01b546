"""Finding names from a table in free text, written the many ways sellers write them.

"AK-47", "AK47", "ak 47" and "Ak_47" are one name: a table lists a name once
(or a few spellings) and the pattern built here tolerates letter case, a space,
hyphen or underscore (or nothing) between words and between letters and digits,
and "×" for "x" between numbers ("7.62×39").
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from typing import Generic, TypeVar

T = TypeVar("T")

_SEPARATOR = r"[\s_\-]{0,2}"
_PIECES = re.compile(r"[^\W\d_]+|\d+|[^\w\s]")
# no letter or digit right before or after (an underscore is a separator: "fgc9_frame")
_BEFORE = r"(?<![^\W_])"
_AFTER = r"(?![^\W_])"


def phrase_pattern(phrase: str) -> str:
    """A regular expression (without boundaries) for `phrase` in its tolerated spellings."""
    pattern = ""
    previous = ""
    for word_index, word in enumerate(re.split(r"[\s_\-]+", phrase.strip())):
        for piece_index, piece in enumerate(_PIECES.findall(word)):
            if (word_index and not piece_index) or _letters_meet_digits(previous, piece):
                pattern += _SEPARATOR
            pattern += "[xX×]" if piece.casefold() == "x" else re.escape(piece)
            previous = piece
    return pattern


def _letters_meet_digits(before: str, after: str) -> bool:
    """Whether `after` follows `before` across a letter-digit boundary ("AK" "47")."""
    return before.isalnum() and after.isalnum() and before[-1].isdigit() != after[0].isdigit()


class PhraseMatcher(Generic[T]):
    """Which values of a table are named in a text, by any of their phrases.

    Longest phrase first, so "9mm Makarov" wins over "9mm" and "Glock 19X"
    over "Glock 19". Any letter case matches unless `ignore_case` is False.
    Phrases are grouped by their first character and only tried where a word
    starts with it: one alternation of a whole table tried at every position
    would make long texts slow.
    """

    def __init__(
        self, entries: Iterable[tuple[T, Iterable[str]]], *, ignore_case: bool = True
    ) -> None:
        self._ignore_case = ignore_case
        self._values: list[T] = []
        by_first: dict[str, list[tuple[int, str]]] = defaultdict(list)
        for value, phrases in entries:
            group = f"v{len(self._values)}"
            self._values.append(value)
            for i, phrase in enumerate(phrases):
                pattern = f"(?P<{group}_{i}>{phrase_pattern(phrase)})"
                by_first[self._key(phrase.strip()[0])].append((len(phrase), pattern))
        flags = re.IGNORECASE if ignore_case else 0
        self._regexes = {
            first: re.compile(
                "(?:"
                + "|".join(p for _, p in sorted(alternatives, key=lambda a: -a[0]))
                + ")"
                + _AFTER,
                flags,
            )
            for first, alternatives in by_first.items()
        }
        firsts = "".join(map(re.escape, self._regexes)) or "^$"
        self._starts = re.compile(f"{_BEFORE}[{firsts}]", flags)

    def finditer(self, text: str) -> Iterator[tuple[T, re.Match[str]]]:
        """Every mention in `text`, in order, with its match."""
        position = 0
        while start := self._starts.search(text, position):
            found = self._match(text, start.start())
            if found:
                yield self._value(found), found
            position = found.end() if found else start.start() + 1

    def match(self, text: str, position: int) -> tuple[T, int] | None:
        """The value named right at `position`, and where its name ends."""
        found = self._match(text, position) if self._starts.match(text, position) else None
        return (self._value(found), found.end()) if found else None

    def values(self, text: str) -> list[T]:
        """The values named in `text`, each once, in order of first mention."""
        return list(dict.fromkeys(value for value, _ in self.finditer(text)))

    def blank(self, text: str) -> str:
        """`text` with every mention replaced by spaces (positions stay the same)."""
        pieces, position = [], 0
        for _, found in self.finditer(text):
            pieces += [text[position : found.start()], " " * (found.end() - found.start())]
            position = found.end()
        return "".join(pieces) + text[position:]

    def _key(self, char: str) -> str:
        return char.lower() if self._ignore_case else char

    def _match(self, text: str, position: int) -> re.Match[str] | None:
        regex = self._regexes.get(self._key(text[position]))
        return regex.match(text, position) if regex else None

    def _value(self, match: re.Match[str]) -> T:
        group = match.lastgroup or ""
        return self._values[int(group[1:].partition("_")[0])]
