"""The rule classifier: weighted watchlist terms, scored per label.

It is the crawl's classifier until a trained model lands, and afterwards a
second, explainable signal beside it. How a score comes about, so that an
analyst can retrace it from the explanations:

1. Every term and pattern of the watchlist is matched in the title and in
   the text (see `classifiers.watchlist` for the term language). Where
   several terms start at one word, the longest wins: "glue gun" is a
   negative, and its "gun" is no evidence of a firearm.
2. Per label, each distinct matched term counts its weight, or
   `text_factor` of it when it is only in the text, and the weights combine
   as independent evidence: evidence = 1 - prod(1 - w).
3. Negative context (airsoft, tools, games, news...) combines the same way
   into a dampening d; real-firearm evidence ("live rounds", "real steel")
   combines into a shield s. score = evidence * (1 - d * (1 - s)).
4. labels = the labels whose score reaches their threshold; threat_score =
   the highest score.

Explanations list, per label with evidence, the matched words as written in
the listing, then the negatives applied to it ("-airsoft"), the shields
("+live rounds", only where a negative applied) and the words of demand
("?WTB"), which never lower a score: demand counts.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from armswatch import LABELS
from classifiers.base import ListingText, Prediction
from classifiers.watchlist import (
    TOKEN,
    ParsedTerm,
    Pattern,
    TermWeights,
    Watchlist,
    fold,
    load_watchlist,
    parse_term,
)

DEFAULT_THRESHOLD = 0.5
_NO_SPACE = re.compile(r"\s+")
MAX_WORD_GAP = 3
"""At most this many characters ("% ", " - ") between the words of a phrase."""


@dataclass(frozen=True)
class _Effect:
    """What one match of a term does."""

    kind: Literal["label", "negative", "shield", "seeking"]
    weight: float
    labels: frozenset[str]
    """The label it is evidence for, or the labels a negative dampens."""
    title_only: bool = False


@dataclass(frozen=True)
class _Hit:
    key: int
    start: int
    end: int


class _Matcher:
    """All terms and patterns of a watchlist, compiled once.

    Word terms are looked up per word in dictionaries (an Aho-Corasick-like
    scan over words, not one regex per term), substring terms run as one
    regex of literals, and patterns each as one compiled regex.
    """

    def __init__(self) -> None:
        self.effects: list[list[_Effect]] = []
        self._keys: dict[tuple[str, str], int] = {}
        self._single: dict[str, int] = {}
        self._phrases: dict[str, list[tuple[tuple[str, ...], int]]] = {}
        self._prefix: dict[str, int] = {}
        self._suffix: dict[str, int] = {}
        self._infix: list[tuple[str, int]] = []
        self._substrings: dict[str, int] = {}
        self._substring_keys: dict[str, int] = {}
        """Substring terms by their pieces written together: a match is looked up
        without its spaces, since the pieces match with or without them."""
        self._substring_re: re.Pattern[str] | None = None
        self._patterns: list[tuple[re.Pattern[str], int]] = []
        self._prefix_lengths: list[int] = []
        self._suffix_lengths: list[int] = []

    def add_term(self, term: str, effect: _Effect) -> None:
        parsed = parse_term(term)
        # "ak 47" and "ak47" are one term: written-together forms match both
        # (for substring terms too: their pieces match with or without spaces).
        joined = "".join(parsed.words)
        key = self._keys.setdefault((parsed.kind, joined), len(self.effects))
        if key == len(self.effects):
            self.effects.append([])
        self.effects[key].append(effect)
        self._register(parsed, key)

    def add_pattern(self, regex: str, effect: _Effect) -> None:
        key = self._keys.setdefault(("pattern", regex), len(self.effects))
        if key == len(self.effects):
            self.effects.append([])
            self._patterns.append((re.compile(regex), key))
        self.effects[key].append(effect)

    def _register(self, parsed: ParsedTerm, key: int) -> None:
        words = parsed.words
        if parsed.kind == "words":
            self._single["".join(words)] = key
            phrases = self._phrases.setdefault(words[0], [])
            if len(words) > 1 and (words[1:], key) not in phrases:
                phrases.append((words[1:], key))
        elif parsed.kind == "prefix":
            self._prefix[words[0]] = key
        elif parsed.kind == "suffix":
            self._suffix[words[0]] = key
        elif parsed.kind == "infix":
            if (words[0], key) not in self._infix:
                self._infix.append((words[0], key))
        else:
            self._substrings[" ".join(words)] = key
            self._substring_keys["".join(words)] = key

    def finish(self) -> None:
        """Order alternatives longest first and build the combined regexes."""
        for phrases in self._phrases.values():
            phrases.sort(key=lambda phrase: -len(phrase[0]))
        self._prefix_lengths = sorted({len(p) for p in self._prefix}, reverse=True)
        self._suffix_lengths = sorted({len(s) for s in self._suffix}, reverse=True)
        if self._substrings:
            alternatives = sorted(self._substrings, key=len, reverse=True)
            self._substring_re = re.compile(
                "|".join(r"\s*".join(map(re.escape, s.split())) for s in alternatives)
            )

    def scan(self, folded: str) -> list[_Hit]:
        """Every match in folded text, in order of position."""
        hits = self._scan_words(folded)
        if self._substring_re is not None and not folded.isascii():
            for m in self._substring_re.finditer(folded):
                key = self._substring_keys[_NO_SPACE.sub("", m.group())]
                hits.append(_Hit(key, *m.span()))
        for regex, key in self._patterns:
            hits.extend(_Hit(key, *m.span()) for m in regex.finditer(folded))
        hits.sort(key=lambda hit: hit.start)
        return hits

    def _scan_words(self, folded: str) -> list[_Hit]:
        words = [(m.group(), m.start(), m.end()) for m in TOKEN.finditer(folded)]
        hits: list[_Hit] = []
        i, count = 0, len(words)
        while i < count:
            word, start, _ = words[i]
            key, last = None, i
            for rest, phrase_key in self._phrases.get(word, ()):
                stop = i + len(rest)
                if stop < count and all(
                    words[i + 1 + j][0] == rest[j]
                    and words[i + 1 + j][1] - words[i + j][2] <= MAX_WORD_GAP
                    for j in range(len(rest))
                ):
                    key, last = phrase_key, stop
                    break
            if key is None:
                key = self._single.get(word)
            if key is None:
                key = self._wildcard(word)
            if key is not None:
                hits.append(_Hit(key, start, words[last][2]))
            i = last + 1
        return hits

    def _wildcard(self, word: str) -> int | None:
        size = len(word)
        for length in self._prefix_lengths:
            if length <= size and (key := self._prefix.get(word[:length])) is not None:
                return key
        for length in self._suffix_lengths:
            if length <= size and (key := self._suffix.get(word[-length:])) is not None:
                return key
        for stem, key in self._infix:
            if stem in word:
                return key
        return None


def _compile(watchlist: Watchlist) -> _Matcher:
    matcher = _Matcher()

    def add(terms: TermWeights, patterns: Iterable[Pattern], effect: _Effect) -> None:
        for by_term in terms.values():
            for term, weight in by_term.items():
                matcher.add_term(term, _with_weight(effect, weight))
        for pattern in patterns:
            matcher.add_pattern(pattern.regex, _with_weight(effect, pattern.weight))

    for label, rules in watchlist.labels.items():
        add(rules.terms, rules.patterns, _Effect("label", 0.0, frozenset({label})))
    for group in watchlist.negatives:
        negative = _Effect("negative", 0.0, frozenset(group.labels), group.where == "title")
        add(group.terms, group.patterns, negative)
    shields = watchlist.shields
    add(shields.terms, shields.patterns, _Effect("shield", 0.0, frozenset()))
    for terms in watchlist.seeking.terms.values():
        for term in terms:
            matcher.add_term(term, _Effect("seeking", 0.0, frozenset()))
    matcher.finish()
    return matcher


class TermSet:
    """Terms of the watchlist's term language, matched as the rule classifier
    matches them (folded text, whole words): the `terms` of alert rules."""

    def __init__(self, terms: Iterable[str]) -> None:
        self._matcher = _Matcher()
        for term in terms:
            self._matcher.add_term(term, _Effect("label", 0.0, frozenset()))
        self._matcher.finish()

    def found_in(self, *texts: str) -> bool:
        """Whether any term occurs in any of `texts` (each scanned on its own)."""
        return any(self._matcher.scan(fold(text)[0]) for text in texts)


def _with_weight(effect: _Effect, weight: float) -> _Effect:
    return _Effect(effect.kind, weight, effect.labels, effect.title_only)


def _combine(weights: Iterable[float]) -> float:
    """Independent evidence: 1 - prod(1 - w)."""
    rest = 1.0
    for weight in weights:
        rest *= 1.0 - weight
    return 1.0 - rest


class RuleClassifier:
    """Scores listings with the weighted terms of a watchlist."""

    def __init__(
        self, watchlist: Watchlist, thresholds: dict[str, float], version: str | None = None
    ) -> None:
        unknown = sorted(set(thresholds) - set(LABELS))
        if unknown:
            raise ValueError(f"thresholds for unknown label(s) {unknown}; labels: {list(LABELS)}")
        self.thresholds = {label: thresholds.get(label, DEFAULT_THRESHOLD) for label in LABELS}
        self.text_factor = watchlist.scoring.text_factor
        self.version = version or "rules-" + _digest(watchlist.model_dump_json().encode())
        self._matcher = _compile(watchlist)

    @classmethod
    def from_file(cls, path: Path, thresholds: dict[str, float]) -> RuleClassifier:
        """Load a watchlist file; the version names its content, so that a changed
        watchlist shows in every listing's classifier_version."""
        watchlist, sha256 = load_watchlist(path)
        return cls(watchlist, thresholds, version="rules-" + sha256[:12])

    def predict(self, batch: Sequence[ListingText]) -> list[Prediction]:
        return [self._predict(listing) for listing in batch]

    def _matches(self, text: str) -> list[tuple[int, str]]:
        folded, starts = fold(text)
        found = []
        for hit in self._matcher.scan(folded):
            if starts is None:
                surface = text[hit.start : hit.end]
            else:
                end = starts[hit.end] if hit.end < len(starts) else len(text)
                surface = text[starts[hit.start] : end]
            found.append((hit.key, surface.strip()))
        return found

    def _predict(self, listing: ListingText) -> Prediction:
        # Per matched term: its first surface and whether it is in the title.
        seen: dict[int, tuple[str, bool]] = {}
        for in_title, text in ((True, listing.title), (False, listing.text)):
            for key, surface in self._matches(text or ""):
                seen.setdefault(key, (surface, in_title))

        evidence: dict[str, dict[int, float]] = {label: {} for label in LABELS}
        damping: dict[str, dict[int, float]] = {label: {} for label in LABELS}
        shields: dict[int, float] = {}
        words: dict[str, list[str]] = {label: [] for label in LABELS}
        negatives: dict[str, list[str]] = {label: [] for label in LABELS}
        shield_words: list[str] = []
        seeking: list[str] = []
        for key, (surface, in_title) in seen.items():
            factor = 1.0 if in_title else self.text_factor
            for effect in self._matcher.effects[key]:
                weight = effect.weight * factor
                if effect.kind == "label":
                    for label in effect.labels:
                        evidence[label][key] = max(weight, evidence[label].get(key, 0.0))
                        words[label].append(surface)
                elif effect.kind == "negative":
                    if effect.title_only and not in_title:
                        continue
                    for label in effect.labels:
                        damping[label][key] = max(weight, damping[label].get(key, 0.0))
                        negatives[label].append("-" + surface)
                elif effect.kind == "shield":
                    shields[key] = max(weight, shields.get(key, 0.0))
                    shield_words.append("+" + surface)
                else:
                    seeking.append("?" + surface)

        shield = _combine(shields.values())
        scores: dict[str, float] = {}
        explanations: dict[str, list[str]] = {}
        for label in LABELS:
            found = _combine(evidence[label].values())
            damp = _combine(damping[label].values())
            scores[label] = round(found * (1.0 - damp * (1.0 - shield)), 4)
            if found > 0:
                shown = words[label] + negatives[label]
                if negatives[label]:
                    shown += shield_words
                explanations[label] = list(dict.fromkeys(shown + seeking))
        labels = [label for label in LABELS if scores[label] >= self.thresholds[label]]
        return Prediction(
            scores=scores,
            labels=labels,
            threat_score=max(scores.values()),
            explanations=explanations,
        )


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:12]
