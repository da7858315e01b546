"""Classifiers that score listings for the four labels of the labeling guide."""

from classifiers.base import (
    Classifier,
    ClassifierLoadError,
    ListingText,
    Prediction,
    load_classifier,
)

__all__ = ["Classifier", "ClassifierLoadError", "ListingText", "Prediction", "load_classifier"]
