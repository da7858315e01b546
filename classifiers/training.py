"""Train a model version: fit candidate heads on the train split (a linear head
on the frozen encoder; LoRA adapters plus a head fine-tuned with the encoder),
calibrate each and set its thresholds on validation, decide by measurement how
much the watchlist rules add, keep the candidate with the better validation
macro-F1, and report on the test splits beside two baselines (the rules alone;
TF-IDF + logistic regression). The losing candidate's numbers stay in the notes.
"""

from __future__ import annotations

import hashlib
import json
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from armswatch import LABELS
from classifiers.card import write_card
from classifiers.dataset import Example, label_matrix, read_examples, score_matrix
from classifiers.encoder import Encoder
from classifiers.finetune import DEFAULT_SETTINGS, FineTuneSettings, fine_tune
from classifiers.head import (
    LinearHead,
    best_threshold,
    best_thresholds,
    calibrate,
    f1_at,
    train_head,
)
from classifiers.metrics import report
from classifiers.model import ModelArtifact, ModelInfo
from classifiers.rules import RuleClassifier
from classifiers.transformer import blend, model_text

DATA_DIR = Path(__file__).resolve().parent / "data"
DEFAULT_DATA = DATA_DIR / "listings.jsonl"
REAL_TEST = DATA_DIR / "test_real.jsonl"
RULE_WEIGHTS = tuple(round(0.1 * i, 1) for i in range(11))
"""Weights of the rules in a label's final score tried on validation: 0 (rules only
explain) to 1."""
Progress = Callable[[str, int, int], None]
"""(stage, done, total)"""


def data_sha256(paths: Sequence[Path], reviewed: Sequence[Example] = ()) -> str:
    """What the model was trained on: the data files, and the reviews when there are any."""
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.read_bytes())
    for example in reviewed:
        record = [example.text.title, example.text.text, sorted(example.labels), example.lang]
        digest.update(json.dumps(record, ensure_ascii=False).encode())
    return digest.hexdigest()


def predicted_sets(scores: np.ndarray, thresholds: dict[str, float]) -> list[set[str]]:
    cut = np.array([thresholds[label] for label in LABELS])
    return [{label for label, on in zip(LABELS, row >= cut, strict=True) if on} for row in scores]


HEADS = ("linear", "lora")
"""'linear': logistic units on the frozen encoder; 'lora': adapters + head fine-tuned."""


@dataclass
class Candidate:
    """One trained head, measured: the shipped model is the better on validation."""

    kind: str
    head: LinearHead
    rule_weights: dict[str, float]
    rule_weight_search: dict[str, dict[str, float]]
    metrics: dict[str, Any]
    adapters: dict[str, torch.Tensor] | None = None
    seconds: float = 0.0

    def summary(self, fine_tuning: FineTuneSettings) -> dict[str, Any]:
        return {
            "head": HEAD_DESCRIPTIONS[self.kind].format(**fine_tuning.to_dict()),
            "rule_weights": self.rule_weights,
            "rule_weight_search": self.rule_weight_search,
            "training_seconds": round(self.seconds),
            "metrics": self.metrics,
        }


class TrainingDataError(ValueError):
    """The labeled data cannot train a model: unreadable, or a split or a label missing."""


def _check_trainable(splits: dict[str, list[Example]], names: str) -> None:
    """Train and validation listings are needed, and every label needs train listings
    with and without it: no head learns a label from one side alone."""
    for split in ("train", "validation"):
        if not splits[split]:
            raise TrainingDataError(f"{names}: records with split '{split}' are needed")
    truth = label_matrix(splits["train"])
    for label, positives in zip(LABELS, truth.sum(axis=0), strict=True):
        if positives in (0, len(truth)):
            raise TrainingDataError(
                f"{names}: the train split needs listings with and without '{label}' "
                f"({positives} of {len(truth)} have it); add labeled listings"
            )


HEAD_DESCRIPTIONS = {
    "linear": "linear (logistic per label) on frozen mean-pooled embeddings, Platt-calibrated",
    "lora": "LoRA adapters (rank {rank}) on every Linear layer of the encoder from its "
    "layer {from_layer} up plus a linear head, fine-tuned for {epochs} epochs with the "
    "embeddings and the layers below frozen, Platt-calibrated",
}


def train(
    version: str,
    out_dir: Path,
    rules: RuleClassifier,
    encoder: Encoder,
    encoder_location: str | None = None,
    data: Sequence[Path] = (DEFAULT_DATA,),
    real_test_data: Path | None = REAL_TEST,
    seed: int = 13,
    reviewed: Sequence[Example] = (),
    heads: Sequence[str] = HEADS,
    fine_tuning: FineTuneSettings = DEFAULT_SETTINGS,
    progress: Progress | None = None,
) -> ModelArtifact:
    """Train each of `heads`, measure them, and save the best on validation under `out_dir`.

    `data`: labeled listings with train/validation/test splits; `real_test_data`:
    a test set of real listings only, reported separately; `reviewed`: analysts'
    reviews, added to the train split. The encoder is adapted in place when
    'lora' is trained.
    """
    if not heads or set(heads) - set(HEADS):
        raise ValueError(f"heads must be among {', '.join(HEADS)}, got {', '.join(heads)}")
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    encoder_name = encoder.name  # before fine-tuning adapts it
    names = ", ".join(str(path) for path in data)
    try:
        examples = [e for path in data for e in read_examples(path)]
        real_test = read_examples(real_test_data) if real_test_data else []
    except (ValueError, KeyError) as exc:
        raise TrainingDataError(f"{names} is not labeled JSON Lines: {exc}") from exc
    splits = {
        name: [e for e in examples if e.split == name] for name in ("train", "validation", "test")
    }
    splits["train"] += reviewed
    _check_trainable(splits, names)
    measured = {"validation": splits["validation"], "test": splits["test"], "test_real": real_test}
    measured = {name: items for name, items in measured.items() if items}
    named = {**splits, **measured}
    y = {name: label_matrix(items) for name, items in named.items()}
    rule = {name: _rule_scores(rules, items) for name, items in measured.items()}

    def embed(names: Sequence[str]) -> dict[str, np.ndarray]:
        out = {}
        for name in names:
            items = named[name]
            done = 0

            def step(count: int, name: str = name, total: int = len(items)) -> None:
                nonlocal done
                done += count
                if progress:
                    progress(f"embedding {name}", done, total)

            out[name] = encoder.embed([model_text(e.text) for e in items], progress=step)
        return out

    def measure(kind: str, head: LinearHead, x: dict[str, np.ndarray]) -> Candidate:
        weights, thresholds, table = choose_rule_weights(
            head.probabilities(x["validation"]), rule["validation"], y["validation"]
        )
        head.thresholds = thresholds
        vector = np.array([weights[label] for label in LABELS])
        metrics = {}
        for name, items in measured.items():
            scores = blend(head.probabilities(x[name]), rule[name], vector)
            truth = [e.labels for e in items]
            predicted = predicted_sets(scores, thresholds)
            metrics[name] = report(LABELS, truth, predicted, [e.lang for e in items]).to_dict()
        return Candidate(kind, head, weights, table, metrics)

    candidates: list[Candidate] = []
    if "linear" in heads:  # first: it needs the encoder before fine-tuning changes it
        started = time.monotonic()
        x = embed(["train", *measured])
        head = train_head(
            LABELS, x["train"], y["train"], x["validation"], y["validation"], seed=seed
        )
        candidates.append(measure("linear", head, x))
        candidates[-1].seconds = time.monotonic() - started
    if "lora" in heads:
        started = time.monotonic()
        head, adapters = fine_tune(
            encoder,
            [model_text(e.text) for e in splits["train"]],
            y["train"],
            LABELS,
            fine_tuning,
            seed=seed,
            progress=(lambda done, total: progress("fine-tuning", done, total))
            if progress
            else None,
        )
        x = embed(list(measured))
        calibrate(head, x["validation"], y["validation"])
        candidates.append(measure("lora", head, x))
        candidates[-1].adapters = adapters
        candidates[-1].seconds = time.monotonic() - started
    best = max(candidates, key=lambda c: c.metrics["validation"]["macro_f1"])
    descriptions = {c.kind: c.summary(fine_tuning) for c in candidates}
    notes: dict[str, Any] = {
        "head_kind": best.kind,
        "head": descriptions[best.kind]["head"],
        "rule_weights": best.rule_weights,
        "rule_weight_search": best.rule_weight_search,
        "candidates": descriptions,
        "chosen_by": "validation macro-F1",
        "baselines": baselines(splits, real_test, rules),
        "reviewed_examples": len(reviewed),
    }
    if best.kind == "lora":
        notes["fine_tuning"] = fine_tuning.to_dict()
    info = ModelInfo(
        version=version,
        encoder=encoder_name,
        encoder_location=encoder_location,
        labels=list(LABELS),
        training_data_sha256=data_sha256(data, reviewed),
        seed=seed,
        metrics=best.metrics,
        notes=notes,
    )
    artifact = ModelArtifact(directory=out_dir, info=info, head=best.head, adapters=best.adapters)
    artifact.save()
    write_card(artifact)
    return artifact


def _rule_scores(rules: RuleClassifier, items: Sequence[Example]) -> np.ndarray:
    return score_matrix(rules.predict([e.text for e in items]))


def choose_rule_weights(
    head_scores: np.ndarray, rule_scores: np.ndarray, truth: np.ndarray
) -> tuple[dict[str, float], dict[str, float], dict[str, dict[str, float]]]:
    """Per label, the rule weight with the best validation F1 (ties: less weight)
    and its threshold, and the F1 of every weight tried.

    Per label because the rules are not equally good at every label: their
    terms name ammunition and file types well, spare parts beside a gun poorly.
    """
    weights: dict[str, float] = {}
    thresholds: dict[str, float] = {}
    table: dict[str, dict[str, float]] = {}
    for j, label in enumerate(LABELS):
        table[label] = {}
        best_f1 = -1.0
        for weight in RULE_WEIGHTS:
            scores = blend(head_scores[:, j], rule_scores[:, j], weight)
            threshold = best_threshold(scores, truth[:, j])
            f1 = f1_at(scores, truth[:, j], threshold)
            table[label][f"{weight:.1f}"] = round(f1, 4)
            if f1 > best_f1 + 1e-9:
                best_f1, weights[label], thresholds[label] = f1, weight, threshold
    return weights, thresholds, table


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
