"""The held-out Agora evaluation set: hand labels for every product page a crawl
of the saved Agora Weapons section reaches, joined with the text the crawler's
own selectors extract."""

from __future__ import annotations

import json
import re
from pathlib import Path

from armswatch import LABELS
from armswatch.demo.agora import DISALLOWED_PRODUCT, LIST_PAGES, Agora, find_agora_dir
from classifiers.data.agora import LABELS_FILE, build
from classifiers.dataset import read_examples
from classifiers.training import DEFAULT_DATA

LISTED = re.compile(r'href="/p/([A-Za-z0-9]{10})"')


def test_labels_cover_exactly_the_pages_a_crawl_reaches() -> None:
    root = find_agora_dir()
    assert root is not None, "shared/data/ must be beside the checkout"
    site = Agora(root)
    reached: set[str] = set()
    for page in LIST_PAGES:
        response = site.respond(f"/cat/{page}", {})
        assert response.status == 200, page
        reached |= set(LISTED.findall(response.body.decode("utf-8", errors="replace")))
    reached.discard(DISALLOWED_PRODUCT)  # robots.txt forbids it
    labeled = [json.loads(line) for line in LABELS_FILE.read_text(encoding="utf-8").splitlines()]
    assert {record["page"] for record in labeled} == reached
    assert len(labeled) == len(reached) == 113
    for record in labeled:
        assert set(record) <= {"page", "title", "labels", "note"}  # no listing text kept
        assert set(record["labels"]) <= set(LABELS)
        assert record["labels"] == [label for label in LABELS if label in record["labels"]]


def test_the_built_set_reads_the_pages_as_the_crawler_does(tmp_path: Path) -> None:
    out = tmp_path / "agora_eval.jsonl"
    assert build(out) == 113
    examples = read_examples(out)
    assert len(examples) == 113
    assert sum(bool(e.text.text) for e in examples) >= 110  # descriptions, not titles only
    assert all(e.split == "test" and e.lang == "en" for e in examples)
    # Never training data: no title of these pages is in the labeled training set.
    trained = {json.loads(line)["title"] for line in DEFAULT_DATA.read_text().splitlines()}
    assert not {e.text.title for e in examples} & trained
