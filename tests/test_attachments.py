"""Attached files: fetched only where a source opts in, through the crawl's own
downloader, kept read-only in the quarantine, archives listed in memory within
caps, and hash-list matches flagging the listing. A small file-sharing site on
127.0.0.1 serves dummy bytes as files; crawls run as a user runs them."""

from __future__ import annotations

import gzip
import hashlib
import io
import stat
import tarfile
import tracemalloc
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from armswatch.archives import list_members
from armswatch.config.errors import ConfigError
from armswatch.config.models import AttachmentCaps
from armswatch.demo.server import NOT_FOUND, Response, SiteServer
from armswatch.hashlists import load_hashlists
from armswatch.listing import Attachment, Listing, listing_id
from tests.conftest import REPO, audit_events, open_store, run_cli

MIB = 1024 * 1024
FILE_CAP = 1_000_000
"""attachment_caps.max_file_bytes of the fetching test source."""


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def zip_of(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def tar_gz_of(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return out.getvalue()


def zip_bomb(megabytes: int = 200) -> bytes:
    """One member of `megabytes` MiB of zeros, deflated to about a thousandth;
    written in chunks, so the test itself never holds it."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive,
        archive.open("zeros.bin", "w", force_zip64=True) as member,
    ):
        chunk = bytes(MIB)
        for _ in range(megabytes):
            member.write(chunk)
    return out.getvalue()


class _Zeros(io.RawIOBase):
    def __init__(self, size: int) -> None:
        self.left = size

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray) -> int:
        size = min(len(buffer), self.left)
        buffer[:size] = bytes(size)
        self.left -= size
        return size


def tar_gz_bomb(megabytes: int = 50) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as archive:
        info = tarfile.TarInfo("zeros.bin")
        info.size = megabytes * MIB
        archive.addfile(info, _Zeros(info.size))
    return out.getvalue()


# Dummy bytes standing in for files: none is a model, drawing or program.
GNOME = b"solid gnome\n  dummy bytes standing in for a benign figurine model\nendsolid\n"
KIT_MEMBERS = {
    "kit/readme.txt": b"dummy readme\n",
    "kit/part-a.bin": b"dummy part a " * 50,
    "kit/inner.zip": zip_of({"deep.txt": b"dummy nested member\n"}),
}
KIT_ZIP = zip_of(KIT_MEMBERS)
KIT_TAR = tar_gz_of({"a.txt": b"dummy a\n", "b/c.txt": b"dummy c\n"})
BIG = b"\x00dummy-big" * 200_000  # 2 MB: over FILE_CAP
BOMB = zip_bomb()
FILES = {
    "/files/gnome.stl": GNOME,
    "/files/kit.zip": KIT_ZIP,
    "/files/kit.tar.gz": KIT_TAR,
    "/files/big.bin": BIG,
    "/files/bomb.zip": BOMB,
    "/private/held.stl": b"dummy held back by robots.txt\n",
    **{f"/files/note-{n}.txt": f"dummy note {n}\n".encode() for n in range(1, 5)},
}
LISTINGS = {
    "gnome": (
        "Garden gnome figurine, printable",
        "A cheerful garden gnome for your flower bed. Prints without supports.",
        ["/files/gnome.stl"],
    ),
    "kits": (
        "Bird house kit instructions",
        "Wooden bird house, assembly notes and parts list.",
        ["/files/kit.zip", "/files/kit.tar.gz"],
    ),
    "big": ("Lamp shade, large", "A large lamp shade model.", ["/files/big.bin"]),
    "bomb": ("Vase collection", "Twelve vases in one archive.", ["/files/bomb.zip"]),
    "broken": (
        "Plant pot set",
        "Plant pots, mirrored by torrent too.",
        [
            "/files/gone.zip",
            "magnet:?xt=urn:btih:0123456789abcdef&dn=pots.zip",
            "/private/held.stl",
        ],
    ),
    "notes": (
        "Sewing patterns",
        "Four pattern notes.",
        [f"/files/note-{n}.txt" for n in range(1, 5)],
    ),
}


def file_name(link: str) -> str:
    """How the site names a file: the path's last segment, or a magnet's `dn`."""
    return link.rpartition("/")[2].rpartition("=")[2]


class FileSite:
    """A file-sharing site: a list page, one page per listing, and its files."""

    name = "files"
    robots_txt = "User-agent: *\nDisallow: /private/\n"

    def respond(self, path: str, query: dict[str, list[str]]) -> Response:
        if path == "/":
            links = "".join(f'<a class="listing" href="/l/{key}">{key}</a>' for key in LISTINGS)
            return Response(f"<!DOCTYPE html><title>files</title>{links}".encode())
        if path.startswith("/l/") and path[3:] in LISTINGS:
            title, text, files = LISTINGS[path[3:]]
            items = "".join(f'<li><a href="{f}">{file_name(f)}</a></li>' for f in files)
            page = (
                f"<!DOCTYPE html><title>{title}</title><h1>{title}</h1>"
                f'<div class="text">{text}</div><ul class="files">{items}</ul>'
            )
            return Response(page.encode())
        if path in FILES:
            return Response(FILES[path], content_type="application/octet-stream")
        return NOT_FOUND


SOURCE = """
name: {name}
kind: file_sharing
start_urls: ["${{ATTACHMENTS_TEST_SITE:-http://127.0.0.1:9}}/"]
allowed_domains: [127.0.0.1]
listings:
  links: "a.listing::attr(href)"
fields:
  title: "h1::text"
  text: "div.text"
  attachments: "ul.files a"
"""
FETCHING = f"""
fetch_attachments: true
attachment_caps:
  max_file_bytes: {FILE_CAP}
  max_files_per_listing: 3
"""
SETTINGS = f"""
store: sqlite
classifier:
  kind: rules
  watchlist: {REPO / "config" / "watchlist.yaml"}
crawl:
  user_agent: "armswatch tests (attachments; loopback only)"
  delay: 0
  autothrottle: false
  concurrency_per_domain: 8
  timeout: 10
  retries: 0
"""
KNOWN_LIST = f"""# Known files (test): dummy bytes only.
{sha256(GNOME).upper()} blueprints
{sha256(KIT_MEMBERS["kit/part-a.bin"])} parts   # a member of kit.zip
"""


def config_dir(root: Path, hashlists: dict[str, str]) -> Path:
    """A config directory with a source that fetches files and one that does not."""
    (root / "sources").mkdir(parents=True)
    (root / "armswatch.yaml").write_text(SETTINGS)
    (root / "sources" / "files-off.yaml").write_text(SOURCE.format(name="files-off"))
    (root / "sources" / "files-on.yaml").write_text(SOURCE.format(name="files-on") + FETCHING)
    (root / "hashlists").mkdir()
    for name, text in hashlists.items():
        (root / "hashlists" / name).write_text(text)
    return root


@dataclass
class Crawled:
    server: SiteServer
    site: str
    config: Path
    off: Path
    on: Path
    requests_off: list[str]
    requests_on: list[str]
    stored: dict[str, Listing] = field(default_factory=dict)
    """The fetching source's listings by key of LISTINGS."""

    def attachment(self, key: str, path: str) -> Attachment:
        return next(a for a in self.stored[key].attachments if a.url.endswith(path))


def crawl_files(crawled: Crawled, source: str, data_dir: Path) -> None:
    result = run_cli(
        "--config",
        crawled.config,
        "--data-dir",
        data_dir,
        "crawl",
        source,
        env={"ATTACHMENTS_TEST_SITE": crawled.site},
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Crawled]:
    """The site crawled by the source without fetching, then by the one with."""
    root = tmp_path_factory.mktemp("attachments")
    server = SiteServer(FileSite())
    server.start()
    try:
        config = config_dir(root / "config", {"known.txt": KNOWN_LIST})
        crawled = Crawled(server, server.url, config, root / "off", root / "on", [], [])
        crawl_files(crawled, "files-off", crawled.off)
        crawled.requests_off = server.requests()
        crawl_files(crawled, "files-on", crawled.on)
        crawled.requests_on = server.requests()[len(crawled.requests_off) :]
        store = open_store(crawled.on)
        ids = {listing_id("files-on", f"{server.url}/l/{key}"): key for key in LISTINGS}
        crawled.stored = {ids[id_]: listing for id_, listing in store.get_many(ids).items()}
        store.close()
        yield crawled
    finally:
        server.stop()


def test_default_fetches_nothing(crawled: Crawled) -> None:
    assert crawled.requests_off, "the site was not crawled"
    assert not [p for p in crawled.requests_off if p.startswith(("/files/", "/private/"))]
    store = open_store(crawled.off)
    gnome = store.get(listing_id("files-off", f"{crawled.site}/l/gnome"))
    store.close()
    assert gnome is not None
    assert [(a.name, a.sha256, a.fetch_error) for a in gnome.attachments] == [
        ("gnome.stl", None, None)
    ]
    assert gnome.labels == []  # the classifier reads a garden gnome
    assert not (crawled.off / "quarantine").exists()


def test_fetched_file_quarantined_read_only(crawled: Crawled) -> None:
    attachment = crawled.attachment("gnome", "/files/gnome.stl")
    assert attachment.fetch_error is None
    assert (attachment.sha256, attachment.bytes) == (sha256(GNOME), len(GNOME))
    assert attachment.quarantine_path == f"quarantine/{sha256(GNOME)[:2]}/{sha256(GNOME)}"
    kept = crawled.on / attachment.quarantine_path
    assert kept.read_bytes() == GNOME
    assert stat.S_IMODE(kept.stat().st_mode) == 0o400
    assert "/files/gnome.stl" in crawled.requests_on
    url = f"{crawled.site}/files/gnome.stl"
    audited = [e for e in audit_events(crawled.on, "files-on") if e.get("url") == url]
    assert [(e["event"], e["status"], e["bytes"]) for e in audited] == [
        ("fetched", 200, len(GNOME))
    ]


def test_file_over_cap_refused_nothing_kept(crawled: Crawled) -> None:
    attachment = crawled.attachment("big", "/files/big.bin")
    assert attachment.sha256 is None and attachment.quarantine_path is None
    assert "attachment_caps.max_file_bytes" in (attachment.fetch_error or "")
    kept = list((crawled.on / "quarantine").rglob("*"))
    assert all(path.stat().st_size < FILE_CAP for path in kept if path.is_file())
    assert not [path for path in kept if path.name.endswith(".part")]


def test_archive_members_listed_with_hashes(crawled: Crawled) -> None:
    kit = crawled.attachment("kits", "/files/kit.zip")
    assert kit.fetch_error is None
    assert [(m.name, m.size, m.sha256) for m in kit.members] == [
        (name, len(data), sha256(data)) for name, data in KIT_MEMBERS.items()
    ]  # inner.zip is hashed, not opened
    tar = crawled.attachment("kits", "/files/kit.tar.gz")
    assert [(m.name, m.sha256) for m in tar.members] == [
        ("a.txt", sha256(b"dummy a\n")),
        ("b/c.txt", sha256(b"dummy c\n")),
    ]
    assert not list((crawled.on / "quarantine").rglob("readme.txt"))


def test_zip_bomb_refused_in_a_crawl(crawled: Crawled) -> None:
    bomb = crawled.attachment("bomb", "/files/bomb.zip")
    assert bomb.sha256 == sha256(BOMB)  # the download itself is small, and kept
    assert [(m.name, m.size, m.sha256) for m in bomb.members] == [("zeros.bin", 200 * MIB, None)]
    assert "zip bomb" in (bomb.fetch_error or "")
    assert "attachment_caps.max_compression_ratio" in (bomb.fetch_error or "")
    written = sum(p.stat().st_size for p in crawled.on.rglob("*") if p.is_file())
    assert written < 50 * MIB


def test_failures_recorded_listing_kept(crawled: Crawled) -> None:
    listing = crawled.stored["broken"]
    errors = {a.name: a.fetch_error for a in listing.attachments}
    assert errors["gone.zip"] == "could not be fetched: HTTP 404"
    assert errors["pots.zip"] == "not fetchable: a magnet link, not a web address"
    assert errors["held.stl"].startswith("not fetched: ")
    assert "robots.txt" in errors["held.stl"]
    assert "/private/held.stl" not in crawled.requests_on
    audited = {
        (e["event"], e["url"].rpartition("/")[2])
        for e in audit_events(crawled.on, "files-on")
        if "url" in e
    }
    assert {
        ("refused", "held.stl"),
        ("fetch_failed", "big.bin"),
        ("fetched", "gone.zip"),
    } <= audited
    assert listing.title == "Plant pot set"


def test_files_per_listing_capped(crawled: Crawled) -> None:
    notes = crawled.stored["notes"].attachments
    assert [a.sha256 is not None for a in notes] == [True, True, True, False]
    assert notes[3].fetch_error == (
        "not fetched: the listing links more than 3 files (attachment_caps.max_files_per_listing)"
    )
    assert "/files/note-4.txt" not in crawled.requests_on


def test_hash_list_match_flags_benign_listing(crawled: Crawled) -> None:
    gnome = crawled.stored["gnome"]
    digest = sha256(GNOME)
    assert [
        (m.sha256, m.label, m.hashlist, m.member) for m in gnome.attachments[0].hash_matches
    ] == [(digest, "blueprints", "known.txt", None)]
    assert gnome.labels == ["blueprints"]
    assert gnome.scores["blueprints"] == 1.0 and gnome.threat_score == 1.0
    assert f"hash list known.txt: {digest} (gnome.stl)" in gnome.explanations["blueprints"]
    kits = crawled.stored["kits"]
    member = sha256(KIT_MEMBERS["kit/part-a.bin"])
    assert kits.labels == ["parts"]
    assert f"hash list known.txt: {member} (kit.zip/kit/part-a.bin)" in kits.explanations["parts"]


def test_unchanged_listings_keep_results_without_fetching_again(crawled: Crawled) -> None:
    before = len(crawled.server.requests())
    crawl_files(crawled, "files-on", crawled.on)
    again = crawled.server.requests()[before:]
    assert "/l/gnome" in again
    assert not [path for path in again if path.startswith("/files/")]
    store = open_store(crawled.on)
    gnome = store.get(listing_id("files-on", f"{crawled.site}/l/gnome"))
    store.close()
    assert gnome is not None and gnome.version == 1
    assert gnome.attachments[0].sha256 == sha256(GNOME)
    assert gnome.labels == ["blueprints"]


def test_archive_listing_memory_bounded_for_bombs() -> None:
    caps = AttachmentCaps()
    bombs = (BOMB, tar_gz_bomb())
    tracemalloc.start()
    try:
        for bomb in bombs:
            tracemalloc.reset_peak()
            listed = list_members(bomb, caps)
            assert listed is not None and "zip bomb" in (listed.problem or "")
            assert listed.members[0].sha256 is None
            assert tracemalloc.get_traced_memory()[1] < 20 * MIB
    finally:
        tracemalloc.stop()


def test_declared_total_over_cap_refused() -> None:
    caps = AttachmentCaps(max_compression_ratio=10_000, max_total_uncompressed_bytes=10 * MIB)
    listed = list_members(zip_bomb(megabytes=11), caps)
    assert listed is not None
    assert "attachment_caps.max_total_uncompressed_bytes" in (listed.problem or "")
    assert "declare" in (listed.problem or "")


def test_member_over_cap_listed_unhashed() -> None:
    caps = AttachmentCaps(max_member_bytes=100)
    listed = list_members(zip_of({"small.txt": b"dummy", "large.bin": b"dummy" * 100}), caps)
    assert listed is not None
    assert [(m.name, m.sha256 is None) for m in listed.members] == [
        ("small.txt", False),
        ("large.bin", True),
    ]
    assert listed.problem == "1 member(s) not hashed: over attachment_caps.max_member_bytes (1)"


def test_archive_with_too_many_members_listed_no_further() -> None:
    members = {f"note-{n}.txt": b"dummy" for n in range(5)}
    caps = AttachmentCaps(max_archive_members=3)
    tar = list_members(tar_gz_of(members), caps)
    assert tar is not None
    assert [m.name for m in tar.members] == ["note-0.txt", "note-1.txt", "note-2.txt"]
    assert "attachment_caps.max_archive_members" in (tar.problem or "")
    zipped = list_members(zip_of(members), caps)  # its directory is not parsed at all
    assert zipped is not None and zipped.members == []
    assert "attachment_caps.max_archive_members" in (zipped.problem or "")


def test_non_archives_have_no_members() -> None:
    assert list_members(GNOME, AttachmentCaps()) is None
    assert list_members(gzip.compress(GNOME), AttachmentCaps()) is None


def test_malformed_hash_list_is_a_clear_config_error(tmp_path: Path) -> None:
    bad = f"# fine so far\n{sha256(GNOME)} blueprints\n{sha256(GNOME)[:60]} blueprints\n"
    bad += f"{sha256(BIG)} gnome\n"
    config = config_dir(tmp_path / "config", {"known.txt": KNOWN_LIST, "bad.txt": bad})
    with pytest.raises(ConfigError) as raised:
        load_hashlists(config / "hashlists")
    assert [(p.file.name, p.field) for p in raised.value.problems] == [
        ("bad.txt", "line 3"),
        ("bad.txt", "line 4"),
    ]
    result = run_cli("--config", config, "config", "check")
    assert result.returncode == 2
    assert f"{config / 'hashlists' / 'bad.txt'}: line 3: 'SHA256 LABEL'" in result.stderr
    assert "then one of firearm, parts, ammunition, blueprints" in result.stderr
    assert "line 4" in result.stderr


def test_attachment_caps_need_fetch_attachments(tmp_path: Path) -> None:
    config = config_dir(tmp_path / "config", {})
    off = config / "sources" / "files-off.yaml"
    off.write_text(off.read_text() + "attachment_caps: {max_file_bytes: 10}\n")
    result = run_cli("--config", config, "config", "check")
    assert result.returncode == 2
    assert "'attachment_caps:' options apply with 'fetch_attachments: true'" in result.stderr
