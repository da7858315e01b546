"""Classifiers that score listings for the four labels of the labeling guide."""

from classifiers.base import Classifier, ListingText, Prediction, load_classifier

__all__ = ["Classifier", "ListingText", "Prediction", "load_classifier"]
