"""`armswatch crawl` links what it stored: the demo's GhostWorks sells on the market
and (as gw_direct) on the classifieds site with one PGP key and one Bitcoin
address, and posts its pistol on both; `armswatch vendors`, `vendor` and `link`
show and recompute it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from armswatch.demo import DemoSites
from armswatch.stores import Store
from tests.conftest import DEMO_CONFIG, cli_store, crawl, expected_ids, open_store, run_cli

GHOSTWORKS_FINGERPRINT = "094300B05F55ED1483F04F4BE4086D949F45D64E"
GHOSTWORKS_BTC = "1Jzs8MPkgLSf1wTDQNxhLiPxpLFgtATvg9"
SOURCES = ("demo-market", "demo-classifieds")


def record_ids(sites: DemoSites) -> dict[str, str]:
    """Listing ids by demo record id, on both sources."""
    return {r["id"]: i for s in SOURCES for i, r in expected_ids(sites, s).items()}


@pytest.fixture(scope="module")
def crawled(
    demo_sites: DemoSites, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Path, dict[str, str], dict[str, Any]]]:
    """Both markets crawled once into SQLite, with the crawl's JSON report."""
    data_dir = tmp_path_factory.mktemp("vendors")
    report = data_dir / "report.json"
    result = crawl(demo_sites, data_dir, *SOURCES, extra=("--report", report))
    assert "linked " in result.stdout, result.stdout + result.stderr
    yield data_dir, record_ids(demo_sites), json.loads(report.read_text())


def cli(data_dir: Path, *args: str):  # type: ignore[no-untyped-def]
    return run_cli("--config", DEMO_CONFIG, "--data-dir", data_dir, *args)


def assert_ghostworks(vendors: list[dict[str, Any]], ids: dict[str, str]) -> None:
    """One vendor: three listings on both markets, linked by the key and the address."""
    [ghost] = vendors
    pistol, repost, ammo = ids["mk-0901"], ids["cl-0901"], ids["cl-0902"]
    assert sorted(ghost["listing_ids"]) == sorted([pistol, repost, ammo])
    assert ghost["sources"] == ["demo-classifieds", "demo-market"]
    assert ghost["sellers"] == ["GhostWorks", "gw_direct"]
    assert ghost["labels"] == ["firearm", "ammunition"]
    evidence = {link["key"]: sorted(link["listing_ids"]) for link in ghost["links"]}
    assert evidence == {
        f"btc:{GHOSTWORKS_BTC}": sorted([pistol, repost, ammo]),
        f"pgp:{GHOSTWORKS_FINGERPRINT}": sorted([pistol, repost]),
    }


def assert_clusters(store: Store, ids: dict[str, str]) -> None:
    """The pistol and its re-post (new title, one edit) are one cluster; nothing else is."""
    pistol, repost, ammo = (store.get(ids[r]) for r in ("mk-0901", "cl-0901", "cl-0902"))
    assert pistol is not None and repost is not None and ammo is not None
    assert pistol.duplicate_cluster is not None
    assert repost.duplicate_cluster == pistol.duplicate_cluster
    assert ammo.duplicate_cluster is None  # same vendor and address, other text
    clustered = [listing.id for listing in store.iter_listings() if listing.duplicate_cluster]
    assert sorted(clustered) == sorted([pistol.id, repost.id])


def test_a_crawl_links_one_vendor_across_the_two_markets(crawled) -> None:
    data_dir, ids, report = crawled
    result = cli(data_dir, "vendors", "--json")
    assert result.returncode == 0, result.stderr
    assert_ghostworks([json.loads(line) for line in result.stdout.splitlines()], ids)
    linking = report["linking"]
    assert linking["ok"] and (linking["vendors"], linking["clusters"]) == (1, 1)
    assert linking["listings"] == len(ids)


def test_near_duplicates_across_the_sites_are_one_cluster(crawled) -> None:
    data_dir, ids, _ = crawled
    store = open_store(data_dir)
    try:
        assert_clusters(store, ids)
    finally:
        store.close()


def test_the_vendors_table_and_its_source_filter(crawled) -> None:
    data_dir, _, _ = crawled
    [vendor] = [json.loads(line) for line in cli(data_dir, "vendors", "--json").stdout.splitlines()]

    shown = cli(data_dir, "vendors")
    elsewhere = cli(data_dir, "vendors", "--source", "demo-forum")

    assert shown.returncode == 0, shown.stderr
    assert "1 vendor(s)" in shown.stdout and vendor["id"][:12] in shown.stdout
    for text in ("demo-market", "demo-classifieds", "GhostWorks", "gw_direct", "ammunition"):
        assert text in shown.stdout
    assert elsewhere.returncode == 0, elsewhere.stderr
    assert "0 vendor(s) with listings on demo-forum" in elsewhere.stdout
    assert "No vendors" in elsewhere.stdout
    assert cli(data_dir, "vendors", "--source", "demo-market", "--json").stdout.strip()


def test_a_vendor_by_its_short_id_shows_its_listings_and_the_evidence(crawled) -> None:
    data_dir, ids, _ = crawled
    [vendor] = [json.loads(line) for line in cli(data_dir, "vendors", "--json").stdout.splitlines()]

    shown = cli(data_dir, "vendor", vendor["id"][:8])
    as_json = cli(data_dir, "vendor", vendor["id"][:8], "--json")

    assert shown.returncode == 0, shown.stderr
    for text in (
        "Glock 19 Gen 4, two mags, tracked shipping",
        "G19 pistol + 2 magazines, ships tracked",
        "Sellier & Bellot 9x19 FMJ, 1000 rounds",
        f"btc:{GHOSTWORKS_BTC}",
        f"pgp:{GHOSTWORKS_FINGERPRINT}",
        ids["cl-0902"][:12],
    ):
        assert text in shown.stdout
    record = json.loads(as_json.stdout)
    assert record["id"] == vendor["id"]
    listings = {listing["id"]: listing for listing in record["listings"]}
    assert listings[ids["mk-0901"]]["source"] == "demo-market"
    assert listings[ids["cl-0901"]]["seller"] == "gw_direct"
    assert all(listing["first_seen"] and listing["last_seen"] for listing in listings.values())


def test_an_unknown_vendor_exits_not_found(crawled) -> None:
    data_dir, _, _ = crawled
    result = cli(data_dir, "vendor", "ffffffffff")
    assert result.returncode == 3
    assert "no vendor with id 'ffffffffff'" in result.stderr
    assert "armswatch vendors" in result.stderr


def test_link_again_finds_the_same_and_changes_nothing(crawled) -> None:
    data_dir, ids, _ = crawled
    result = cli(data_dir, "link", "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary == {
        "listings": len(ids),
        "vendors": 1,
        "linked_listings": 3,
        "clusters": 1,
        "clustered_listings": 2,
        "changed": 0,
    }
    shown = cli(data_dir, "link")
    assert shown.returncode == 0 and "1 vendor(s) over 3 listings" in shown.stdout


def test_the_same_links_in_elasticsearch(demo_sites: DemoSites, tmp_path: Path) -> None:
    with cli_store("elasticsearch", tmp_path) as store:
        result = crawl(demo_sites, store.data_dir, *SOURCES, env=store.env)
        assert "linked " in result.stdout, result.stdout + result.stderr
        vendors = run_cli(
            "--config", DEMO_CONFIG, "--data-dir", store.data_dir, "vendors", "--json",
            env=store.env,
        )  # fmt: skip
        assert vendors.returncode == 0, vendors.stderr
        ids = record_ids(demo_sites)
        assert_ghostworks([json.loads(line) for line in vendors.stdout.splitlines()], ids)
        opened = store.open()
        try:
            assert_clusters(opened, ids)
        finally:
            opened.close()
