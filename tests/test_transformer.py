"""The transformer classifier with the real encoder: train on a small fixed slice
of the shipped data, save, load, classify, evaluate, and crawl with it."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
import yaml

from armswatch import LABELS
from classifiers.adapters import layer_of
from classifiers.base import ListingText
from classifiers.encoder import Encoder
from classifiers.finetune import FineTuneSettings
from classifiers.model import ModelArtifact
from classifiers.rules import RuleClassifier
from classifiers.training import DEFAULT_DATA, HEADS, train
from classifiers.transformer import TransformerClassifier, model_text
from tests.conftest import (
    CONFIGURED_CLASSIFIER,
    DEMO_CONFIG,
    REPO,
    audit_events,
    crawl,
    expected_ids,
    open_store,
    run_cli,
)

SLICE = {"train": 300, "validation": 120, "test": 80}
WATCHLIST = REPO / "config" / "watchlist.yaml"
LOWEST_ADAPTED = 6
"""The fine-tuned test model adapts e5-small's layers 6 to 11 (faster than all 12)."""


@pytest.fixture(scope="module")
def small_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The first records of each split of the shipped data (deterministic)."""
    taken = dict.fromkeys(SLICE, 0)
    lines = []
    for line in DEFAULT_DATA.read_text(encoding="utf-8").splitlines():
        split = json.loads(line)["split"]
        if taken[split] < SLICE[split]:
            taken[split] += 1
            lines.append(line)
    path = tmp_path_factory.mktemp("data") / "small.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def read_records(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def write_records(path: Path, records: Sequence[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def adapted_layers(artifact: ModelArtifact) -> set[int | None]:
    """The encoder layers a fine-tuned model has adapters for."""
    assert artifact.adapters is not None
    return {layer_of(key) for key in artifact.adapters}


def tiny_data(small_data: Path, path: Path) -> Path:
    """40 train and 40 validation listings of `small_data`, plus the first train
    listing of each label the 40 lack: about the least data training accepts."""
    records = read_records(small_data)
    train = [r for r in records if r["split"] == "train"]
    chosen = train[:40] + [r for r in records if r["split"] == "validation"][:40]
    for label in LABELS:
        if not any(label in r["labels"] for r in train[:40]):
            chosen.append(next(r for r in train if label in r["labels"]))
    return write_records(path, chosen)


def train_on(
    data: Path, out: Path, encoder: Encoder, heads: Sequence[str], **options: Any
) -> ModelArtifact:
    """`train` on `data` alone (no real-test set), with the shipped watchlist; one
    short epoch when fine-tuning. Fine-tuning adapts `encoder`: pass a fresh one."""
    rules = RuleClassifier.from_file(WATCHLIST, {})
    options.setdefault("fine_tuning", FineTuneSettings(epochs=1))
    return train(
        out.name, out, rules, encoder, data=[data], real_test_data=None, heads=heads, **options
    )


@pytest.fixture(scope="module")
def model_dir(
    encoder: Encoder, small_data: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Path]:
    """A linear head on the frozen encoder."""
    out = tmp_path_factory.mktemp("model") / "test-v1"
    train_on(small_data, out, encoder, ["linear"])
    yield out


@pytest.fixture(scope="module")
def compared_dir(
    checkpoint: Path, small_data: Path, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """Both candidates trained (one short epoch of fine-tuning), the better kept."""
    out = tmp_path_factory.mktemp("model") / "test-both"
    train_on(small_data, out, Encoder.load(checkpoint), HEADS)
    return out


@pytest.fixture(scope="module")
def lora_dir(checkpoint: Path, small_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("model") / "test-lora"
    settings = FineTuneSettings(epochs=1, from_layer=LOWEST_ADAPTED)
    train_on(small_data, out, Encoder.load(checkpoint), ["lora"], fine_tuning=settings)
    return out


def test_artifact_is_small_and_complete(model_dir: Path) -> None:
    artifact = ModelArtifact.load(model_dir)
    assert artifact.info.version == "test-v1"
    assert artifact.info.labels == list(LABELS)
    assert artifact.info.encoder.startswith("multilingual-e5-small-q4@")
    assert len(artifact.info.training_data_sha256) == 64
    assert set(artifact.info.metrics) == {"validation", "test"}
    assert set(artifact.info.notes["baselines"]) == {"rules", "tfidf_logreg"}
    weights = artifact.info.notes["rule_weights"]
    assert set(weights) == set(LABELS) and all(0.0 <= w <= 1.0 for w in weights.values())
    assert set(artifact.head.thresholds) == set(LABELS)
    assert sum(f.stat().st_size for f in model_dir.iterdir()) < 100_000
    card = (model_dir / "MODEL_CARD.md").read_text(encoding="utf-8")
    test_f1 = artifact.info.metrics["test"]["macro_f1"]
    assert "# Model card: test-v1" in card and f"| {test_f1:.3f} |" in card
    assert "### Baselines on the same splits" in card and "### Targets" in card


def test_save_load_round_trip_gives_identical_scores(
    model_dir: Path, encoder: Encoder, small_data: Path
) -> None:
    rules = RuleClassifier.from_file(WATCHLIST, {})
    texts = [
        ListingText("Glock 19 Gen5 for sale", "no papers, cash only"),
        ListingText("FGC-9 MKII files + guide", "STL and STEP pack"),
        ListingText("Heißklebepistole 60W", "für Bastler, neu"),
        ListingText("500 патронов 7.62x39", "самовывоз"),
    ]
    first = TransformerClassifier(ModelArtifact.load(model_dir), encoder, rules)
    copy = model_dir.parent / "copy"
    shutil.copytree(model_dir, copy)
    second = TransformerClassifier(ModelArtifact.load(copy), encoder, rules)
    a, b = first.predict(texts), second.predict(texts)
    assert [p.scores for p in a] == [p.scores for p in b]
    assert [p.labels for p in a] == [p.labels for p in b]
    for prediction in a:
        assert set(prediction.scores) == set(LABELS)
        assert prediction.threat_score == max(prediction.scores.values())
    assert first.version == "test-v1+" + rules.version
    # Scores differ between listings: the head is not a constant.
    assert np.ptp([p.threat_score for p in a]) > 0.3


def test_both_heads_are_measured_and_the_better_on_validation_is_kept(
    compared_dir: Path,
) -> None:
    artifact = ModelArtifact.load(compared_dir)
    notes = artifact.info.notes
    candidates = notes["candidates"]
    assert set(candidates) == {"linear", "lora"}
    validation = {kind: c["metrics"]["validation"]["macro_f1"] for kind, c in candidates.items()}
    assert notes["head_kind"] == max(validation, key=validation.__getitem__)
    assert artifact.info.metrics == candidates[notes["head_kind"]]["metrics"]
    for candidate in candidates.values():  # the loser's numbers are kept too
        assert set(candidate["metrics"]) == {"validation", "test"}
        assert candidate["training_seconds"] >= 0
    assert (artifact.adapters is not None) == (notes["head_kind"] == "lora")
    description = candidates["lora"]["head"]
    assert "rank 8" in description and "1 epochs" in description
    assert "from its layer 0 up" in description


def test_fine_tuned_model_round_trip(lora_dir: Path, checkpoint: Path, encoder: Encoder) -> None:
    artifact = ModelArtifact.load(lora_dir)
    assert artifact.info.notes["head_kind"] == "lora"
    assert artifact.adapters is not None and (lora_dir / "adapters.safetensors").is_file()
    # The bottom layers stay frozen: adapters only from the chosen layer up.
    assert adapted_layers(artifact) == set(range(LOWEST_ADAPTED, 12))
    size = sum(f.stat().st_size for f in lora_dir.iterdir())
    assert 1_000_000 < size < 20_000_000  # adapters, no encoder weights
    rules = RuleClassifier.from_file(WATCHLIST, {})
    texts = [
        ListingText("Glock switch, 3 pcs", "metal, ships fast"),
        ListingText("Nerf blaster with darts", "kids' toy"),
        ListingText("Liberator STL", "files only"),
    ]
    first = TransformerClassifier.load(lora_dir, encoder=str(checkpoint), rules=rules)
    second = TransformerClassifier.load(lora_dir, encoder=str(checkpoint), rules=rules)
    a, b = first.predict(texts), second.predict(texts)
    assert [p.scores for p in a] == [p.scores for p in b]
    assert first.encoder.name.endswith("+test-lora")
    # The adapters change what the encoder computes: loaded without them it differs.
    adapted = first.encoder.embed([model_text(t) for t in texts])
    frozen = encoder.embed([model_text(t) for t in texts])
    assert not np.allclose(adapted, frozen, atol=1e-4)
    assert np.allclose(adapted, second.encoder.embed([model_text(t) for t in texts]), atol=1e-6)


def test_training_is_reproducible(checkpoint: Path, small_data: Path, tmp_path: Path) -> None:
    """Same data, same seed: the same adapters, head and thresholds (fixed seeds, CPU)."""
    tiny = tiny_data(small_data, tmp_path / "tiny.jsonl")
    first, second = (
        train_on(tiny, tmp_path / f"run{run}", Encoder.load(checkpoint), ["lora"]) for run in (1, 2)
    )
    assert first.adapters is not None and second.adapters is not None
    assert first.adapters.keys() == second.adapters.keys()
    assert all(torch.equal(first.adapters[k], second.adapters[k]) for k in first.adapters)
    assert np.array_equal(first.head.weights, second.head.weights)
    assert first.head.thresholds == second.head.thresholds
    assert first.info.training_data_sha256 == second.info.training_data_sha256


def test_train_command_fine_tunes_the_chosen_layers(small_data: Path, tmp_path: Path) -> None:
    """`armswatch train --head lora --adapt-from-layer N`: adapters on layers N and up."""
    tiny = tiny_data(small_data, tmp_path / "tiny.jsonl")
    out = tmp_path / "cli-lora"
    args = ("--head", "lora", "--epochs", "1", "--adapt-from-layer", "10", "--version", "cli")
    result = run_cli("train", "--data", tiny, "--out", out, *args)
    assert result.returncode == 0, result.stderr
    artifact = ModelArtifact.load(out)
    assert adapted_layers(artifact) == {10, 11}
    assert "from its layer 10 up" in artifact.info.notes["candidates"]["lora"]["head"]

    beyond = run_cli("train", "--data", tiny, "--head", "lora", "--adapt-from-layer", "12")
    assert beyond.returncode == 2 and "the encoder has layers 0 to 11" in beyond.stderr

    kept = [
        r for r in read_records(tiny) if r["split"] != "train" or "blueprints" not in r["labels"]
    ]
    few = write_records(tmp_path / "few.jsonl", kept)  # the train split without 'blueprints'
    unusable = run_cli("train", "--data", few, "--head", "linear")
    assert unusable.returncode == 5, unusable.stderr
    assert "train split needs listings with and without 'blueprints'" in unusable.stderr


def test_explanations_name_words_of_the_listing(model_dir: Path, encoder: Encoder) -> None:
    classifier = TransformerClassifier(ModelArtifact.load(model_dir), encoder, None)
    listing = ListingText("Verkaufe Pistole mit Munition", "Glock 17, zwei Magazine")
    (prediction,) = classifier.predict([listing])
    words = {w for terms in prediction.explanations.values() for w in terms}
    assert words, prediction
    text = model_text(listing)
    assert all(word in text for word in words)  # quoted as written
    focus = prediction.labels or [max(prediction.scores, key=prediction.scores.__getitem__)]
    assert set(prediction.explanations) <= set(focus)  # no rules here: only the model's side


def transformer_config(tmp_path: Path, model_dir: Path, **crawl: object) -> Path:
    config = tmp_path / "config"
    shutil.copytree(DEMO_CONFIG, config)
    settings = yaml.safe_load((config / "armswatch.yaml").read_text())
    settings["classifier"] = {
        "kind": "transformer",
        "model": str(model_dir),
        "watchlist": str(WATCHLIST),
        "batch_size": 16,
    }
    settings["crawl"].update(crawl)
    (config / "armswatch.yaml").write_text(yaml.safe_dump(settings))
    return config


def test_classify_evaluate_and_info_commands(
    model_dir: Path, small_data: Path, tmp_path: Path, encoder: Encoder
) -> None:
    config = transformer_config(tmp_path, model_dir)
    lines = [
        {"id": i, "title": t, "text": ""}
        for i, t in enumerate(
            ["Glock 19 for sale, no papers", "Glue gun for crafts", "1000 CCI primers"]
        )
    ]
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    classified = run_cli("--config", config, "classify", source, env=CONFIGURED_CLASSIFIER)
    assert classified.returncode == 0, classified.stderr
    rows = [json.loads(line) for line in classified.stdout.splitlines()]
    assert [row["id"] for row in rows] == [0, 1, 2]

    out = tmp_path / "evaluation"
    evaluated = run_cli("evaluate", small_data, "--model", model_dir, "--out", out)
    assert evaluated.returncode == 0, evaluated.stderr
    report = json.loads((out / "report.json").read_text())
    assert report["count"] == sum(SLICE.values())
    assert set(report["labels"]) == set(LABELS) and 0 <= report["macro_f1"] <= 1
    assert set(report["confusion"]) == {*LABELS, "benign"}
    assert (out / "pr.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "macro-F1" in evaluated.stdout

    info = run_cli("model", "info", "--model", model_dir)
    assert info.returncode == 0, info.stderr
    assert "test-v1" in info.stdout and "multilingual-e5-small-q4@" in info.stdout

    missing = run_cli("model", "info", "--model", tmp_path / "nowhere")
    assert missing.returncode == 3 and "no model" in missing.stderr


def test_crawl_classifies_in_batches_with_the_transformer(
    model_dir: Path, fresh_sites, tmp_path: Path, encoder: Encoder
) -> None:
    config = transformer_config(tmp_path, model_dir)
    result = crawl(
        fresh_sites, tmp_path / "data", "demo-market", config=config, env=CONFIGURED_CLASSIFIER
    )
    assert result.returncode == 0, result.stderr
    stats = [
        e for e in audit_events(tmp_path / "data", "demo-market") if e["event"] == "crawl_finished"
    ][-1]["stats"]
    listings = len(expected_ids(fresh_sites, "demo-market"))
    assert stats["armswatch/classified"] == listings
    assert stats["armswatch/classifier_batches"] < listings  # batches, not one call each
    store = open_store(tmp_path / "data")
    for listing in store.get_many(expected_ids(fresh_sites, "demo-market")).values():
        assert listing.classifier_version and listing.classifier_version.startswith("test-v1+")


def test_a_model_that_cannot_be_loaded_is_a_clear_configuration_error(
    model_dir: Path, fresh_sites, tmp_path: Path
) -> None:
    damaged = tmp_path / "damaged"
    shutil.copytree(model_dir, damaged)
    (damaged / "model.json").write_text('{"version": ')  # cut short
    for model, why in ((tmp_path / "nowhere", "no model at"), (damaged, "cannot be loaded")):
        config = transformer_config(tmp_path / f"config-{model.name}", model)
        source = tmp_path / "in.jsonl"
        source.write_text('{"id": 1, "title": "Glock 19"}\n')
        classified = run_cli("--config", config, "classify", source, env=CONFIGURED_CLASSIFIER)
        assert classified.returncode == 2, classified.stderr
        assert why in classified.stderr and "classifier.kind: rules" in classified.stderr
        assert "Traceback" not in classified.stderr and classified.stdout == ""
        crawled = crawl(
            fresh_sites, tmp_path / "data", "demo-market", config=config, env=CONFIGURED_CLASSIFIER
        )
        assert crawled.returncode == 2 and why in crawled.stderr
        assert "Traceback" not in crawled.stderr
    # A missing model is found by `config check` already; a damaged one at first use.
    checked = run_cli(
        "--config",
        tmp_path / "config-nowhere" / "config",
        "config",
        "check",
        env=CONFIGURED_CLASSIFIER,
    )
    assert checked.returncode == 2 and "classifier.model: no model at" in checked.stderr
    assert not fresh_sites.requests("market")
