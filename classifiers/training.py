"""Train a model version: embed the labeled listings once, fit the head on the
train split, calibrate and set thresholds on validation, decide by measurement
how much the watchlist rules add, and report on the test splits beside two
baselines (the rules alone; TF-IDF + logistic regression).
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from armswatch import LABELS
from classifiers.dataset import Example, label_matrix, read_examples
from classifiers.encoder import Encoder
from classifiers.head import best_thresholds, train_head
from classifiers.metrics import Report, report
from classifiers.model import ModelArtifact, ModelInfo
from classifiers.rules import RuleClassifier
from classifiers.transformer import model_text

DATA_DIR = Path(__file__).resolve().parent / "data"
DEFAULT_DATA = DATA_DIR / "listings.jsonl"
REAL_TEST = DATA_DIR / "test_real.jsonl"
RULE_WEIGHTS = tuple(round(0.1 * i, 1) for i in range(11))
"""Weights of the rules in the final score tried on validation: 0 (rules only explain) to 1."""
Progress = Callable[[str, int, int], None]
"""(stage, done, total)"""


def file_sha256(*paths: Path) -> str:
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.read_bytes())
    return digest.hexdigest()


def predicted_sets(scores: np.ndarray, thresholds: dict[str, float]) -> list[set[str]]:
    cut = np.array([thresholds[label] for label in LABELS])
    return [{label for label, on in zip(LABELS, row >= cut, strict=True) if on} for row in scores]


def train(
    version: str,
    out_dir: Path,
    rules: RuleClassifier,
    encoder: Encoder,
    encoder_location: str | None = None,
    data: Sequence[Path] = (DEFAULT_DATA,),
    real_test_data: Path | None = REAL_TEST,
    seed: int = 13,
    progress: Progress | None = None,
) -> ModelArtifact:
    """Train, measure and save a model version under `out_dir`.

    `data`: labeled listings with train/validation/test splits; `real_test_data`:
    a test set of real listings only, reported separately.
    """
    random.seed(seed)
    np.random.seed(seed)
    examples = [e for path in data for e in read_examples(path)]
    real_test = read_examples(real_test_data) if real_test_data else []
    splits = {
        name: [e for e in examples if e.split == name] for name in ("train", "validation", "test")
    }
    if not splits["train"] or not splits["validation"]:
        names = ", ".join(str(path) for path in data)
        raise ValueError(f"{names}: records with split 'train' and 'validation' are needed")

    def embed(name: str, items: Sequence[Example]) -> np.ndarray:
        texts = [model_text(e.text) for e in items]
        done = 0

        def step(count: int) -> None:
            nonlocal done
            done += count
            if progress:
                progress(f"embedding {name}", done, len(texts))

        return encoder.embed(texts, progress=step)

    x = {name: embed(name, items) for name, items in splits.items()}
    x["test_real"] = embed("test_real", real_test) if real_test else np.zeros((0, encoder.dim))
    y = {name: label_matrix(items) for name, items in splits.items()}
    head = train_head(LABELS, x["train"], y["train"], x["validation"], y["validation"], seed=seed)

    def rule_scores(items: Sequence[Example]) -> np.ndarray:
        predictions = rules.predict([e.text for e in items])
        return np.array([[p.scores[label] for label in LABELS] for p in predictions])

    rule = {name: rule_scores(items) for name, items in {**splits, "test_real": real_test}.items()}
    weight, thresholds, blend_table = choose_rule_weight(
        head.probabilities(x["validation"]), rule["validation"], y["validation"]
    )
    head.thresholds = thresholds

    def evaluate(name: str, items: Sequence[Example]) -> Report:
        scores = (1 - weight) * head.probabilities(x[name]) + weight * rule[name]
        truth = [e.labels for e in items]
        return report(LABELS, truth, predicted_sets(scores, thresholds), [e.lang for e in items])

    evaluated = {"validation": splits["validation"], "test": splits["test"], "test_real": real_test}
    metrics = {name: evaluate(name, items).to_dict() for name, items in evaluated.items() if items}
    notes: dict[str, Any] = {
        "rule_weight": weight,
        "rule_weight_search": blend_table,
        "baselines": baselines(splits, real_test, rules),
        "head": "linear (logistic per label) on frozen mean-pooled embeddings, Platt-calibrated",
    }
    info = ModelInfo(
        version=version,
        encoder=encoder.name,
        encoder_location=encoder_location,
        labels=list(LABELS),
        training_data_sha256=file_sha256(*data),
        seed=seed,
        metrics=metrics,
        notes=notes,
    )
    artifact = ModelArtifact(directory=out_dir, info=info, head=head)
    artifact.save()
    return artifact


def choose_rule_weight(
    head_scores: np.ndarray, rule_scores: np.ndarray, truth: np.ndarray
) -> tuple[float, dict[str, float], dict[str, float]]:
    """The rule weight with the best validation macro-F1 (ties: less weight), with
    its per-label thresholds, and the macro-F1 of every weight tried."""
    table: dict[str, float] = {}
    best: tuple[float, float, dict[str, float]] | None = None
    truth_sets = [{label for label, on in zip(LABELS, row, strict=True) if on} for row in truth]
    for weight in RULE_WEIGHTS:
        scores = (1 - weight) * head_scores + weight * rule_scores
        thresholds = best_thresholds(LABELS, scores, truth)
        macro = report(LABELS, truth_sets, predicted_sets(scores, thresholds)).macro_f1
        table[f"{weight:.1f}"] = round(macro, 4)
        if best is None or macro > best[1] + 1e-9:
            best = (weight, macro, thresholds)
    assert best is not None
    return best[0], best[2], table


def baselines(
    splits: dict[str, list[Example]], real_test: list[Example], rules: RuleClassifier
) -> dict[str, Any]:
    """The watchlist rules alone, and TF-IDF + logistic regression, on the same splits."""
    results: dict[str, Any] = {"rules": {}, "tfidf_logreg": {}}
    vectorizer = TfidfVectorizer(
        analyzer="char_wb", ngram_range=(2, 5), min_df=2, sublinear_tf=True
    )
    train_texts = [model_text(e.text) for e in splits["train"]]
    train_x = vectorizer.fit_transform(train_texts)
    train_y = label_matrix(splits["train"])
    units = [
        LogisticRegression(C=4.0, class_weight="balanced", max_iter=2000).fit(
            train_x, train_y[:, j]
        )
        for j in range(len(LABELS))
    ]

    def tfidf_scores(items: Sequence[Example]) -> np.ndarray:
        features = vectorizer.transform([model_text(e.text) for e in items])
        return np.column_stack([unit.predict_proba(features)[:, 1] for unit in units])

    val_scores = tfidf_scores(splits["validation"])
    val_y = label_matrix(splits["validation"])
    tfidf_thresholds = best_thresholds(LABELS, val_scores, val_y)
    for name, items in (("test", splits["test"]), ("test_real", real_test)):
        if not items:
            continue
        truth = [e.labels for e in items]
        langs = [e.lang for e in items]
        rule_sets = [set(p.labels) for p in rules.predict([e.text for e in items])]
        results["rules"][name] = report(LABELS, truth, rule_sets, langs).to_dict()
        tfidf_sets = predicted_sets(tfidf_scores(items), tfidf_thresholds)
        results["tfidf_logreg"][name] = report(LABELS, truth, tfidf_sets, langs).to_dict()
    return results
