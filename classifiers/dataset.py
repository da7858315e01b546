"""Labeled listings for training and evaluation: the labeling guide's JSON Lines
format, plus the `split` each record belongs to."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from armswatch import LABELS
from classifiers.base import ListingText


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
