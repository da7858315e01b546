"""The transformer classifier: multilingual sentence embeddings, a calibrated
linear head, and the watchlist rules as a second signal.

The final score of a label is (1 - w) * head + w * rules, with the rule weight
w chosen on validation data when the model was trained (w = 0 when the rules
did not help; they then still explain the score).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from classifiers.base import ListingText, Prediction
from classifiers.encoder import Encoder
from classifiers.model import ModelArtifact, resolve_model_dir
from classifiers.rules import RuleClassifier

MAX_CHARS = 2000
"""Characters of title + text the encoder reads (it truncates to 128 tokens anyway)."""


def model_text(listing: ListingText) -> str:
    """What the encoder reads of a listing."""
    return f"{listing.title}\n{listing.text}".strip()[:MAX_CHARS]


class TransformerClassifier:
    def __init__(
        self, artifact: ModelArtifact, encoder: Encoder, rules: RuleClassifier | None
    ) -> None:
        self.artifact = artifact
        self.encoder = encoder
        self.rules = rules
        self.rule_weight = float(artifact.info.notes.get("rule_weight", 0.0)) if rules else 0.0
        self.labels = artifact.head.labels
        self.version = artifact.info.version + (f"+{rules.version}" if rules else "")

    @classmethod
    def load(
        cls,
        model: str | Path | None = None,
        *,
        encoder: str | None = None,
        rules: RuleClassifier | None = None,
        thresholds: dict[str, float] | None = None,
    ) -> TransformerClassifier:
        """A model directory (or shipped version; default: the shipped model) with its
        encoder; `thresholds` override the model's own per label."""
        artifact = ModelArtifact.load(resolve_model_dir(model))
        artifact.head.thresholds.update(thresholds or {})
        location = encoder or artifact.info.encoder_location
        return cls(artifact, Encoder.load(location), rules)

    def scores(self, batch: Sequence[ListingText]) -> tuple[np.ndarray, list[Prediction] | None]:
        """(n, labels) final scores, and the rule predictions behind them."""
        embeddings = self.encoder.embed([model_text(listing) for listing in batch])
        scores = self.artifact.head.probabilities(embeddings)
        rule_predictions = self.rules.predict(batch) if self.rules else None
        if rule_predictions is not None and self.rule_weight > 0:
            rule_scores = np.array(
                [[p.scores[label] for label in self.labels] for p in rule_predictions]
            )
            scores = (1 - self.rule_weight) * scores + self.rule_weight * rule_scores
        return scores, rule_predictions

    def predict(self, batch: Sequence[ListingText]) -> list[Prediction]:
        if not batch:
            return []
        scores, rule_predictions = self.scores(batch)
        thresholds = self.artifact.head.thresholds
        predictions = []
        for i, row in enumerate(scores):
            by_label = {
                label: round(float(s), 4) for label, s in zip(self.labels, row, strict=True)
            }
            explanations = rule_predictions[i].explanations if rule_predictions else {}
            predictions.append(
                Prediction(
                    scores=by_label,
                    labels=[label for label in self.labels if by_label[label] >= thresholds[label]],
                    threat_score=max(by_label.values()),
                    explanations=explanations,
                )
            )
        return predictions
