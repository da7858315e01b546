"""The classifier interface the crawl pipeline depends on.

A classifier scores batches (never one model call per listing) and explains
its scores, so that an analyst sees why a listing was flagged.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from armswatch.config import Config


@dataclass(frozen=True)
class ListingText:
    """What a classifier reads of a listing."""

    title: str
    text: str
    lang: str | None = None


@dataclass(frozen=True)
class Prediction:
    scores: dict[str, float]
    """Per label, in [0, 1]."""
    labels: list[str]
    """The labels whose score reached their threshold."""
    threat_score: float
    """The highest label score."""
    explanations: dict[str, list[str]] = field(default_factory=dict)
    """Per label, the evidence (matched terms) behind its score."""


class Classifier(Protocol):
    version: str

    def predict(self, batch: Sequence[ListingText]) -> list[Prediction]: ...


class ClassifierLoadError(RuntimeError):
    """The configured classifier cannot be loaded; the message says what to do."""


def load_classifier(config: Config) -> Classifier:
    """The classifier named by `classifier.kind` in the settings."""
    from classifiers.rules import RuleClassifier

    settings = config.settings.classifier
    rules = RuleClassifier.from_file(config.path(settings.watchlist), settings.thresholds)
    if settings.kind == "rules":
        return rules
    from classifiers.transformer import TransformerClassifier

    try:
        return TransformerClassifier.load(
            settings.model,
            encoder=settings.encoder,
            rules=rules,
            thresholds=settings.thresholds,
            quantize=settings.quantize,
            runtime=settings.runtime,
        )
    except (OSError, ValueError, RuntimeError) as exc:
        # Missing or damaged model files, an encoder that cannot be found or converted,
        # adapters for another encoder: all are fixed in the configuration.
        raise ClassifierLoadError(
            f"the transformer classifier cannot be loaded: {exc}\nCheck classifier.model "
            f"and classifier.encoder in {config.directory / 'armswatch.yaml'}, or score with "
            "the watchlist alone: classifier.kind: rules (or ARMSWATCH_CLASSIFIER=rules)."
        ) from exc
