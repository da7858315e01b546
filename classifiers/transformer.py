"""The transformer classifier: multilingual sentence embeddings (from the frozen
encoder or one fine-tuned with LoRA adapters), a calibrated linear head, and the
watchlist rules as a second signal.

The final score of a label is (1 - w) * head + w * rules, with a rule weight w
per label chosen on validation data when the model was trained (w = 0 where the
rules did not help; they then still explain the score). A score is explained by the
rule terms that matched and by the words that pushed the head's logit most.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import numpy as np

from classifiers.adapters import apply_adapters
from classifiers.base import ListingText, Prediction
from classifiers.dataset import score_matrix
from classifiers.encoder import Encoder, WordScore
from classifiers.heap import release_free_memory
from classifiers.model import ModelArtifact, resolve_model_dir
from classifiers.rules import RuleClassifier

MAX_CHARS = 2000
"""Characters of title + text the encoder reads (it truncates to 128 tokens anyway)."""
EXPLAINING_WORDS = 3
"""Words from the model's side shown per label, beside the rule terms."""
MIN_SHARE = 0.1
"""A word is shown when it adds at least this much to the calibrated logit."""


def blend(model: np.ndarray, rules: np.ndarray, weights: np.ndarray | float) -> np.ndarray:
    """The final scores: per label, (1 - w) * model + w * rules."""
    return (1 - weights) * model + weights * rules


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
        weights = artifact.info.notes.get("rule_weights", {}) if rules else {}
        self.rule_weights = np.array(
            [float(weights.get(label, 0.0)) for label in artifact.head.labels]
        )
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
        quantize: bool = False,
        runtime: Literal["torch", "onnx", "onnx-int8"] = "torch",
    ) -> TransformerClassifier:
        """A model directory (or shipped version; default: the shipped model) with its
        encoder; `thresholds` override the model's own per label; `quantize`: torch
        int8; `runtime`: what runs the encoder, torch or the same weights exported to
        ONNX Runtime, as they are or in int8 (`classifiers.onnx_runtime`)."""
        if quantize and runtime != "torch":
            raise ValueError(
                f"classifier.quantize is torch's int8 and cannot go with runtime {runtime}: "
                "set quantize: false (runtime onnx-int8 is ONNX Runtime's int8)"
            )
        artifact = ModelArtifact.load(resolve_model_dir(model))
        artifact.head.thresholds.update(thresholds or {})
        loaded = Encoder.load(encoder or artifact.info.encoder_location)
        if artifact.adapters is not None:
            apply_adapters(loaded.model, artifact.adapters)
            loaded.name += f"+{artifact.info.version}"
        if quantize:
            loaded.quantize()
        if runtime != "torch":
            from classifiers.onnx_runtime import use_onnx

            use_onnx(loaded, int8=runtime == "onnx-int8")
        return cls(artifact, loaded, rules)

    def scores(
        self, batch: Sequence[ListingText]
    ) -> tuple[np.ndarray, list[Prediction] | None, list[list[WordScore]]]:
        """(n, labels) final scores, the rule predictions behind them, and each
        listing's words with their share of each label's calibrated logit."""
        head = self.artifact.head
        encoded = self.encoder.encode(
            [model_text(listing) for listing in batch],
            directions=head.weights * head.platt[:, :1],
        )
        scores = head.probabilities(encoded.embeddings)
        rule_predictions = self.rules.predict(batch) if self.rules else None
        if rule_predictions is not None and self.rule_weights.any():
            scores = blend(scores, score_matrix(rule_predictions, self.labels), self.rule_weights)
        return scores, rule_predictions, encoded.words or []

    def predict(self, batch: Sequence[ListingText]) -> list[Prediction]:
        if not batch:
            return []
        scores, rule_predictions, words = self.scores(batch)
        thresholds = self.artifact.head.thresholds
        predictions = []
        for i, row in enumerate(scores):
            by_label = {
                label: round(float(s), 4) for label, s in zip(self.labels, row, strict=True)
            }
            flagged = [label for label in self.labels if by_label[label] >= thresholds[label]]
            explanations = self.explain(
                words[i],
                rule_predictions[i].explanations if rule_predictions else {},
                flagged or [max(by_label, key=by_label.__getitem__)],
            )
            predictions.append(
                Prediction(
                    scores=by_label,
                    labels=flagged,
                    threat_score=max(by_label.values()),
                    explanations=explanations,
                )
            )
        release_free_memory()
        return predictions

    def explain(
        self,
        words: Sequence[WordScore],
        rule_terms: dict[str, list[str]],
        focus: Sequence[str],
    ) -> dict[str, list[str]]:
        """Per label: the rule terms that matched, then, for the `focus` labels (the
        flagged ones, else the likeliest), the words that raised the head's score
        most (each word once, as written)."""
        explanations: dict[str, list[str]] = {}
        for j, label in enumerate(self.labels):
            terms = list(rule_terms.get(label, []))
            seen = {term.casefold() for term in terms}
            ranked = sorted(words, key=lambda word: -word.scores[j]) if label in focus else []
            for word in ranked[:EXPLAINING_WORDS]:
                if word.scores[j] >= MIN_SHARE and word.word.casefold() not in seen:
                    terms.append(word.word)
                    seen.add(word.word.casefold())
            if terms:
                explanations[label] = terms
        return explanations
