"""Benchmark of the transformer classifier: listings per second and macro-F1 per variant.

    .venv/bin/python bench/classify.py [--model DIR] [--data FILE] [--limit N]

Listings: the test split of the labeled data (`classifiers/data/listings.jsonl`),
a realistic mix of title-only market rows, short messenger posts and long
classified ads in 13 languages. Each variant classifies all of them the way
the crawl pipeline does (calls of `classifier.batch_size` listings in crawl
order, each split into encoder batches of 32 sorted by length, rules and word
explanations included) and is scored on their labels. Variants: fp32 with
calls of 128 and 32 listings (a bigger call sorts into batches with less
padding), torch dynamic int8, the same fp32 weights in ONNX Runtime and its
dynamic int8 (`classifier.runtime: onnx` / `onnx-int8`; exported into the model
cache first, outside the timing), and fp32 one listing per call (what
classifying without batches would cost; on a slice). One untimed warm-up call
per variant. About three minutes on 2 cores, and a minute more for the first
ONNX exports.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from armswatch import LABELS  # noqa: E402
from classifiers.dataset import Example, read_examples  # noqa: E402
from classifiers.metrics import report  # noqa: E402
from classifiers.rules import RuleClassifier  # noqa: E402
from classifiers.training import DEFAULT_DATA  # noqa: E402
from classifiers.transformer import TransformerClassifier  # noqa: E402

sys.path.insert(0, str(REPO / "bench"))
from encoder import machine  # noqa: E402

WATCHLIST = REPO / "config" / "watchlist.yaml"


def run(
    classifier: TransformerClassifier, examples: Sequence[Example], batch: int
) -> tuple[float, float]:
    """(listings per second, macro-F1) classifying `examples` in batches of `batch`."""
    texts = [e.text for e in examples]
    classifier.predict(texts[:batch])  # warm-up
    start = time.perf_counter()
    predictions = [
        p for i in range(0, len(texts), batch) for p in classifier.predict(texts[i : i + batch])
    ]
    rate = len(texts) / (time.perf_counter() - start)
    truth = [e.labels for e in examples]
    return rate, report(LABELS, truth, [set(p.labels) for p in predictions]).macro_f1


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="model directory (default: the shipped model)")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="labeled listings")
    parser.add_argument("--limit", type=int, help="at most this many listings")
    args = parser.parse_args(argv)

    examples = [e for e in read_examples(args.data) if e.split == "test"][: args.limit]
    lengths = sorted(len(e.text.title) + len(e.text.text) for e in examples)
    print(f"machine: {machine()}")
    print(
        f"listings: {len(examples)} (test split of {args.data.name}), characters median "
        f"{lengths[len(lengths) // 2]}, 90th percentile {lengths[int(len(lengths) * 0.9)]}"
    )
    rules = RuleClassifier.from_file(WATCHLIST, {})
    print(f"{'variant':<34} {'listings/s':>10} {'macro-F1':>9}")
    for name, quantize, runtime, batch, share in (
        ("fp32, batches of 128", False, "torch", 128, 1),
        ("fp32, batches of 32", False, "torch", 32, 1),
        ("int8, batches of 128", True, "torch", 128, 1),
        ("onnx fp32, batches of 128", False, "onnx", 128, 1),
        ("onnx int8, batches of 128", False, "onnx-int8", 128, 1),
        ("fp32, one listing per call", False, "torch", 1, 4),
    ):
        classifier = TransformerClassifier.load(
            args.model, rules=rules, quantize=quantize, runtime=runtime
        )
        subset = examples[::share]
        rate, macro = run(classifier, subset, batch)
        note = f"  (every {share}th listing)" if share > 1 else ""
        print(f"{name:<34} {rate:>10.1f} {macro:>9.3f}{note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
