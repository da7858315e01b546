"""Benchmark of the rule classifier: quality on labeled data, speed on one core.

    .venv/bin/python bench/rules.py [--watchlist PATH] [--errors N]

Quality, per label precision / recall / F1 and exact match (all four labels
right), on:

- the demo sites' data (armswatch/demo/data/*.jsonl), labeled by
  /work/shared/LABELING.md; each record is scored as title + text, the way the
  crawl scores it (a forum post carries its thread's title);
- armslist (real US firearm classifieds, 2017) and hansa (a real darknet
  market, 2016, no weapons category): their labels are WEAK, taken from the
  source (armslist = a firearm offered or sought, hansa = benign), so their
  figures are rates to read, not ground truth.

The demo data is for reporting: the watchlist is not tuned on it record by
record. Agora data is never read here.

Speed: listings per second on one core, batches of 32, over a few thousand
real-length listings (demo + armslist). The whole run takes a few seconds.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import statistics
import sys
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from armswatch import LABELS  # noqa: E402
from classifiers.base import ListingText, Prediction  # noqa: E402
from classifiers.metrics import Report, report  # noqa: E402
from classifiers.rules import DEFAULT_THRESHOLD, RuleClassifier  # noqa: E402

DEMO_DATA = REPO / "armswatch" / "demo" / "data"
SHARED_DATA = Path("/work/shared/data")
ARMSLIST = SHARED_DATA / "armslist-2017-11-utvompl" / "armslist_guns_2017-11.csv"
HANSA = SHARED_DATA / "hansa-2016-12-onionscan" / "hansa-marketplace-listings-december-2016.csv"
BATCH = 32
WEAPON_WORDS = re.compile(
    r"(?i)\b(?:guns?|gunpowder|pistols?|rifles?|silenc\w*|weapons?|ammo|firearms?)\b"
)
"""Words to list hansa titles by for a human to judge (not used to score)."""


@dataclass(frozen=True)
class Example:
    """A listing with the labels it should get."""

    id: str
    listing: ListingText
    labels: frozenset[str]
    group: str = ""


def evaluate(examples: Sequence[Example], predictions: Sequence[Prediction]) -> Report:
    """Per-label counts and scores, and exact match (the project's metrics)."""
    truth = [set(e.labels) for e in examples]
    return report(LABELS, truth, [set(p.labels) for p in predictions])


def predict(classifier: RuleClassifier, examples: Sequence[Example]) -> list[Prediction]:
    """Predictions in batches, as the crawl pipeline asks for them."""
    out: list[Prediction] = []
    for start in range(0, len(examples), BATCH):
        out.extend(classifier.predict([e.listing for e in examples[start : start + BATCH]]))
    return out


def load_demo() -> list[Example]:
    """The demo sites' labeled records (title + text, as crawled)."""
    examples = []
    for path in sorted(DEMO_DATA.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            record = json.loads(line)
            reply = record.get("post", 1) > 1
            examples.append(
                Example(
                    record["id"],
                    ListingText(record["title"], record["text"], record.get("lang")),
                    frozenset(record["labels"]),
                    f"{path.stem}{'-reply' if reply else ''}:{record.get('lang', '?')}",
                )
            )
    return examples


def load_armslist() -> list[Example]:
    """Armslist rows; weak label: every row offers or seeks a whole firearm."""
    if not ARMSLIST.is_file():
        return []
    with ARMSLIST.open(encoding="utf-8", newline="") as handle:
        return [
            Example(
                row["post_id"],
                ListingText(row["title"], row["description"], "en"),
                frozenset({"firearm"}),
                row["category"],
            )
            for row in csv.DictReader(handle)
        ]


def load_hansa() -> list[Example]:
    """Hansa titles (no descriptions in the dump); weak label: benign."""
    if not HANSA.is_file():
        return []
    seen: set[str] = set()
    examples = []
    with HANSA.open(encoding="utf-8", newline="") as handle:
        for row in csv.reader(handle, skipinitialspace=True):
            if len(row) < 6 or row[1] in seen:
                continue
            seen.add(row[1])
            examples.append(Example(row[1], ListingText(row[2], "", None), frozenset(), row[5]))
    return examples


def fmt(value: float, defined: bool) -> str:
    return f"{value:.3f}" if defined else "  -  "


def print_scores(name: str, scores: Report) -> None:
    print(f"\n{name}: {scores.count} listings, exact match {scores.exact_match:.3f}")
    print(f"  {'label':<11} {'P':>6} {'R':>6} {'F1':>6}   tp  fp  fn")
    for label in LABELS:
        s = scores.labels[label]
        flagged, positive = s.tp + s.fp > 0, s.support > 0
        print(
            f"  {label:<11} {fmt(s.precision, flagged):>6} {fmt(s.recall, positive):>6}"
            f" {fmt(s.f1, flagged or positive):>6} {s.tp:>4} {s.fp:>3} {s.fn:>3}"
        )


def print_errors(
    examples: Sequence[Example], predictions: Sequence[Prediction], limit: int
) -> None:
    wrong = [
        (e, p) for e, p in zip(examples, predictions, strict=True) if set(p.labels) != e.labels
    ]
    for example, prediction in wrong[:limit]:
        scores = " ".join(f"{k[:4]}={v:.2f}" for k, v in prediction.scores.items() if v)
        print(
            f"  {example.id:<9} want {sorted(example.labels)} got {prediction.labels}  "
            f"[{scores}]\n            {example.listing.title[:70]!r}"
        )
    if len(wrong) > limit:
        print(f"  ... and {len(wrong) - limit} more")


def label_rates(predictions: Iterable[Prediction]) -> tuple[int, Counter[str], int]:
    """How many listings, how many got each label, how many got any."""
    n, per_label, flagged = 0, Counter[str](), 0
    for prediction in predictions:
        n += 1
        per_label.update(prediction.labels)
        flagged += bool(prediction.labels)
    return n, per_label, flagged


def bench_speed(classifier: RuleClassifier, examples: Sequence[Example]) -> list[float]:
    """Listings per second, three runs over the same listings."""
    rates = []
    for _ in range(3):
        start = time.perf_counter()
        predict(classifier, examples)
        rates.append(len(examples) / (time.perf_counter() - start))
    return rates


def thresholds() -> dict[str, float]:
    """The thresholds of the shipped settings (config/armswatch.yaml)."""
    settings = yaml.safe_load((REPO / "config" / "armswatch.yaml").read_text()) or {}
    configured = (settings.get("classifier") or {}).get("thresholds") or {}
    return {label: float(configured.get(label, DEFAULT_THRESHOLD)) for label in LABELS}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--watchlist", type=Path, default=REPO / "config" / "watchlist.yaml")
    parser.add_argument("--errors", type=int, default=0, help="show up to N misclassified")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    t0 = time.perf_counter()
    classifier = RuleClassifier.from_file(args.watchlist, thresholds())
    load_s = time.perf_counter() - t0
    print(f"watchlist {args.watchlist} ({classifier.version}), loaded in {load_s * 1000:.0f} ms")
    print(f"thresholds {classifier.thresholds}")

    demo = load_demo()
    demo_predictions = predict(classifier, demo)
    print("\n=== demo sites (ground truth by LABELING.md; for reporting, not tuning) ===")
    print_scores("demo, all", evaluate(demo, demo_predictions))
    for site in ("classifieds", "market", "forum"):
        pairs = [
            (e, p)
            for e, p in zip(demo, demo_predictions, strict=True)
            if e.id.startswith({"classifieds": "cl-", "market": "mk-", "forum": "fo-"}[site])
        ]
        scores = evaluate([e for e, _ in pairs], [p for _, p in pairs])
        print(f"  {site:<12} n={scores.count:<4} exact match {scores.exact_match:.3f}")
    replies = [e for e in demo if "-reply" in e.group]
    as_text = [Example(e.id, ListingText("", e.listing.text), e.labels) for e in replies]
    reply_exact = evaluate(replies, predict(classifier, replies)).exact_match
    text_exact = evaluate(as_text, predict(classifier, as_text)).exact_match
    print(
        f"  forum replies (posts 2+, n={len(replies)}): exact match"
        f" {reply_exact:.3f} with the thread title as crawled,"
        f" {text_exact:.3f} on their text alone"
    )
    by_lang: dict[str, list[bool]] = {}
    for example, prediction in zip(demo, demo_predictions, strict=True):
        lang = example.listing.lang or "?"
        by_lang.setdefault(lang, []).append(set(prediction.labels) == example.labels)
    print(
        "  exact match by language: "
        + ", ".join(f"{k} {sum(v) / len(v):.2f} ({len(v)})" for k, v in sorted(by_lang.items()))
    )
    if args.errors:
        print_errors(demo, demo_predictions, args.errors)

    armslist = load_armslist()
    armslist_predictions = predict(classifier, armslist)
    if armslist:
        print("\n=== armslist 2017-11 (real; WEAK labels: every row is a firearm ad) ===")
        n, per_label, flagged = label_rates(armslist_predictions)
        print(
            f"  {n} listings: firearm recall {per_label['firearm'] / n:.3f}, any label"
            f" {flagged / n:.3f}; labels set: "
            + ", ".join(f"{label} {per_label[label]}" for label in LABELS)
        )
        by_category: dict[str, list[bool]] = {}
        for example, prediction in zip(armslist, armslist_predictions, strict=True):
            by_category.setdefault(example.group, []).append("firearm" in prediction.labels)
        print(
            "  firearm recall by category: "
            + ", ".join(
                f"{k} {sum(v) / len(v):.2f} ({len(v)})" for k, v in sorted(by_category.items())
            )
        )
        if args.errors:
            missed = [
                (e, p)
                for e, p in zip(armslist, armslist_predictions, strict=True)
                if "firearm" not in p.labels
            ]
            print_errors([e for e, _ in missed], [p for _, p in missed], args.errors)

    hansa = load_hansa()
    if hansa:
        hansa_predictions = predict(classifier, hansa)
        print(
            "\n=== hansa 2016-12 (real; titles only; WEAK labels: benign, no weapons category) ==="
        )
        n, per_label, flagged = label_rates(hansa_predictions)
        print(
            f"  {n} listings: flagged {flagged} ({flagged / n:.4f}); labels set: "
            + ", ".join(f"{label} {per_label[label]}" for label in LABELS)
        )
        print("  flagged titles (some are real threats, e.g. gun-making manuals; judge by eye):")
        for example, prediction in zip(hansa, hansa_predictions, strict=True):
            if prediction.labels:
                print(f"    {prediction.labels} {example.listing.title[:80]!r} ({example.group})")
        unflagged = [
            e.listing.title
            for e, p in zip(hansa, hansa_predictions, strict=True)
            if not p.labels and WEAPON_WORDS.search(e.listing.title)
        ]
        print(f"  not flagged, with a weapon word in the title ({len(unflagged)}):")
        for title in unflagged:
            print(f"    {title[:80]!r}")

    speed_set = demo * 2 + armslist
    rates = bench_speed(classifier, speed_set)
    chars = statistics.mean(len(e.listing.title) + len(e.listing.text) for e in speed_set)
    print(
        f"\n=== speed (one core, batches of {BATCH}) ===\n  {len(speed_set)} listings"
        f" (demo x2 + armslist, mean {chars:.0f} chars): "
        f"{max(rates):,.0f} listings/s best, {statistics.mean(rates):,.0f} mean of 3 runs"
    )
    print(f"\ntotal {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
