"""The encoder's forward pass in ONNX Runtime: the same fp32 math as torch, or int8.

The encoder, with a fine-tuned model's adapters already merged into it, is
exported once with `torch.onnx.export` into the model cache, in a directory
named by a hash of its configuration and weights: a new encoder or model version
never reuses a stale export. An export is used only after its outputs were
compared with torch's on a few texts, and each load checks the file's SHA-256
(a damaged file is exported again). Tokenization, pooling and the word shares
stay `Encoder`'s: only "token ids + mask -> last hidden state" runs here.

`int8`: ONNX Runtime's dynamic int8 quantization of that export, which needs
far less CPU time per listing than fp32 and loses much less accuracy than torch's
dynamic int8; bench/classify.py measures each runtime's speed and macro-F1.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

import numpy as np
import torch

from classifiers.e5convert import default_cache_dir, publish, sha256

if TYPE_CHECKING:
    from classifiers.encoder import Encoder

log = logging.getLogger(__name__)

EXPORT_VERSION = 3
"""Bumped when the exported graph or its quantization changes, so that older
exports are redone (2: int8 leaves the embeddings in fp32; 3: asymmetric int8 weights)."""
OPSET = 17
ONNX_FILE = "encoder.onnx"
MANIFEST = "armswatch-manifest.json"
EXPORTS_DIR = "onnx"
"""Under the model cache (`$ARMSWATCH_MODEL_CACHE`), beside the converted encoder."""
TOLERANCE = 1e-4
"""fp32: the largest difference from torch allowed in a hidden state of the check texts."""
MIN_INT8_COSINE = 0.9
"""int8: the least cosine similarity to torch's embedding of each check text. It
catches a broken quantization; what int8 costs in accuracy is bench/classify.py's."""
CHECK_TEXTS = (
    "Glock 17 Gen4 for sale\nclean, no paperwork, cash or BTC",
    "500 rds 7.62x39",
    "Verkaufe Heißklebepistole 60W, neu und unbenutzt, Versand möglich oder Abholung",
    "Продам пистолет Макарова, рабочий",
    "手枪零件出售",
    "Creality Ender 3 V2 3D printer with two rolls of PLA filament, barely used, "
    "local pickup only, price negotiable, message me on the forum for more photos "
    "of the printer and the spare nozzles that come with it",
)
"""Listings of different lengths and scripts: compared in one padded batch and one alone."""
FALLBACK = "set classifier.runtime: torch in armswatch.yaml (the scores of runtime onnx)"


class OnnxExportError(RuntimeError):
    """The encoder cannot run in ONNX Runtime; the message says how to fall back."""


class OnnxRuntime:
    """`Encoder.runtime`: the last hidden state from an exported encoder."""

    def __init__(self, path: Path) -> None:
        ort = _onnxruntime()
        options = ort.SessionOptions()
        options.intra_op_num_threads = available_cores()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.path = path
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])

    def __call__(self, input_ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        feed = {"input_ids": input_ids.numpy(), "attention_mask": mask.numpy()}
        (hidden,) = self.session.run(None, feed)
        return torch.from_numpy(hidden)


def use_onnx(encoder: Encoder, *, int8: bool = False, cache_dir: Path | None = None) -> Path:
    """Run `encoder`'s forward pass in ONNX Runtime from now on, exporting its
    current weights (adapters merged) on first use. Returns the ONNX file."""
    path = ensure_export(encoder, cache_dir, int8=int8)
    encoder.runtime = OnnxRuntime(path)
    if int8:  # its embeddings are not those of the fp32 weights
        encoder.name += "+onnx-int8"
    return path


def ensure_export(
    encoder: Encoder,
    cache_dir: Path | None = None,
    *,
    int8: bool = False,
    tolerance: float = TOLERANCE,
) -> Path:
    """The checked export of `encoder` under `cache_dir`, made when missing or damaged
    (the int8 one from the fp32 one, made first where needed)."""
    exports = Path(cache_dir or default_cache_dir()) / EXPORTS_DIR
    key = export_key(encoder.model)

    def fp32() -> Path:
        return _ensure(exports / key, encoder, lambda out: _export(encoder, out), tolerance)

    if not int8:
        return fp32()
    return _ensure(exports / f"{key}-int8", encoder, lambda out: _quantize(fp32(), out), None)


def export_key(model: torch.nn.Module) -> str:
    """A hash of what the export computes: the exporter, the model's configuration
    and every weight, so that merged adapters and a new encoder each get their own."""
    digest = hashlib.sha256(f"armswatch-onnx {EXPORT_VERSION} opset {OPSET}\n".encode())
    config = getattr(model, "config", None)
    digest.update(config.to_json_string().encode() if config is not None else b"")
    for name, tensor in model.state_dict().items():
        digest.update(name.encode())
        digest.update(tensor.detach().cpu().contiguous().numpy())
    return digest.hexdigest()[:32]


def is_current(export_dir: Path) -> bool:
    """Whether `export_dir` holds an intact export made by this version of the exporter."""
    try:
        manifest = json.loads((export_dir / MANIFEST).read_text("utf-8"))
        ours = manifest.get("export_version") == EXPORT_VERSION
        return ours and manifest.get("onnx_sha256") == sha256(export_dir / ONNX_FILE)
    except (OSError, ValueError, AttributeError):
        return False


def agreement(encoder: Encoder, runtime: OnnxRuntime) -> dict[str, float]:
    """How close `runtime` comes to the encoder's torch forward pass on the check
    texts: the largest difference in a hidden state of their tokens (in one padded
    batch and one text alone), and the least cosine similarity of their embeddings."""
    texts = list(CHECK_TEXTS)
    ids = encoder.tokenize([encoder.prefix + text for text in texts])["input_ids"]
    gap = 0.0
    with torch.inference_mode():
        for batch in (ids, ids[1:2]):
            input_ids, mask = encoder.pad(batch)
            expected = encoder.model(input_ids=input_ids, attention_mask=mask).last_hidden_state
            found = runtime(input_ids, mask).numpy()
            diff = np.abs(found - expected.numpy())[mask.bool().numpy()]
            gap = max(gap, float(diff.max()) if np.isfinite(diff).all() else np.inf)
    before, encoder.runtime = encoder.runtime, None
    try:
        expected = encoder.embed(texts)
        encoder.runtime = runtime
        found = encoder.embed(texts)
    finally:
        encoder.runtime = before
    cosine = float(np.nan_to_num((expected * found).sum(axis=1), nan=-1.0).min())
    return {"max_difference": gap, "min_cosine": cosine}


def available_cores() -> int:
    """The cores this process may run on (its affinity), as torch uses them."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _ensure(
    dest: Path, encoder: Encoder, build: Callable[[Path], None], tolerance: float | None
) -> Path:
    if not is_current(dest):
        if (dest / ONNX_FILE).exists():
            log.warning("the cached ONNX export %s is damaged: exporting it again", dest)
        _write(dest, encoder, build, tolerance)
    return dest / ONNX_FILE


def _write(
    dest: Path, encoder: Encoder, build: Callable[[Path], None], tolerance: float | None
) -> None:
    """Build into a temporary sibling directory, check against torch, and rename
    into place: a crash or a concurrent reader never sees half an export, and one
    that disagrees with torch is refused, leaving nothing behind.

    `tolerance`: the hidden-state check of an fp32 export; None: the int8 check.
    """
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", suffix=".tmp", dir=dest.parent))
    try:
        build(tmp / ONNX_FILE)
        measured = agreement(encoder, OnnxRuntime(tmp / ONNX_FILE))
        if tolerance is not None and not measured["max_difference"] <= tolerance:
            why = f"hidden states up to {measured['max_difference']:.2g} away from torch's "
            why += f"(allowed: {tolerance:g})"
        elif tolerance is None and not measured["min_cosine"] >= MIN_INT8_COSINE:
            why = f"embeddings as little as {measured['min_cosine']:.3f} alike to torch's "
            why += f"(cosine; required: {MIN_INT8_COSINE})"
        else:
            why = ""
        if why:
            raise OnnxExportError(
                f"the ONNX export of the encoder {encoder.name} computes {why}, so it is "
                f"not used. To classify anyway, {FALLBACK}."
            )
        manifest = {
            "export_version": EXPORT_VERSION,
            "encoder": encoder.name,
            "int8": tolerance is None,
            "opset": OPSET,
            "torch": torch.__version__,
            **measured,
            "onnx_sha256": sha256(tmp / ONNX_FILE),
        }
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
        publish(tmp, dest)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


class _LastHiddenState(torch.nn.Module):
    """The encoder with plain tensor inputs and its last hidden state as the one output."""

    def __init__(self, model: torch.nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        return self.model(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state


def _export(encoder: Encoder, path: Path) -> None:
    """`torch.onnx.export` with the TorchScript exporter (it needs no onnxscript),
    batch and sequence length left dynamic."""
    _onnxruntime()  # fail before the export's minute of work, not after
    ids = encoder.tokenize([encoder.prefix + text for text in CHECK_TEXTS])["input_ids"]
    input_ids, mask = encoder.pad(ids)
    # In eval mode: the exporter leaves the module in the mode it found it in, and
    # a new Module is in training mode (dropout on) until told otherwise.
    wrapper = _LastHiddenState(encoder.model).eval()
    axes = {0: "batch", 1: "sequence"}
    with warnings.catch_warnings(), torch.no_grad():
        # This exporter's deprecation, and the tracer's notes on transformers' mask code
        # (shape tests that hold for any batch: the comparison with torch checks them).
        warnings.simplefilter("ignore")
        torch.onnx.export(
            wrapper,
            (input_ids, mask),
            str(path),
            input_names=["input_ids", "attention_mask"],
            output_names=["last_hidden_state"],
            dynamic_axes={"input_ids": axes, "attention_mask": axes, "last_hidden_state": axes},
            opset_version=OPSET,
            dynamo=False,
        )


def _quantize(fp32: Path, path: Path) -> None:
    """ONNX Runtime's dynamic int8 for the matrix products: int8 weights, activations
    quantized per batch. The embedding table stays fp32: looking rows up costs
    nothing to speed up, and quantizing it cost e5-v2 0.014 macro-F1 against 0.004
    without it (bench/classify.py).

    Weights are quantized asymmetrically (a zero point per tensor, not 0). With
    symmetric weights e5-v3's check texts came out as far as cosine 0.884 from
    torch's embeddings, so the export was refused; asymmetric: 0.928, and the same
    macro-F1 as fp32, at 5-10% less speed than symmetric. Unsigned weights reached
    0.940 but ran about 15% slower than symmetric (side-by-side runs, 2 cores)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    muted = logging.root.manager.disable
    logging.disable(logging.WARNING)  # its advice to pre-process, printed on the root logger
    try:
        quantize_dynamic(
            fp32,
            path,
            weight_type=QuantType.QInt8,
            op_types_to_quantize=["MatMul"],
            extra_options={"WeightSymmetric": False},
        )
    finally:
        logging.disable(muted)


def _onnxruntime() -> ModuleType:
    try:
        import onnxruntime
    except ImportError as exc:
        raise OnnxExportError(
            f"onnxruntime is not installed ({exc}): reinstall armswatch, or {FALLBACK}."
        ) from exc
    return onnxruntime
