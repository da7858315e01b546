"""Multi-label metrics, as analysts read them: per label precision, recall and
F1, macro-F1, and how often a benign listing raises a false alarm."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class LabelScores:
    precision: float
    recall: float
    f1: float
    support: int
    tp: int
    fp: int
    fn: int


@dataclass
class Report:
    count: int
    exact_match: float
    macro_f1: float
    benign_false_positive_rate: float
    """Share of benign listings (no label) that got at least one label."""
    labels: dict[str, LabelScores]
    by_language: dict[str, float] = field(default_factory=dict)
    """Macro-F1 over the labels present, per language with enough listings."""
    language_counts: dict[str, int] = field(default_factory=dict)
    """Listings per language in `by_language`: with few, one error moves the score a lot."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def label_scores(
    truth: Sequence[set[str]], predicted: Sequence[set[str]], label: str
) -> LabelScores:
    tp = sum(label in t and label in p for t, p in zip(truth, predicted, strict=True))
    fp = sum(label not in t and label in p for t, p in zip(truth, predicted, strict=True))
    fn = sum(label in t and label not in p for t, p in zip(truth, predicted, strict=True))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
    return LabelScores(precision, recall, f1, tp + fn, tp, fp, fn)


def report(
    labels: Sequence[str],
    truth: Sequence[set[str]],
    predicted: Sequence[set[str]],
    langs: Sequence[str | None] | None = None,
    min_per_language: int = 10,
) -> Report:
    per_label = {label: label_scores(truth, predicted, label) for label in labels}
    present = [label for label in labels if per_label[label].support]
    benign = [p for t, p in zip(truth, predicted, strict=True) if not t]
    result = Report(
        count=len(truth),
        exact_match=sum(t == p for t, p in zip(truth, predicted, strict=True)) / max(len(truth), 1),
        macro_f1=sum(per_label[label].f1 for label in present) / max(len(present), 1),
        benign_false_positive_rate=sum(bool(p) for p in benign) / max(len(benign), 1),
        labels=per_label,
    )
    if langs is not None:
        for lang in sorted({lang for lang in langs if lang}):
            rows = [i for i, value in enumerate(langs) if value == lang]
            if len(rows) < min_per_language:
                continue
            sub = report(labels, [truth[i] for i in rows], [predicted[i] for i in rows])
            result.by_language[lang] = sub.macro_f1
            result.language_counts[lang] = len(rows)
    return result
