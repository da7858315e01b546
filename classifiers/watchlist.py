"""The watchlist: the vocabulary the rule classifier matches, as a typed,
validated model of `config/watchlist.yaml`.

Analysts edit the watchlist, not code, so every mistake in it (bad YAML, an
unknown label, a regex that does not compile, a weight outside (0, 1]) is
reported as a ConfigError that names the file, the field and the problem.

The term language is defined here, next to its validation, so that a term
that loads is a term the classifier can match:

- Matching runs on *folded* text: NFKC, case-folded, accents stripped
  (`fold`), so "Munición", "MUNICION" and "municion" are one term.
- A term in Latin, Cyrillic or Greek script is a sequence of words matched
  on word boundaries. A space or hyphen between its words also matches
  written-together forms: "glock 17" finds "Glock 17", "glock-17" and
  "GLOCK17". Other punctuation in a term is a word break too.
- `*` at the start or end of a one-word term lets the word continue on that
  side, for inflection and compounds: "патрон*" finds "патроны", "*munition"
  finds "Pistolenmunition".
- A term with any other letters (Chinese, Arabic, ...) is matched as a
  substring, because those scripts do not separate words by spaces, or
  attach articles and prepositions to them.
- A pattern is a regular expression run on the folded text, for what a list
  of words cannot say (calibers, "500 rds"). Write it in lower case, without
  accents.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator

from armswatch import LABELS
from armswatch.config.errors import ConfigError, ConfigProblem, missing
from armswatch.config.loader import parse_yaml

# Letters that Unicode does not decompose into base letter + accent, folded by
# hand so that "tłumik" and "tlumik" are the same word; tatweel is only
# elongation in Arabic script.
_EXTRA_FOLDS = str.maketrans(
    {"ł": "l", "ø": "o", "đ": "d", "ħ": "h", "ı": "i", "æ": "ae", "œ": "oe", "\u0640": ""}
)

WORD_CHARS = r"0-9a-z\u00b5\u00df-\u00f6\u00f8-\u024f\u0370-\u03ff\u0400-\u052f"
"""Characters of words that are separated by spaces (Latin, Greek, Cyrillic), after folding."""

TOKEN = re.compile(f"[{WORD_CHARS}]+")
"""One word of folded text."""

WILDCARD_MIN_STEM = 3
"""The shortest stem a `*` term may have: shorter stems match too much."""


def _fold_char(char: str) -> str:
    decomposed = unicodedata.normalize("NFD", unicodedata.normalize("NFKC", char).casefold())
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return unicodedata.normalize("NFC", stripped.translate(_EXTRA_FOLDS))


class _FoldCache(dict[str, str]):
    """Folded form per character, computed once: folding is per character so
    that every folded character keeps the position of the original one."""

    def __init__(self) -> None:
        super().__init__()
        self.irregular: set[str] = set()
        """Characters that fold to more or fewer than one character."""

    def __missing__(self, char: str) -> str:
        folded = _fold_char(char)
        self[char] = folded
        if len(folded) != 1:
            self.irregular.add(char)
        return folded


_FOLDS = _FoldCache()


def fold(text: str) -> tuple[str, list[int] | None]:
    """The folded text and, where its length differs from the original, the
    original index of each folded character (None means index = index).

    The positions let explanations quote the text as it was written.
    """
    if text.isascii():
        return text.lower(), None
    pieces = list(map(_FOLDS.__getitem__, text))
    folded = "".join(pieces)
    if _FOLDS.irregular.isdisjoint(text):
        return folded, None
    starts = [i for i, piece in enumerate(pieces) for _ in piece]
    return folded, starts


def fold_term(text: str) -> str:
    """A term or phrase in folded form."""
    return fold(text)[0]


@dataclass(frozen=True)
class ParsedTerm:
    """A watchlist term, read by the rules of the module docstring."""

    kind: Literal["words", "prefix", "suffix", "infix", "substring"]
    words: tuple[str, ...]
    """For word terms: the folded words. For substring terms: the folded
    pieces between spaces."""


def _is_word_script(char: str) -> bool:
    return TOKEN.fullmatch(char) is not None


def parse_term(term: str) -> ParsedTerm:
    """Parse one term; ValueError says what is wrong with it."""
    folded = fold_term(term).strip()
    if any(c.isalnum() and not _is_word_script(c) for c in folded):
        if "*" in folded:
            raise ValueError(
                "'*' only works in Latin, Greek or Cyrillic terms; terms in other "
                "scripts already match anywhere in a word"
            )
        return ParsedTerm("substring", tuple(folded.split()))
    start, end = folded.startswith("*"), folded.endswith("*")
    core = folded.strip("*")
    if "*" in core:
        raise ValueError("'*' may only stand at the start or end of a term")
    words = tuple(TOKEN.findall(core))
    if not words:
        raise ValueError("a term needs at least one letter or digit")
    if not (start or end):
        return ParsedTerm("words", words)
    if len(words) > 1:
        raise ValueError("'*' only works in one-word terms")
    if len(words[0]) < WILDCARD_MIN_STEM:
        raise ValueError(f"a '*' term needs a stem of at least {WILDCARD_MIN_STEM} characters")
    kind: Literal["prefix", "suffix", "infix"] = (
        "infix" if start and end else "prefix" if end else "suffix"
    )
    return ParsedTerm(kind, words)


def _check_term(term: str) -> str:
    parse_term(term)
    return term


def _check_weight(weight: float) -> float:
    if not 0 < weight <= 1:
        raise ValueError("a weight in (0, 1]: above 0, at most 1")
    return weight


def _check_regex(regex: str) -> str:
    try:
        compiled = re.compile(regex)
    except re.error as exc:
        raise ValueError(f"a valid regular expression ({exc})") from None
    if compiled.search("") is not None:
        raise ValueError("a regular expression that cannot match an empty string")
    if any(c.isupper() for c in re.sub(r"\\.", "", regex)):
        raise ValueError("a lower-case regular expression: it runs on lower-cased text")
    return regex


Term = Annotated[str, AfterValidator(_check_term)]
Weight = Annotated[float, AfterValidator(_check_weight)]
Group = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{1,15}$")]
"""A language code (en, de, zh, ...) or a name such as 'slang' or 'brands':
for people reading the file; every term is matched in every listing, because
listings mix languages."""
Label = Literal[LABELS]  # type: ignore[valid-type]
TermWeights = dict[Group, dict[Term, Weight]]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Pattern(_Model):
    """A regular expression for what a word list cannot say (calibers, counts)."""

    regex: Annotated[str, AfterValidator(_check_regex)]
    weight: Weight
    note: str = ""


class LabelRules(_Model):
    """Evidence for one label: each match adds its weight."""

    terms: TermWeights = {}
    patterns: list[Pattern] = []


class NegativeGroup(_Model):
    """Context that makes a listing benign (airsoft, tools, games, news...):
    each match dampens the scores of `labels`."""

    name: Annotated[str, Field(min_length=1)]
    labels: Annotated[list[Label], Field(min_length=1)] = list(LABELS)
    where: Literal["anywhere", "title"] = Field(
        default="anywhere",
        description="'title' for words (holster, scope) that a real gun's text often "
        "mentions as an extra, but that make the listing an accessory when in its title.",
    )
    terms: TermWeights = {}
    patterns: list[Pattern] = []


class Shields(_Model):
    """Real-firearm evidence ("live rounds", "real steel") that weakens the
    dampening of negative context: an airsoft word beside it counts less."""

    terms: TermWeights = {}
    patterns: list[Pattern] = []


class Seeking(_Model):
    """Words of demand (WTB, suche, ищу): shown in explanations, never lowering
    a score, because someone seeking an item gets its label."""

    terms: dict[Group, list[Term]] = {}


class Scoring(_Model):
    text_factor: Weight = Field(
        default=0.85,
        description="The share of its weight a match counts when it is only in the "
        "text, not in the title.",
    )


class Watchlist(_Model):
    """`config/watchlist.yaml`."""

    scoring: Scoring = Scoring()
    labels: dict[Label, LabelRules]
    negatives: list[NegativeGroup] = []
    shields: Shields = Shields()
    seeking: Seeking = Seeking()

    @field_validator("labels")
    @classmethod
    def _every_label(cls, labels: dict[str, LabelRules]) -> dict[str, LabelRules]:
        # A field validator, so that the error names the field ("labels").
        absent = [label for label in LABELS if label not in labels]
        if absent:
            raise ValueError(f"rules for every label; missing: {absent}")
        return labels


def load_watchlist(path: Path) -> tuple[Watchlist, str]:
    """The validated watchlist and the SHA-256 hex digest of the file.

    Raises ConfigError naming the file, the field and the problem.
    """
    try:
        raw = path.read_bytes()
        text = raw.decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(
            [ConfigProblem(path, "", missing(), f"a readable UTF-8 watchlist file ({exc})")]
        ) from None
    return parse_watchlist(text, path), hashlib.sha256(raw).hexdigest()


def parse_watchlist(text: str, path: Path) -> Watchlist:
    """Validate watchlist YAML; `path` is only used to name the file in errors."""
    data = parse_yaml(text, path)
    if not isinstance(data, dict):
        raise ConfigError(
            [ConfigProblem(path, "", type(data).__name__, "a mapping with a 'labels:' section")]
        )
    try:
        return Watchlist.model_validate(data)
    except ValidationError as exc:
        raise ConfigError([_problem(path, error) for error in exc.errors()]) from None


def _problem(path: Path, error: Any) -> ConfigProblem:
    loc = [str(part) for part in error["loc"]]
    is_key = bool(loc) and loc[-1] == "[key]"
    field = ".".join(part for part in loc if part != "[key]")
    if error["type"] == "missing":
        return ConfigProblem(path, field, missing(), "this field is required")
    if error["type"] == "extra_forbidden":
        return ConfigProblem(path, field, missing(), "an unknown option (check the spelling)")
    expected = str(error["msg"]).removeprefix("Value error, ")
    if is_key:
        expected = f"a valid key here: {expected}"
    found = error.get("input", missing())
    if isinstance(found, dict | list):
        found = missing()  # a whole section: the field path says where it is
    return ConfigProblem(path, field, found, expected)
