"""The multi-label head over frozen sentence embeddings: one logistic unit per
label, Platt-calibrated, with a threshold per label chosen on validation data.

A linear head is small enough to commit (labels x 384 floats), trains in
seconds on CPU, and its calibrated probabilities mean what they say, so a
threshold of 0.5 is "more likely than not" for every label.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression

HEAD_FILE = "head.npz"
META_FILE = "head.json"


@dataclass
class LinearHead:
    labels: tuple[str, ...]
    weights: np.ndarray
    """(labels, dim) logistic weights."""
    bias: np.ndarray
    """(labels,) logistic biases."""
    platt: np.ndarray
    """(labels, 2): calibrated p = sigmoid(a * logit + b), per label."""
    thresholds: dict[str, float]

    @classmethod
    def uncalibrated(
        cls, labels: Sequence[str], weights: np.ndarray, bias: np.ndarray
    ) -> LinearHead:
        """A head before `calibrate`: identity Platt scaling, no thresholds yet."""
        return cls(
            labels=tuple(labels),
            weights=np.asarray(weights, dtype=np.float32),
            bias=np.asarray(bias, dtype=np.float32),
            platt=np.tile(np.array([1.0, 0.0], dtype=np.float32), (len(labels), 1)),
            thresholds={},
        )

    def logits(self, embeddings: np.ndarray) -> np.ndarray:
        return embeddings @ self.weights.T + self.bias

    def probabilities(self, embeddings: np.ndarray) -> np.ndarray:
        """(n, labels) calibrated probabilities."""
        z = self.logits(embeddings) * self.platt[:, 0] + self.platt[:, 1]
        return 1.0 / (1.0 + np.exp(-z))

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        np.savez(directory / HEAD_FILE, weights=self.weights, bias=self.bias, platt=self.platt)
        meta = {"labels": list(self.labels), "thresholds": self.thresholds}
        (directory / META_FILE).write_text(json.dumps(meta, indent=2) + "\n")

    @classmethod
    def load(cls, directory: Path) -> LinearHead:
        arrays = np.load(directory / HEAD_FILE)
        meta = json.loads((directory / META_FILE).read_text())
        return cls(
            labels=tuple(meta["labels"]),
            weights=arrays["weights"],
            bias=arrays["bias"],
            platt=arrays["platt"],
            thresholds={k: float(v) for k, v in meta["thresholds"].items()},
        )


def train_head(
    labels: Sequence[str],
    train_x: np.ndarray,
    train_y: np.ndarray,
    val_x: np.ndarray,
    val_y: np.ndarray,
    *,
    strength: float = 4.0,
    seed: int = 13,
) -> LinearHead:
    """Fit per-label logistic units on train, calibrate and pick thresholds on validation.

    `train_y`/`val_y` are (n, labels) 0/1 matrices. `strength` is the inverse
    regularization (sklearn's C).
    """
    weights, bias = [], []
    for j in range(len(labels)):
        unit = LogisticRegression(
            C=strength, class_weight="balanced", max_iter=2000, random_state=seed
        )
        unit.fit(train_x, train_y[:, j])
        weights.append(unit.coef_[0])
        bias.append(unit.intercept_[0])
    return calibrate(
        LinearHead.uncalibrated(labels, np.array(weights), np.array(bias)), val_x, val_y
    )


def calibrate(head: LinearHead, val_x: np.ndarray, val_y: np.ndarray) -> LinearHead:
    """Fit the Platt scaling and pick the thresholds of `head` on validation data."""
    logits = head.logits(val_x)
    for j in range(len(head.labels)):
        head.platt[j] = platt_scaling(logits[:, j], val_y[:, j])
    head.thresholds = best_thresholds(head.labels, head.probabilities(val_x), val_y)
    return head


def platt_scaling(logits: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """(a, b) so that sigmoid(a * logit + b) matches the observed frequencies."""
    if truth.min() == truth.max():  # nothing to calibrate against
        return np.array([1.0, 0.0], dtype=np.float32)
    fit = LogisticRegression(C=1e4, max_iter=1000).fit(logits.reshape(-1, 1), truth)
    return np.array([fit.coef_[0, 0], fit.intercept_[0]], dtype=np.float32)


def best_thresholds(
    labels: Sequence[str], scores: np.ndarray, truth: np.ndarray
) -> dict[str, float]:
    """Per label (columns of `scores` and `truth`), the best threshold on these data."""
    return {label: best_threshold(scores[:, j], truth[:, j]) for j, label in enumerate(labels)}


def best_threshold(probabilities: np.ndarray, truth: np.ndarray) -> float:
    """The threshold with the best F1 on validation; ties go to the higher one
    (fewer false alarms for the same F1)."""
    best, best_f1 = 0.5, -1.0
    for threshold in np.round(np.arange(0.05, 0.96, 0.01), 2):
        f1 = f1_at(probabilities, truth, float(threshold))
        if f1 >= best_f1:
            best, best_f1 = float(threshold), f1
    return best


def f1_at(probabilities: np.ndarray, truth: np.ndarray, threshold: float) -> float:
    """F1 of one label when it is set at `threshold`."""
    predicted = probabilities >= threshold
    tp = float(np.sum(predicted & (truth == 1)))
    fp = float(np.sum(predicted & (truth == 0)))
    fn = float(np.sum(~predicted & (truth == 1)))
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0
