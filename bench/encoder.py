"""Benchmark of the Encoder: texts per second, fp32 and int8, on real listing lengths.

    .venv/bin/python bench/encoder.py [--texts N] [--model LOCATION]

Texts: the demo sites' records (armswatch/demo/data/*.jsonl) and, where
/work/shared/data is there, real armslist classifieds (longer), each as
title + text the way the crawl scores them, cut to N. For fp32 and int8, batches
of 32 and 64, with and without sorting by length (sorting pads each batch to its
own longest text; unsorted batches pad to their longest, often `max_length`).
One untimed warm-up batch per model. The whole run takes about two minutes on
2 cores.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from classifiers.encoder import Encoder  # noqa: E402

DEMO_DATA = REPO / "armswatch" / "demo" / "data"
ARMSLIST = Path("/work/shared/data/armslist-2017-11-utvompl/armslist_guns_2017-11.csv")


def load_texts(limit: int) -> list[str]:
    """Demo records first, then armslist, interleaved so that any cut keeps both."""
    demo = [
        f"{record['title']}\n{record['text']}"
        for path in sorted(DEMO_DATA.glob("*.jsonl"))
        for record in map(json.loads, path.read_text("utf-8").splitlines())
    ]
    real: list[str] = []
    if ARMSLIST.exists():
        with ARMSLIST.open(encoding="utf-8", errors="replace", newline="") as f:
            real = [f"{row['title']}\n{row['description']}" for row in csv.DictReader(f)]
    mixed = [text for pair in zip(demo, real, strict=False) for text in pair]
    mixed += demo[len(real) :] + real[len(demo) :]
    return mixed[:limit]


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError, StopIteration):
        lines = Path("/proc/cpuinfo").read_text().splitlines()
        cpu = next(ln.split(":", 1)[1].strip() for ln in lines if ln.startswith("model name"))
    return (
        f"{cpu}, {os.cpu_count()} cores, torch {torch.__version__} "
        f"({torch.get_num_threads()} threads), Python {platform.python_version()}"
    )


def rate(encoder: Encoder, texts: Sequence[str], batch_size: int, sort: bool) -> float:
    start = time.perf_counter()
    encoder.embed(texts, batch_size=batch_size, sort_by_length=sort)
    return len(texts) / (time.perf_counter() - start)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=384, help="how many texts (default 384)")
    parser.add_argument("--model", help="model location (default: the packaged e5)")
    args = parser.parse_args(argv)

    texts = load_texts(args.texts)
    print(f"machine: {machine()}")
    for quantize in (False, True):
        start = time.perf_counter()
        encoder = Encoder.load(args.model, quantize=quantize)
        loaded = time.perf_counter() - start
        if not quantize:
            lengths = [len(ids) for ids in encoder.tokenizer(texts, verbose=False)["input_ids"]]
            cut = sum(n > encoder.max_length for n in lengths) / len(lengths)
            print(
                f"texts: {len(texts)}, {statistics.mean(len(t) for t in texts):.0f} characters "
                f"on average; tokens median {statistics.median(lengths):.0f}, mean "
                f"{statistics.mean(lengths):.0f}, {cut:.0%} cut at max_length "
                f"{encoder.max_length}"
            )
        print(f"{encoder.name}: loaded in {loaded:.1f} s")
        encoder.embed(texts[:32])
        for batch_size in (32, 64):
            for sort in (True, False):
                per_s = rate(encoder, texts, batch_size, sort)
                how = "sorted by length" if sort else "input order     "
                print(f"  batch {batch_size}, {how}: {per_s:6.1f} texts/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
