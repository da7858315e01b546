"""The linear head: trains, calibrates, picks thresholds, and round-trips."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from classifiers.head import LinearHead, best_threshold, train_head

LABELS = ("firearm", "parts", "ammunition", "blueprints")


def synthetic(
    n: int, directions: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Embeddings along known label directions, with noise and overlapping labels."""
    y = (rng.random((n, len(LABELS))) < 0.25).astype(int)
    x = rng.normal(scale=1.0, size=(n, 32)) + y @ directions * 0.8
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x.astype(np.float32), y


def test_head_learns_calibrates_and_round_trips(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    directions = rng.normal(size=(len(LABELS), 32))
    train_x, train_y = synthetic(1000, directions, rng)
    val_x, val_y = synthetic(500, directions, rng)
    head = train_head(LABELS, train_x, train_y, val_x, val_y)

    probabilities = head.probabilities(val_x)
    assert probabilities.shape == (500, 4)
    predicted = probabilities >= np.array([head.thresholds[label] for label in LABELS])
    accuracy = (predicted == val_y.astype(bool)).mean()
    assert accuracy > 0.85
    # Calibrated: the mean probability is close to the label frequency.
    assert np.all(np.abs(probabilities.mean(axis=0) - val_y.mean(axis=0)) < 0.05)
    assert all(0.05 <= t <= 0.95 for t in head.thresholds.values())

    head.save(tmp_path)
    again = LinearHead.load(tmp_path)
    assert again.labels == LABELS and again.thresholds == head.thresholds
    np.testing.assert_array_equal(again.probabilities(val_x), probabilities)


def test_best_threshold_prefers_fewer_false_alarms_on_ties() -> None:
    probabilities = np.array([0.1, 0.2, 0.8, 0.9])
    truth = np.array([0, 0, 1, 1])
    assert best_threshold(probabilities, truth) == 0.8


def test_rule_weights_are_chosen_per_label() -> None:
    """Rules that know one label well and another not at all get weight there only."""
    from classifiers.training import choose_rule_weights

    rng = np.random.default_rng(1)
    truth = (rng.random((400, len(LABELS))) < 0.3).astype(int)
    head = np.clip(truth * 0.3 + rng.random(truth.shape) * 0.7, 0, 1)  # a fair model
    rules = rng.random(truth.shape)  # noise ...
    rules[:, 2] = truth[:, 2]  # ... except on ammunition, where they are exact
    weights, thresholds, table = choose_rule_weights(head, rules, truth)
    # The least weight that makes ammunition perfect (ties go to less weight).
    assert table["ammunition"][f"{weights['ammunition']:.1f}"] == 1
    assert weights["ammunition"] > 0 and table["ammunition"]["0.0"] < 1
    assert weights["firearm"] <= 0.2 and weights["parts"] <= 0.2
    assert set(thresholds) == set(LABELS) and set(table["parts"]) == {
        f"{0.1 * i:.1f}" for i in range(11)
    }
