"""Evidence of what was online: a real crawl of the demo market keeps every
listing's raw page and, for flagged listings, a WARC of the page's request and
response, listed in per-listing manifests; `armswatch evidence` exports them
and verifies every hash; a changed listing's new capture is added, the first kept."""

from __future__ import annotations

import gzip
import hashlib
import json
import shutil
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from warcio.archiveiterator import ArchiveIterator

from armswatch import __version__
from armswatch.cli.context import Exit
from armswatch.demo import DemoSites
from armswatch.listing import Listing
from armswatch.stores import SearchQuery
from tests.conftest import DEMO_CONFIG, crawl, expected_ids, open_store, run_cli

SOURCE = "demo-market"
CHANGED_IN_EDITION_2 = {"mk-0049", "mk-0020"}


@pytest.fixture(scope="module")
def sites() -> Iterator[DemoSites]:
    """Sites of this module's own: one test switches them to edition 2."""
    with DemoSites() as demo:
        yield demo


@pytest.fixture(scope="module")
def data_dir(sites: DemoSites, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One crawl of the demo market, read (never changed) by the tests below."""
    directory = tmp_path_factory.mktemp("evidence")
    result = crawl(sites, directory, SOURCE)
    assert result.returncode == 0, result.stdout + result.stderr
    return directory


def stored_listings(data_dir: Path) -> list[Listing]:
    store = open_store(data_dir)
    try:
        return store.search(SearchQuery(sources=(SOURCE,), limit=10_000)).listings
    finally:
        store.close()


def manifest_of(data_dir: Path, listing_id: str) -> dict[str, Any]:
    path = data_dir / "evidence" / "listings" / listing_id / "manifest.json"
    manifest: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return manifest


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_warc(path: Path) -> dict[str, tuple[Any, Any, bytes]]:
    """Per record type: its WARC headers, HTTP headers and payload."""
    with path.open("rb") as stream:
        return {
            record.rec_type: (
                record.rec_headers,
                record.http_headers,
                record.content_stream().read(),
            )
            for record in ArchiveIterator(stream)
        }


def evidence_cli(data_dir: Path, *args: str | Path) -> Any:
    return run_cli("--config", DEMO_CONFIG, "--data-dir", data_dir, "evidence", *args)


def flagged_listing(data_dir: Path) -> Listing:
    return next(listing for listing in stored_listings(data_dir) if listing.labels)


def test_manifests_list_raw_pages_and_warcs_of_flagged_listings(data_dir: Path) -> None:
    listings = stored_listings(data_dir)
    flagged = [listing for listing in listings if listing.labels]
    assert flagged and len(flagged) < len(listings)
    for listing in listings:
        manifest = manifest_of(data_dir, listing.id)
        assert (manifest["listing_id"], manifest["url"]) == (listing.id, listing.url)
        for entry in manifest["files"]:
            kept = (data_dir / entry["path"]).read_bytes()
            assert (sha256(kept), len(kept)) == (entry["sha256"], entry["size"])
            assert entry["raw_sha256"] == listing.raw_sha256
            assert entry["url"] == listing.url
            assert entry["listing_version"] == listing.version == 1
            assert entry["crawler_version"] == __version__
            assert "armswatch" in entry["user_agent"]
            captured = datetime.fromisoformat(entry["captured_at"])
            assert captured.utcoffset() == timedelta(0)
            assert captured == datetime.fromisoformat(listing.first_seen or "")
        raw = [e for e in manifest["files"] if e["kind"] == "raw_page"]
        assert len(raw) == 1
        assert sha256(gzip.decompress((data_dir / raw[0]["path"]).read_bytes())) == (
            listing.raw_sha256
        )
        warcs = [e for e in manifest["files"] if e["kind"] == "warc"]
        assert len(warcs) == (1 if listing.labels else 0)
        if not listing.labels:
            continue
        records = read_warc(data_dir / warcs[0]["path"])
        assert set(records) == {"warcinfo", "response", "request"}
        warc_headers, http, payload = records["response"]
        assert warc_headers.get_header("WARC-Target-URI") == listing.url
        assert sha256(payload) == listing.raw_sha256
        assert http.get_statuscode() == "200"
        assert http.get_header("Content-Type", "").startswith("text/html")
        date = datetime.fromisoformat(warc_headers.get_header("WARC-Date").replace("Z", "+00:00"))
        assert date == datetime.fromisoformat(listing.first_seen or "")
        request_headers, request, _ = records["request"]
        assert request_headers.get_header("WARC-Target-URI") == listing.url
        assert request_headers.get_header("WARC-Concurrent-To") == warc_headers.get_header(
            "WARC-Record-ID"
        )
        assert request.protocol == "GET"
        assert "armswatch" in request.get_header("User-Agent")
    # Pages of listings that are not flagged were let go: no WARC was written for them.
    assert len(list((data_dir / "evidence" / "warc").rglob("*.warc.gz"))) == len(flagged)


def test_evidence_bundle_is_written_and_verifies(data_dir: Path, tmp_path: Path) -> None:
    listing = flagged_listing(data_dir)
    out = tmp_path / "bundle"
    result = evidence_cli(data_dir, listing.id[:10], "--out", out)
    assert result.returncode == 0, result.stderr
    assert "verified" in result.stdout
    manifest = manifest_of(data_dir, listing.id)
    assert json.loads((out / "manifest.json").read_text(encoding="utf-8")) == manifest
    assert {e["kind"] for e in manifest["files"]} == {"raw_page", "warc"}
    for entry in manifest["files"]:
        assert (out / entry["path"]).read_bytes() == (data_dir / entry["path"]).read_bytes()
        if entry["kind"] == "raw_page":
            page = (out / entry["path"]).with_suffix("").read_bytes()
            assert sha256(page) == listing.raw_sha256
    for line in (out / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split("  ", 1)
        assert sha256((out / name).read_bytes()) == digest, name
    summary = (out / "summary.txt").read_text(encoding="utf-8")
    for fact in (
        listing.url,
        listing.raw_sha256 or "",
        *listing.labels,
        *manifest_hashes(manifest),
    ):
        assert fact in summary


def manifest_hashes(manifest: dict[str, Any]) -> list[str]:
    return [entry["sha256"] for entry in manifest["files"]]


@pytest.mark.parametrize("kind", ["raw_page", "warc"])
def test_a_changed_evidence_file_fails_verification(
    data_dir: Path, tmp_path: Path, kind: str
) -> None:
    copy = tmp_path / "data"
    shutil.copytree(data_dir, copy)
    listing = flagged_listing(copy)
    entry = next(e for e in manifest_of(copy, listing.id)["files"] if e["kind"] == kind)
    path = copy / entry["path"]
    damaged = bytearray(path.read_bytes())
    damaged[len(damaged) // 2] ^= 0x01
    path.write_bytes(bytes(damaged))

    result = evidence_cli(copy, listing.id, "--out", tmp_path / "bundle")
    assert result.returncode == Exit.EVIDENCE_MISMATCH, result.stdout + result.stderr
    assert entry["path"] in result.stderr
    assert "do not match the manifest" in result.stderr
    assert "NOT VERIFIED" in (tmp_path / "bundle" / "summary.txt").read_text(encoding="utf-8")


def test_no_evidence_for_an_unknown_listing(data_dir: Path, tmp_path: Path) -> None:
    result = evidence_cli(data_dir, "0" * 32, "--out", tmp_path / "bundle")
    assert result.returncode == Exit.NOT_FOUND
    assert "no listing with id" in result.stderr
    assert not (tmp_path / "bundle").exists()


def test_a_changed_listing_adds_its_new_capture(
    sites: DemoSites, data_dir: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "data"
    shutil.copytree(data_dir, copy)
    sites.set_edition(2)
    try:
        result = crawl(sites, copy, SOURCE)
    finally:
        sites.set_edition(1)
    assert result.returncode == 0, result.stdout + result.stderr

    changed = {
        lid for lid, r in expected_ids(sites, SOURCE).items() if r["id"] in CHANGED_IN_EDITION_2
    }
    assert len(changed) == len(CHANGED_IN_EDITION_2)
    first_crawl = {listing.id for listing in stored_listings(data_dir)}
    flagged_changes = 0
    for listing in stored_listings(copy):
        after = manifest_of(copy, listing.id)["files"]
        if listing.id not in first_crawl:  # new in edition 2
            assert {e["listing_version"] for e in after} == {1}
            continue
        before = manifest_of(data_dir, listing.id)["files"]
        assert after[: len(before)] == before  # the first capture is kept as it was
        added = after[len(before) :]
        if listing.id not in changed:
            assert all(e["kind"] == "raw_page" and e["listing_version"] == 1 for e in added)
            continue
        assert listing.version == 2
        assert {e["listing_version"] for e in added} == {2}
        raw = [e for e in added if e["kind"] == "raw_page"]
        assert [e["raw_sha256"] for e in raw] == [listing.raw_sha256]
        assert len([e for e in added if e["kind"] == "warc"]) == (1 if listing.labels else 0)
        flagged_changes += bool(listing.labels)
        out = tmp_path / f"bundle-{listing.id}"
        export = evidence_cli(copy, listing.id, "--out", out)
        assert export.returncode == 0, export.stderr
        for entry in after:
            assert (out / entry["path"]).is_file()
    assert flagged_changes
