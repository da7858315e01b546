"""The labeled training data in classifiers/data/: size, languages, labels, splits,
provenance (nothing from the held-out Agora HTML pages or the demo sites), the
determinism of classifiers/data/build.py, and a listing-level safety screen."""

from __future__ import annotations

import importlib.util
import json
import re
import sys
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import parsel
import pytest

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "classifiers" / "data"
LISTINGS = DATA / "listings.jsonl"
REAL = DATA / "real.jsonl"
TEST_REAL = DATA / "test_real.jsonl"
AUTHORED = DATA / "authored"
DEMO = REPO / "armswatch" / "demo" / "data"
LABELS = ("firearm", "parts", "ammunition", "blueprints")
SPLITS = ("train", "validation", "test")
REQUIRED = ("id", "title", "text", "lang", "labels", "source", "origin", "label_rule", "split")
HELDOUT = "agora-2014-04-06-weapons-html"
# shared/ sits inside the checkout or beside it (as in CI)
SHARED_DATA = next(
    (d for d in (REPO / "shared" / "data", REPO.parent / "shared" / "data") if d.is_dir()), None
)
UNSAFE = re.compile(
    r"mm diameter|infill|layer height|print settings|print speed|drill to|\bstep \d|"
    r"wall thickness|nozzle temp|bed temp|schritt \d|étape \d|paso \d|шаг \d",
    re.IGNORECASE,
)


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def normalize(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(re.findall(r"\w+", text))


@pytest.fixture(scope="module")
def listings() -> list[dict[str, Any]]:
    return read_jsonl(LISTINGS)


@pytest.fixture(scope="module")
def authored() -> list[dict[str, Any]]:
    return [r for path in sorted(AUTHORED.glob("*.jsonl")) for r in read_jsonl(path)]


@pytest.fixture(scope="module")
def build() -> Iterator[ModuleType]:
    """classifiers/data/build.py, loaded from its path (the folder is not a package)."""
    name = "classifiers_data_build_under_test"
    spec = importlib.util.spec_from_file_location(name, DATA / "build.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop(name, None)


# --- size, languages, labels ------------------------------------------------------------


def test_enough_records(listings: list[dict[str, Any]]) -> None:
    assert len(listings) >= 3000


def test_ten_languages_with_60_records_each(listings: list[dict[str, Any]]) -> None:
    langs = Counter(r["lang"] for r in listings)
    assert sum(1 for n in langs.values() if n >= 60) >= 10, langs


def test_required_fields_and_types(listings: list[dict[str, Any]]) -> None:
    for r in listings:
        missing = [f for f in REQUIRED if f not in r]
        assert not missing, (r.get("id"), missing)
        assert isinstance(r["title"], str) and r["title"].strip(), r["id"]
        assert isinstance(r["text"], str), r["id"]
        assert isinstance(r["labels"], list), r["id"]
        assert r["origin"] in ("real", "authored"), r["id"]
        assert r["split"] in SPLITS, r["id"]
        assert r["label_rule"], r["id"]


def test_labels_are_valid(listings: list[dict[str, Any]]) -> None:
    for r in listings:
        assert set(r["labels"]) <= set(LABELS), (r["id"], r["labels"])
        assert len(r["labels"]) == len(set(r["labels"])), r["id"]


def test_ids_unique(listings: list[dict[str, Any]]) -> None:
    ids = Counter(r["id"] for r in listings)
    assert not [i for i, n in ids.items() if n > 1]


def test_no_duplicate_listings(listings: list[dict[str, Any]]) -> None:
    keys = Counter(normalize(f"{r['title']} {r['text']}") for r in listings)
    assert not [k for k, n in keys.items() if n > 1][:5]


def test_every_label_has_300_positives_and_is_in_every_split(
    listings: list[dict[str, Any]],
) -> None:
    for label in LABELS:
        positives = [r for r in listings if label in r["labels"]]
        assert len(positives) >= 300, (label, len(positives))
        assert {r["split"] for r in positives} == set(SPLITS), label
    assert {r["split"] for r in listings if not r["labels"]} == set(SPLITS)


# --- splits ---------------------------------------------------------------------------


def test_split_sizes_about_70_15_15(listings: list[dict[str, Any]]) -> None:
    counts = Counter(r["split"] for r in listings)
    for name, share in (("train", 0.70), ("validation", 0.15), ("test", 0.15)):
        assert abs(counts[name] / len(listings) - share) < 0.03, counts


def test_splits_disjoint_no_near_duplicates_across(listings: list[dict[str, Any]]) -> None:
    by_title: dict[str, set[str]] = defaultdict(set)
    by_listing: dict[str, set[str]] = defaultdict(set)
    for r in listings:
        by_title[normalize(r["title"])].add(r["split"])
        by_listing[normalize(f"{r['title']} {r['text']}")].add(r["split"])
    assert not [t for t, s in by_title.items() if len(s) > 1][:5]
    assert not [t for t, s in by_listing.items() if len(s) > 1][:5]


def test_translations_share_a_split(listings: list[dict[str, Any]]) -> None:
    """Authored listings written as translations of one another (`group`) sit in one
    split, so no language is tested on a listing trained on in another language."""
    by_group: dict[str, set[str]] = defaultdict(set)
    langs: dict[str, set[str]] = defaultdict(set)
    for r in listings:
        if "group" in r:
            by_group[r["group"]].add(r["split"])
            langs[r["group"]].add(r["lang"])
    assert len(by_group) >= 100
    assert not [g for g, splits in by_group.items() if len(splits) > 1]
    # a group holds one listing per language at most
    sizes = Counter(r["group"] for r in listings if "group" in r)
    assert all(sizes[g] == len(langs[g]) for g in by_group)


def test_splits_stratified(listings: list[dict[str, Any]]) -> None:
    by_split: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in listings:
        by_split[r["split"]].append(r)

    def share(split: str, label: str) -> float:
        rows = by_split[split]
        return 100 * sum(label in r["labels"] for r in rows) / len(rows)

    for label in LABELS:
        for split in ("validation", "test"):
            assert abs(share(split, label) - share("train", label)) <= 5, (label, split)
    langs = Counter(r["lang"] for r in listings)
    for lang, n in langs.items():
        if n >= 60:
            test = sum(1 for r in by_split["test"] if r["lang"] == lang)
            assert 0.08 * n <= test <= 0.22 * n, (lang, test, n)


def test_test_real_is_real_and_in_the_test_split(listings: list[dict[str, Any]]) -> None:
    test_real = read_jsonl(TEST_REAL)
    assert 250 <= len(test_real) <= 400
    by_id = {r["id"]: r for r in listings}
    for r in test_real:
        assert r["origin"] == "real" and r["source"] != "authored", r["id"]
        assert by_id[r["id"]] == r, r["id"]
        assert r["split"] == "test", r["id"]
    assert {r["id"] for r in test_real} == {
        r["id"] for r in listings if r["origin"] == "real" and r["split"] == "test"
    }
    for label in LABELS:
        assert any(label in r["labels"] for r in test_real), label


# --- provenance ------------------------------------------------------------------------


def test_real_records_come_from_the_real_data_sets(listings: list[dict[str, Any]]) -> None:
    sources = Counter(r["source"] for r in listings if r["origin"] == "real")
    assert set(sources) <= {
        "armslist-2017-11-utvompl",
        "agora-2014-2015-catlistings-weapons",
        "agora-2014-mozzarellav8",
        "hansa-2016-12-onionscan",
    }, sources
    assert HELDOUT not in {r["source"] for r in listings}
    assert read_jsonl(REAL) == [
        {k: v for k, v in r.items() if k != "split"} for r in listings if r["origin"] == "real"
    ]


def heldout_titles() -> set[str]:
    assert SHARED_DATA is not None
    pages = SHARED_DATA / HELDOUT / "2014-04-06" / "p"
    titles = set()
    for page in sorted(pages.iterdir()):
        selector = parsel.Selector(text=page.read_text(encoding="utf-8", errors="replace"))
        for h1 in selector.xpath("//h1"):
            title = normalize(h1.xpath("string()").get() or "")
            if title:
                titles.add(title)
    return titles


@pytest.mark.skipif(
    SHARED_DATA is None or not (SHARED_DATA / HELDOUT / "2014-04-06" / "p").is_dir(),
    reason="held-out Agora HTML pages not present",
)
def test_no_title_of_the_heldout_agora_pages(listings: list[dict[str, Any]]) -> None:
    titles = heldout_titles()
    assert len(titles) > 50  # the pages were read
    leaked = [r["id"] for r in listings if normalize(r["title"]) in titles]
    assert not leaked


def test_no_demo_site_title(listings: list[dict[str, Any]]) -> None:
    demo = {
        normalize(r.get("title") or "")
        for path in sorted(DEMO.glob("*.jsonl"))
        for r in read_jsonl(path)
    }
    assert len(demo) > 100
    assert not [r["id"] for r in listings if normalize(r["title"]) in demo]


# --- authored data ---------------------------------------------------------------------


def test_authored_data(authored: list[dict[str, Any]], listings: list[dict[str, Any]]) -> None:
    assert len(authored) >= 1300
    assert all(r["origin"] == "authored" and r["source"] == "authored" for r in authored)
    langs = Counter(r["lang"] for r in authored)
    assert sum(1 for n in langs.values() if n >= 60) >= 10, langs
    for label in LABELS:
        assert sum(label in r["labels"] for r in authored) >= 200, label
    texts = Counter(normalize(r["text"]) for r in authored)
    assert not [t for t, n in texts.items() if n > 1][:5]
    threats = sum(1 for r in authored if r["labels"]) / len(authored)
    assert 0.35 <= threats <= 0.55, threats
    in_listings = {r["id"] for r in listings if r["origin"] == "authored"}
    assert in_listings == {r["id"] for r in authored}


def test_listing_level_safety_screen(listings: list[dict[str, Any]]) -> None:
    hits = [r["id"] for r in listings if UNSAFE.search(f"{r['title']} {r['text']}")]
    assert not hits


def test_folder_is_small() -> None:
    size = sum(p.stat().st_size for p in DATA.rglob("*") if p.is_file())
    assert size < 8 * 1024 * 1024, size


# --- build.py is deterministic -----------------------------------------------------------


def test_split_assignment_is_deterministic_and_recorded(
    build: ModuleType, listings: list[dict[str, Any]]
) -> None:
    records = [{k: v for k, v in r.items() if k != "split"} for r in listings]
    recorded = build.recorded_splits(LISTINGS)
    assert recorded == {r["id"]: r["split"] for r in listings}
    first = build.assign_splits(records, recorded=recorded)
    second = build.assign_splits(list(reversed(records)), recorded=recorded)
    assert first == second == recorded
    rebuilt = build.build_listings(
        [r for r in records if r["origin"] == "real"], build.load_authored(), recorded=recorded
    )
    assert build.digest(rebuilt) == build.digest(listings)
    assert build.digest(build.test_real_subset(rebuilt)) == build.digest(read_jsonl(TEST_REAL))


def test_new_records_never_move_recorded_ones(build: ModuleType) -> None:
    """Adding data keeps every recorded split; the new records alone are stratified."""

    def record(i: int, labels: list[str], title: str = "") -> dict[str, Any]:
        return {"id": f"r{i:04d}", "title": title or f"listing {i}", "labels": labels, "lang": "en"}

    old = [record(i, ["firearm"]) for i in range(200)]
    recorded = build.assign_splits(old)
    assert Counter(recorded.values()) == {"train": 140, "validation": 30, "test": 30}
    new = [record(i, ["firearm"]) for i in range(200, 400)]
    # a new record titled like a recorded test one joins that one's split
    test_id = next(i for i, split in recorded.items() if split == "test")
    twin = record(400, ["firearm"], title=f"listing {int(test_id[1:])}")
    splits = build.assign_splits([*old, *new, twin], recorded=recorded)
    assert {i: splits[i] for i in recorded} == recorded
    assert splits[twin["id"]] == "test"
    added = Counter(splits[r["id"]] for r in [*new, twin])
    assert added == {"train": 141, "validation": 30, "test": 30}, added
    # without the record, the same data would have been split differently
    assert build.assign_splits([*old, *new]) != {i: s for i, s in splits.items() if i != "r0400"}


@pytest.mark.skipif(SHARED_DATA is None, reason="shared/data not present")
def test_real_mapping_is_deterministic(build: ModuleType) -> None:
    first = build.build_real(SHARED_DATA)
    second = build.build_real(SHARED_DATA)
    assert build.digest(first) == build.digest(second) == build.digest(read_jsonl(REAL))
