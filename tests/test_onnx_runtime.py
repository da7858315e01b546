"""`classifier.runtime: onnx`: the shipped model's encoder exported to ONNX Runtime
gives torch's scores, labels and explanations; the export is cached, keyed by
the weights, checked, and made again when damaged."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import onnx
import pytest
import yaml
from safetensors.torch import load_file, save_file

from armswatch.config import ConfigError, load_config
from armswatch.config.loader import CLASSIFIER_ENV
from classifiers import load_classifier
from classifiers.adapters import ADAPTERS_FILE
from classifiers.base import ListingText
from classifiers.encoder import Encoder
from classifiers.model import DEFAULT_MODEL, SHIPPED_MODELS
from classifiers.onnx_runtime import (
    EXPORTS_DIR,
    MANIFEST,
    MIN_INT8_COSINE,
    ONNX_FILE,
    TOLERANCE,
    OnnxExportError,
    OnnxRuntime,
    ensure_export,
    export_key,
    is_current,
)
from classifiers.transformer import TransformerClassifier, model_text
from tests.conftest import CONFIGURED_CLASSIFIER, REPO, run_cli

LISTINGS = [
    ListingText("Glock 19 Gen5 for sale", "no papers, cash or BTC, two mags"),
    ListingText("Verkaufe Walther P99", "ohne Papiere, Versand möglich"),
    ListingText("AR-15 lower receiver, unserialized", "new in box"),
    ListingText("Glock switch 3 pcs", "metal, ships from EU"),
    ListingText("1000 cartuchos 9mm Luger", "envío discreto"),
    ListingText("Продам патроны 7.62x39", "500 шт, самовывоз"),
    ListingText("FGC-9 MKII files", "STL and STEP pack, link after payment"),
    ListingText("Airsoft M4 AEG with 3 mags", "6mm BBs included"),
    ListingText("Heißklebepistole 60W", "für Bastler, neu"),
    ListingText("Creality Ender 3 V2 3D printer", "with two rolls of PLA"),
    ListingText("", "Leather holster for Glock 19, right hand"),
    ListingText("手枪零件", "私信联系"),
]
"""Listing-level text, threats and hard negatives in several languages."""
WATCHLIST = REPO / "config" / "watchlist.yaml"


def config_dir(directory: Path, **classifier: object) -> Path:
    """A config directory with the transformer classifier set as given."""
    directory.mkdir(parents=True, exist_ok=True)
    settings = {"classifier": {"kind": "transformer", "watchlist": str(WATCHLIST), **classifier}}
    (directory / "armswatch.yaml").write_text(yaml.safe_dump(settings), encoding="utf-8")
    return directory


def configured(directory: Path) -> TransformerClassifier:
    """What `armswatch` loads from `directory` (the session's rules override lifted)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv(CLASSIFIER_ENV)
        classifier = load_classifier(load_config(directory))
    assert isinstance(classifier, TransformerClassifier)
    return classifier


@pytest.fixture(scope="module")
def configs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("configs")
    return {runtime: config_dir(root / runtime, runtime=runtime) for runtime in ("torch", "onnx")}


@pytest.fixture(scope="module")
def torch_classifier(configs: dict[str, Path], checkpoint: Path) -> TransformerClassifier:
    return configured(configs["torch"])


@pytest.fixture(scope="module")
def onnx_classifier(configs: dict[str, Path], checkpoint: Path) -> TransformerClassifier:
    """Exported on first use into the session's model cache."""
    return configured(configs["onnx"])


@pytest.fixture
def export_dir(onnx_classifier: TransformerClassifier) -> Path:
    runtime = onnx_classifier.encoder.runtime
    assert isinstance(runtime, OnnxRuntime)
    return runtime.path.parent


def test_onnx_gives_torch_scores_labels_and_explanations(
    torch_classifier: TransformerClassifier, onnx_classifier: TransformerClassifier
) -> None:
    assert torch_classifier.encoder.runtime is None
    assert isinstance(onnx_classifier.encoder.runtime, OnnxRuntime)
    assert onnx_classifier.encoder.name == torch_classifier.encoder.name  # the same weights
    expected, found = torch_classifier.predict(LISTINGS), onnx_classifier.predict(LISTINGS)
    for a, b in zip(expected, found, strict=True):
        assert a.scores.keys() == b.scores.keys()
        assert all(abs(a.scores[label] - b.scores[label]) <= 2e-4 for label in a.scores)
        assert a.labels == b.labels
        assert a.explanations == b.explanations
    assert {label for p in found for label in p.labels} == set(onnx_classifier.labels)
    assert any(not p.labels for p in found)  # hard negatives stay benign, as with torch
    texts = [model_text(listing) for listing in LISTINGS]
    embeddings = onnx_classifier.encoder.embed(texts, batch_size=5)
    assert np.abs(embeddings - torch_classifier.encoder.embed(texts)).max() < 1e-5


def test_export_is_checked_and_recorded(export_dir: Path, cache_dir: Path) -> None:
    assert export_dir.parent == cache_dir / EXPORTS_DIR
    assert is_current(export_dir)
    manifest = json.loads((export_dir / MANIFEST).read_text())
    assert manifest["max_difference"] <= TOLERANCE and manifest["min_cosine"] > 0.9999
    assert manifest["int8"] is False
    assert manifest["encoder"].endswith(f"+{DEFAULT_MODEL}")  # adapters merged
    assert not [p for p in export_dir.parent.iterdir() if p.name.startswith(".")]  # no leftovers


def test_the_key_is_the_weights_with_the_adapters_merged(
    torch_classifier: TransformerClassifier, export_dir: Path, encoder: Encoder
) -> None:
    assert export_dir.name == export_key(torch_classifier.encoder.model)
    assert export_key(encoder.model) != export_dir.name  # the encoder without the adapters


def test_cli_with_runtime_onnx_gives_the_torch_output_and_reuses_the_export(
    configs: dict[str, Path], export_dir: Path, tmp_path: Path
) -> None:
    exported = (export_dir / ONNX_FILE).stat()
    exports = sorted(p.name for p in export_dir.parent.iterdir())
    lines = [
        {"id": i, "title": listing.title, "text": listing.text}
        for i, listing in enumerate(LISTINGS)
    ]
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    rows = {}
    for runtime, directory in configs.items():
        out = tmp_path / f"{runtime}.jsonl"
        result = run_cli(
            "--config", directory, "classify", source, "-o", out, env=CONFIGURED_CLASSIFIER
        )
        assert result.returncode == 0, result.stderr
        rows[runtime] = [json.loads(line) for line in out.read_text().splitlines()]
    assert [row["id"] for row in rows["onnx"]] == list(range(len(LISTINGS)))
    for a, b in zip(rows["torch"], rows["onnx"], strict=True):
        assert {k: v for k, v in a.items() if k not in ("scores", "threat_score")} == {
            k: v for k, v in b.items() if k not in ("scores", "threat_score")
        }
        assert all(abs(a["scores"][k] - b["scores"][k]) <= 2e-4 for k in a["scores"])
    # The child process found the export current and used it as it was.
    assert sorted(p.name for p in export_dir.parent.iterdir()) == exports
    now = (export_dir / ONNX_FILE).stat()
    assert (now.st_ino, now.st_mtime_ns) == (exported.st_ino, exported.st_mtime_ns)


@pytest.fixture
def changed_model(tmp_path: Path) -> Path:
    """The shipped model with every adapter update doubled: another model version."""
    directory = tmp_path / "changed"
    shutil.copytree(SHIPPED_MODELS / DEFAULT_MODEL, directory)
    adapters = load_file(directory / ADAPTERS_FILE)
    doubled = {k: v * 2 if k.endswith(".lora_b") else v for k, v in adapters.items()}
    save_file(doubled, directory / ADAPTERS_FILE)
    return directory


def test_changed_adapters_get_an_export_of_their_own(
    changed_model: Path, onnx_classifier: TransformerClassifier, export_dir: Path
) -> None:
    changed = TransformerClassifier.load(changed_model, runtime="onnx")
    runtime = changed.encoder.runtime
    assert isinstance(runtime, OnnxRuntime)
    assert runtime.path.parent != export_dir and is_current(export_dir)
    assert runtime.path.parent.parent == export_dir.parent
    manifest = json.loads((runtime.path.parent / MANIFEST).read_text())
    assert manifest["max_difference"] <= TOLERANCE  # checked against the changed torch model
    texts = [model_text(listing) for listing in LISTINGS]
    assert not np.allclose(
        changed.encoder.embed(texts), onnx_classifier.encoder.embed(texts), atol=1e-3
    )


def test_damaged_export_is_detected_and_exported_again(
    torch_classifier: TransformerClassifier,
    export_dir: Path,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    copy = tmp_path / EXPORTS_DIR / export_dir.name
    shutil.copytree(export_dir, copy)
    with (copy / ONNX_FILE).open("r+b") as f:
        f.seek(10_000_000)
        f.write(b"\x00" * 4096)
    assert not is_current(copy)
    damaged = (copy / ONNX_FILE).stat().st_ino
    path = ensure_export(torch_classifier.encoder, tmp_path)
    assert path == copy / ONNX_FILE and is_current(copy)
    assert path.stat().st_ino != damaged
    assert "damaged: exporting it again" in caplog.text
    hidden = OnnxRuntime(path)(*torch_classifier.encoder.pad([[0, 1000, 2000, 2]]))
    assert hidden.shape == (1, 4, torch_classifier.encoder.dim)


def test_export_that_disagrees_with_torch_is_refused(
    torch_classifier: TransformerClassifier, tmp_path: Path
) -> None:
    """No two runtimes compute a transformer bit for bit: a tolerance of 0 fails."""
    with pytest.raises(OnnxExportError) as refused:
        ensure_export(torch_classifier.encoder, tmp_path, tolerance=0.0)
    message = str(refused.value)
    assert "away from torch's (allowed: 0)" in message
    assert "classifier.runtime: torch" in message
    assert list((tmp_path / EXPORTS_DIR).iterdir()) == []  # nothing half-made is left


@pytest.fixture
def int8_classifier(export_dir: Path) -> TransformerClassifier:
    """Quantized from the fp32 export made for `export_dir`."""
    return TransformerClassifier.load(runtime="onnx-int8")


def test_onnx_int8_is_quantized_from_the_export_and_stays_close(
    int8_classifier: TransformerClassifier,
    torch_classifier: TransformerClassifier,
    export_dir: Path,
) -> None:
    runtime = int8_classifier.encoder.runtime
    assert isinstance(runtime, OnnxRuntime)
    assert runtime.path.parent.name == f"{export_dir.name}-int8"
    graph = onnx.load(runtime.path).graph
    assert {"MatMulInteger", "DynamicQuantizeMatMul"} & {node.op_type for node in graph.node}
    weights = {tensor.name: tensor.data_type for tensor in graph.initializer}
    assert onnx.TensorProto.INT8 in weights.values()  # the matrix products' weights
    looked_up = [weights.get(node.input[0]) for node in graph.node if node.op_type == "Gather"]
    assert onnx.TensorProto.FLOAT in looked_up  # the embedding table stays fp32
    assert runtime.path.stat().st_size < (export_dir / ONNX_FILE).stat().st_size
    assert int8_classifier.encoder.name == f"{torch_classifier.encoder.name}+onnx-int8"
    assert json.loads((runtime.path.parent / MANIFEST).read_text())["int8"] is True
    texts = [model_text(listing) for listing in LISTINGS]
    a = int8_classifier.encoder.embed(texts)
    b = torch_classifier.encoder.embed(texts)
    assert (a * b).sum(axis=1).min() >= MIN_INT8_COSINE
    assert not np.allclose(a, b, atol=1e-4)  # int8 indeed


@pytest.mark.parametrize(
    ("classifier", "expected"),
    [
        ({"runtime": "onnx", "quantize": True}, "quantize is torch's int8"),
        ({"runtime": "tensorrt"}, "'torch', 'onnx' or 'onnx-int8'"),
    ],
)
def test_runtime_settings_are_validated(
    tmp_path: Path, classifier: dict[str, object], expected: str
) -> None:
    with pytest.raises(ConfigError) as error:
        load_config(config_dir(tmp_path, **classifier))
    assert expected in str(error.value)
