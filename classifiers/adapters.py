"""LoRA adapters: the fine-tuned part of a model, small enough to commit.

Fine-tuning learns a low-rank update `B @ A * alpha / rank` for the encoder's
Linear layers while every encoder weight, the 250k-token embedding matrix
included, stays frozen. The artifact then holds only the updates (about 0.7 M
numbers for e5-small), and at inference they are added into the weights once,
so the adapted encoder is a plain `transformers` model again: as fast as the
original, and quantizable the same way.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

ADAPTERS_FILE = "adapters.safetensors"
TARGETS = (
    "attention.self.query",
    "attention.self.key",
    "attention.self.value",
    "attention.output.dense",
    "intermediate.dense",
    "output.dense",
)
"""Every Linear layer of a BERT block (attention and feed-forward)."""
_LAYER = re.compile(r"(?:^|\.)layer\.(\d+)\.")


def layer_of(name: str) -> int | None:
    """The BERT block a module or adapter name is in (`encoder.layer.3.attention.self.query`
    is in 3), or None outside the blocks."""
    match = _LAYER.search(name)
    return int(match[1]) if match else None


class LoraLinear(torch.nn.Module):
    """A frozen Linear layer plus a trainable low-rank update."""

    def __init__(self, base: torch.nn.Linear, rank: int, alpha: float, dropout: float) -> None:
        super().__init__()
        self.base = base
        self.scale = alpha / rank
        # A starts random and B at zero: training starts from the unchanged encoder.
        self.lora_a = torch.nn.Parameter(
            torch.randn(rank, base.in_features) / math.sqrt(base.in_features)
        )
        self.lora_b = torch.nn.Parameter(torch.zeros(base.out_features, rank))
        self.dropout = torch.nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        update = self.dropout(x) @ self.lora_a.T @ self.lora_b.T
        return self.base(x) + update * self.scale

    def delta(self) -> torch.Tensor:
        """The update to add to `base.weight`."""
        return (self.lora_b @ self.lora_a) * self.scale


def add_lora(
    model: torch.nn.Module,
    *,
    rank: int = 8,
    alpha: float = 16.0,
    dropout: float = 0.1,
    from_layer: int = 0,
) -> dict[str, LoraLinear]:
    """Freeze all of `model` and wrap the `TARGETS` of its encoder layers `from_layer` up.

    Layers below `from_layer` stay as the encoder ships them, so training needs no
    backward pass through them. Returns the wrappers by module name; only their
    `lora_a`/`lora_b` train.
    """
    for parameter in model.parameters():
        parameter.requires_grad = False
    wrapped: dict[str, LoraLinear] = {}
    for name, module in list(model.named_modules()):
        layer = layer_of(name)
        if (
            isinstance(module, torch.nn.Linear)
            and name.endswith(TARGETS)
            and layer is not None
            and layer >= from_layer
        ):
            wrapper = LoraLinear(module, rank, alpha, dropout)
            _replace(model, name, wrapper)
            wrapped[name] = wrapper
    if not wrapped:
        raise ValueError(
            f"the encoder has no BERT-style Linear layers to adapt from layer {from_layer} up"
        )
    return wrapped


def merge_lora(model: torch.nn.Module, wrapped: dict[str, LoraLinear]) -> dict[str, torch.Tensor]:
    """Put the plain Linear layers back with the updates added into their weights.

    Returns the adapters as tensors (`<name>.lora_a`, `<name>.lora_b`, `<name>.scale`)
    to save with the model.
    """
    tensors: dict[str, torch.Tensor] = {}
    with torch.no_grad():
        for name, wrapper in wrapped.items():
            wrapper.base.weight += wrapper.delta()
            _replace(model, name, wrapper.base)
            tensors[f"{name}.lora_a"] = wrapper.lora_a.detach().clone().contiguous()
            tensors[f"{name}.lora_b"] = wrapper.lora_b.detach().clone().contiguous()
            tensors[f"{name}.scale"] = torch.tensor([wrapper.scale])
    return tensors


def save_adapters(tensors: dict[str, torch.Tensor], directory: Path) -> None:
    save_file(tensors, directory / ADAPTERS_FILE)


def load_adapters(directory: Path) -> dict[str, torch.Tensor] | None:
    """The adapters saved in a model directory, or None when it has none."""
    path = directory / ADAPTERS_FILE
    return load_file(path) if path.is_file() else None


def apply_adapters(model: torch.nn.Module, tensors: dict[str, torch.Tensor]) -> None:
    """Add adapters into `model`'s weights (the encoder they were trained on)."""
    modules = dict(model.named_modules())
    names = sorted({key.rsplit(".", 1)[0] for key in tensors})
    missing = [name for name in names if not isinstance(modules.get(name), torch.nn.Linear)]
    if missing:
        raise ValueError(
            f"the adapters are for layers this encoder does not have ({', '.join(missing[:3])}): "
            "load the model with the encoder it was trained on"
        )
    with torch.no_grad():
        for name in names:
            layer = modules[name]
            delta = tensors[f"{name}.lora_b"] @ tensors[f"{name}.lora_a"]
            layer.weight += delta * tensors[f"{name}.scale"]


def _replace(model: torch.nn.Module, name: str, module: torch.nn.Module) -> None:
    parent_name, _, child = name.rpartition(".")
    setattr(model.get_submodule(parent_name), child, module)
