"""Whitespace and invisible-character clean-up shared by every extractor.

Zero-width and bidi-control characters are removed because sellers use them to
break up words ("G\u200block") and dodge keyword matching; control characters
are removed because they break storage and exports.
"""

from __future__ import annotations

import re

_INVISIBLE = re.compile(
    "[\x00-\x08\x0b\x0e-\x1f\x7f\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064"
    "\u2066-\u2069\ufeff]"
)
_SPACES = re.compile(r"[^\S\n]+")
_BLANK_LINES = re.compile(r"\n{3,}")
_ANY_WHITESPACE = re.compile(r"\s+")


def strip_invisible(value: str) -> str:
    """The value without zero-width, bidi-control and control characters."""
    return _INVISIBLE.sub("", value)


def single_line(value: str) -> str:
    """One line: every whitespace run (newlines included) becomes one space."""
    return _ANY_WHITESPACE.sub(" ", strip_invisible(value)).strip()


def paragraphs(value: str) -> str:
    """Text that keeps its line and paragraph breaks but no runs of blank lines."""
    value = strip_invisible(value.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n"))
    lines = (_SPACES.sub(" ", line).strip() for line in value.split("\n"))
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()
