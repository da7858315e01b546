"""A trained model artifact: the head and its thresholds, the encoder adapters of
a fine-tuned model, the encoder it was trained with, the training data hash and
the metrics, in one small directory.

Artifacts are versioned directories (`classifiers/models/<version>/`); the
encoder weights are never part of them, only the encoder's name and location.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # torch and sklearn load in seconds: not for `config check`
    import torch

    from classifiers.head import LinearHead

MODEL_FILE = "model.json"
SHIPPED_MODELS = Path(__file__).resolve().parent / "models"
DEFAULT_MODEL = "e5-v3"


@dataclass
class ModelInfo:
    version: str
    encoder: str
    """The encoder's name (with its weights' hash) the head was trained on."""
    encoder_location: str | None
    """Where to load it from: None = the packaged e5, else a directory or hub id."""
    labels: list[str]
    training_data_sha256: str
    seed: int
    metrics: dict[str, Any] = field(default_factory=dict)
    """Reports by split name ('validation', 'test', 'test_real', ...)."""
    notes: dict[str, Any] = field(default_factory=dict)
    """Comparisons and choices made while training (baselines, the losing head)."""


@dataclass
class ModelArtifact:
    directory: Path
    info: ModelInfo
    head: LinearHead
    adapters: dict[str, torch.Tensor] | None = None
    """LoRA adapters of the encoder, for a fine-tuned model; None for a frozen encoder."""

    @classmethod
    def load(cls, directory: Path) -> ModelArtifact:
        from classifiers.adapters import load_adapters
        from classifiers.head import LinearHead

        path = directory / MODEL_FILE
        try:
            info = ModelInfo(**json.loads(path.read_text(encoding="utf-8")))
        except (ValueError, TypeError) as exc:  # not JSON, or not a model's description
            raise ValueError(
                f"{path} is damaged ({exc}): train the model again ('armswatch train') or "
                "restore its directory"
            ) from exc
        return cls(
            directory=directory,
            info=info,
            head=LinearHead.load(directory),
            adapters=load_adapters(directory),
        )

    def save(self) -> None:
        from classifiers.adapters import save_adapters

        self.directory.mkdir(parents=True, exist_ok=True)
        self.head.save(self.directory)
        if self.adapters is not None:
            save_adapters(self.adapters, self.directory)
        text = json.dumps(asdict(self.info), indent=2, ensure_ascii=False) + "\n"
        (self.directory / MODEL_FILE).write_text(text, encoding="utf-8")


def resolve_model_dir(location: str | Path | None) -> Path:
    """A model directory: the shipped default, a shipped version by name, or a path."""
    if location is None:
        return SHIPPED_MODELS / DEFAULT_MODEL
    path = Path(location)
    if path.is_dir():
        return path
    shipped = SHIPPED_MODELS / str(location)
    if shipped.is_dir():
        return shipped
    known = ", ".join(sorted(p.name for p in SHIPPED_MODELS.glob("*") if p.is_dir())) or "none"
    raise FileNotFoundError(
        f"no model at {location!r}: give a model directory written by 'armswatch train' "
        f"or a shipped version ({known})"
    )
