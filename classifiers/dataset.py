"""Labeled listings for training and evaluation: the labeling guide's JSON Lines
format, plus the `split` each record belongs to."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from armswatch import LABELS
from armswatch.stores import Store
from classifiers.base import ListingText, Prediction


@dataclass
class Example:
    text: ListingText
    labels: set[str]
    lang: str | None
    split: str


def read_examples(path: Path) -> list[Example]:
    """Labeled listings (JSON Lines, the labeling guide's format plus `split`)."""
    examples = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        record = json.loads(line)
        unknown = set(record.get("labels", [])) - set(LABELS)
        if unknown:
            raise ValueError(f"{path}:{number}: unknown label(s) {sorted(unknown)}")
        examples.append(
            Example(
                text=ListingText(record.get("title") or "", record.get("text") or ""),
                labels=set(record.get("labels", [])),
                lang=record.get("lang"),
                split=record.get("split", "test"),
            )
        )
    return examples


def label_matrix(examples: Sequence[Example]) -> np.ndarray:
    return np.array([[label in e.labels for label in LABELS] for e in examples], dtype=int)


def score_matrix(predictions: Sequence[Prediction], labels: Sequence[str] = LABELS) -> np.ndarray:
    """(n, labels) scores of predictions, columns in the order of `labels`."""
    return np.array([[p.scores[label] for label in labels] for p in predictions])


def reviewed_examples(store: Store) -> list[Example]:
    """Training examples from the analysts' reviews: each reviewed listing with the
    labels of its latest review (confirmed: the analyst's labels; false positive:
    benign; awaiting follow-up: left out).

    They join the train split only: validation and test stay fixed, so model
    versions remain comparable.
    """
    latest = {review.listing_id: review for review in store.reviews()}
    listings = store.get_many(latest)
    examples = []
    for listing_id, review in sorted(latest.items()):
        labels = review.training_labels()
        listing = listings.get(listing_id)
        if labels is None or listing is None:
            continue
        text = ListingText(listing.title, listing.text, listing.lang)
        examples.append(Example(text=text, labels=labels, lang=listing.lang, split="train"))
    return examples
