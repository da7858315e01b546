"""`armswatch evaluate`: a classifier measured on labeled listings, with the
figures an analyst asks for and a precision-recall plot."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from armswatch import LABELS
from classifiers.base import Classifier, Prediction
from classifiers.dataset import Example, score_matrix
from classifiers.metrics import report

BENIGN = "benign"
BATCH = 64


def predict_all(
    classifier: Classifier,
    examples: Sequence[Example],
    progress: Callable[[int], None] | None = None,
) -> list[Prediction]:
    predictions: list[Prediction] = []
    for start in range(0, len(examples), BATCH):
        batch = examples[start : start + BATCH]
        predictions += classifier.predict([e.text for e in batch])
        if progress:
            progress(len(batch))
    return predictions


def confusion(
    truth: Sequence[set[str]], predicted: Sequence[set[str]]
) -> dict[str, dict[str, int]]:
    """Rows: a true label (or benign); columns: the labels predicted for those listings
    (or benign when none) — where the classifier confuses one label for another."""
    names = [*LABELS, BENIGN]
    table = {row: dict.fromkeys(names, 0) for row in names}
    for true, pred in zip(truth, predicted, strict=True):
        for row in true or {BENIGN}:
            for column in pred or {BENIGN}:
                table[row][column] += 1
    return table


def pr_curve(scores: np.ndarray, truth: np.ndarray) -> tuple[list[float], list[float]]:
    """(precision, recall) at every threshold from high to low scores."""
    order = np.argsort(-scores, kind="stable")
    hits = truth[order].astype(float)
    tp = np.cumsum(hits)
    precision = tp / np.arange(1, len(hits) + 1)
    recall = tp / max(hits.sum(), 1)
    return precision.tolist(), recall.tolist()


def evaluate(
    classifier: Classifier,
    examples: Sequence[Example],
    plot: Path | None = None,
    progress: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """The JSON report; writes the precision-recall plot to `plot` when given."""
    predictions = predict_all(classifier, examples, progress)
    truth = [e.labels for e in examples]
    predicted = [set(p.labels) for p in predictions]
    result = report(LABELS, truth, predicted, [e.lang for e in examples]).to_dict()
    result["confusion"] = confusion(truth, predicted)
    result["classifier_version"] = classifier.version
    if plot is not None:
        scores = score_matrix(predictions)
        marks = np.array([[label in t for label in LABELS] for t in truth])
        write_pr_plot(scores, marks, plot, title=classifier.version)
    return result


def write_pr_plot(scores: np.ndarray, truth: np.ndarray, path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    figure, axes = pyplot.subplots(figsize=(6, 5), dpi=100)
    for j, label in enumerate(LABELS):
        if truth[:, j].any():
            precision, recall = pr_curve(scores[:, j], truth[:, j])
            axes.plot(recall, precision, label=label)
    axes.set_xlabel("recall")
    axes.set_ylabel("precision")
    axes.set_xlim(0, 1)
    axes.set_ylim(0, 1.02)
    axes.set_title(f"precision-recall: {title}", fontsize=9)
    axes.legend(loc="lower left")
    axes.grid(alpha=0.3)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    pyplot.close(figure)


def write_report(result: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
