"""The entities step of a real crawl: leads extracted from new listings and stored,
kept for unchanged ones, extracted for listings stored before the step existed."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from armswatch.demo import DemoSites
from armswatch.entities import Entities, extract
from tests.conftest import crawl, expected_ids, open_store

GHOSTWORKS_FINGERPRINT = "094300B05F55ED1483F04F4BE4086D949F45D64E"
GHOSTWORKS_BTC = "1Jzs8MPkgLSf1wTDQNxhLiPxpLFgtATvg9"


@pytest.fixture(scope="module")
def crawled(
    demo_sites: DemoSites, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Path, dict[str, str]]]:
    """demo-market crawled once; its listing ids by demo record id."""
    data_dir = tmp_path_factory.mktemp("entities")
    result = crawl(demo_sites, data_dir, "demo-market")
    assert "linked " in result.stdout, result.stdout + result.stderr  # crawled and linked
    ids = {r["id"]: i for i, r in expected_ids(demo_sites, "demo-market").items()}
    yield data_dir, ids


def test_crawled_listings_carry_their_entities(crawled) -> None:
    data_dir, ids = crawled
    store = open_store(data_dir)
    pistol = store.get(ids["mk-0901"])
    other = store.get(ids["mk-0001"])
    store.close()
    assert pistol is not None and other is not None
    found = Entities.from_json(pistol.entities)
    assert found.btc == (GHOSTWORKS_BTC,)
    assert found.pgp_fingerprints == (GHOSTWORKS_FINGERPRINT,)
    assert found.pgp_keys[0].user_ids == ("GhostWorks (orders only) <ghostworks@demo.invalid>",)
    assert "9x19mm" in found.calibers
    # every listing went through the step: all fields written, empty where nothing was found
    assert set(other.entities) == set(Entities().to_json())
    assert other.entities["btc"] == [] and other.entities["pgp_fingerprints"] == []


def test_an_unchanged_listing_keeps_its_entities_and_an_old_one_gets_them(
    crawled, demo_sites: DemoSites
) -> None:
    data_dir, ids = crawled
    marker = Entities(emails=("kept@example.org",)).to_json()
    with sqlite3.connect(data_dir / "armswatch.sqlite3") as db:
        db.execute(
            "UPDATE listings SET entities = ? WHERE id = ?", (json.dumps(marker), ids["mk-0901"])
        )
        # as stored by a version of armswatch without the entities step
        db.execute("UPDATE listings SET entities = '{}' WHERE id = ?", (ids["mk-0003"],))
    db.close()

    result = crawl(demo_sites, data_dir, "demo-market")

    assert "linked " in result.stdout, result.stdout + result.stderr  # crawled and linked
    store = open_store(data_dir)
    kept, old = store.get(ids["mk-0901"]), store.get(ids["mk-0003"])
    store.close()
    assert kept is not None and old is not None
    assert kept.entities == marker  # not extracted again: the text did not change
    assert old.entities == extract(old.title, old.text).to_json()
    assert old.entities["files"] == [{"name": None, "type": "STL", "design": None}]
