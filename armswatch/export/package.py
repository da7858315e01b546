"""A case evidence package: one ZIP file to hand a case to prosecutors or a partner agency.

It holds each listing's evidence bundle (as `armswatch evidence` writes it),
the listings as CSV, JSON Lines and STIX 2.1, an index page, MANIFEST.json
(the SHA-256 and size of every file, the case, who exported it and when) and
SHA256SUMS, so that the receiver can check with `sha256sum -c` that nothing
changed since, without armswatch.

    index.html
    listings.csv  listings.jsonl  bundle.stix.json
    evidence/<listing id>/...          (manifest.json, summary.txt, SHA256SUMS, files)
    MANIFEST.json  SHA256SUMS
"""

from __future__ import annotations

import hashlib
import json
import tempfile
import zipfile
import zlib
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from armswatch import __version__
from armswatch.evidence import EvidenceError, EvidenceLocker
from armswatch.export.index_page import Entry, index_html
from armswatch.export.newfile import new_file
from armswatch.export.stix import write_stix
from armswatch.export.tabular import write_csv, write_jsonl
from armswatch.listing import Listing
from armswatch.stores import ListingVersion, Review

PACKAGE_FORMAT = 1
MANIFEST = "MANIFEST.json"
CHECKSUMS = "SHA256SUMS"
EVIDENCE = "evidence"
CHUNK = 1 << 20


class PackageError(Exception):
    """The package was not written; the message says why and what to do."""


@dataclass(frozen=True)
class PackageReport:
    path: Path
    listings: int
    files: int
    """Files in the package, MANIFEST.json and SHA256SUMS included."""
    without_evidence: list[str]
    """Listing ids with no kept evidence (still listed in the package)."""


def write_case_package(
    name: str,
    listings: Sequence[Listing],
    locker: EvidenceLocker,
    out: Path,
    *,
    exported_by: str,
    description: str = "",
    versions: Mapping[str, list[ListingVersion]] | None = None,
    verdicts: Mapping[str, Review] | None = None,
    on_listing: Callable[[Listing], None] | None = None,
) -> PackageReport:
    """Write the case's package to `out` (FileExistsError if it exists). Every evidence
    file is verified against its manifest as it is copied: PackageError, and no
    package, when one does not match. `on_listing` is called after each listing's
    evidence (for progress)."""
    if out.exists():
        raise FileExistsError(f"{out} already exists")
    versions, verdicts = versions or {}, verdicts or {}
    exported_at = datetime.now(UTC).isoformat(timespec="seconds")
    with tempfile.TemporaryDirectory(prefix=".armswatch-package-", dir=out.parent) as tmp:
        stage = Path(tmp)
        entries = []
        for listing in listings:
            bundle = _copy_evidence(locker, listing, versions.get(listing.id, []), stage)
            entries.append(Entry(listing, verdicts.get(listing.id), bundle))
            if on_listing is not None:
                on_listing(listing)
        for file_name, writer, encoding in (
            ("listings.csv", write_csv, "utf-8-sig"),  # the mark tells spreadsheets it is UTF-8
            ("listings.jsonl", write_jsonl, "utf-8"),
            ("bundle.stix.json", write_stix, "utf-8"),
        ):
            with (stage / file_name).open("w", encoding=encoding, newline="") as text:
                writer(listings, text, verdicts)
        page = index_html(
            name, description, entries, exported_by=exported_by, exported_at=exported_at
        )
        (stage / "index.html").write_text(page, encoding="utf-8")
        files = [_file_entry(stage, path) for path in sorted(stage.rglob("*")) if path.is_file()]
        manifest = {
            "package_format": PACKAGE_FORMAT,
            "case": {"name": name, "description": description},
            "exported_by": exported_by,
            "exported_at": exported_at,
            "armswatch_version": __version__,
            "listings": [
                {"id": e.listing.id, "url": e.listing.url, "evidence": e.evidence} for e in entries
            ],
            "files": files,
        }
        manifest_data = (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode()
        sums = [*files, {"path": MANIFEST, "sha256": _sha256(manifest_data)}]
        sums_data = "".join(f"{f['sha256']}  {f['path']}\n" for f in sums).encode()
        with new_file(out) as binary, zipfile.ZipFile(binary, "w", zipfile.ZIP_DEFLATED) as zf:
            for entry in files:
                zf.write(stage / entry["path"], entry["path"])
            zf.writestr(MANIFEST, manifest_data)
            zf.writestr(CHECKSUMS, sums_data)
    return PackageReport(
        path=out,
        listings=len(entries),
        files=len(files) + 2,
        without_evidence=[e.listing.id for e in entries if e.evidence is None],
    )


def verify_package(path: Path) -> list[str]:
    """Problems found re-hashing every member against MANIFEST.json and SHA256SUMS
    (a changed, missing, added or doubled file); [] when every hash matches."""
    try:
        with zipfile.ZipFile(path) as zf:
            return _problems(zf)
    except (OSError, zipfile.BadZipFile) as exc:
        return [f"{path} cannot be read as a ZIP file ({exc})"]


def _problems(zf: zipfile.ZipFile) -> list[str]:
    names = Counter(info.filename for info in zf.infolist() if not info.is_dir())
    problems = [f"{name}: in the package {n} times" for name, n in names.items() if n > 1]
    try:
        manifest = json.loads(zf.read(MANIFEST))
        listed = {f["path"]: (f["sha256"], f["size"]) for f in manifest["files"]}
    except (KeyError, TypeError):
        return [*problems, f"{MANIFEST} is missing or incomplete: this is not a case package"]
    except ValueError as exc:
        return [*problems, f"{MANIFEST} is not valid JSON ({exc})"]
    found = {}
    for name in names:
        try:
            found[name] = _member_hash(zf, name)
        except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
            problems.append(f"{name}: cannot be read ({exc})")
    for name, expected in listed.items():
        if name not in names:
            problems.append(f"{name}: listed in {MANIFEST} but missing")
        elif name not in found:
            continue  # unreadable: reported above
        elif found[name] != expected:
            (sha256, size), (listed_sha256, listed_size) = found[name], expected
            problems.append(
                f"{name}: SHA-256 {sha256} ({size} bytes) differs from {MANIFEST}'s "
                f"{listed_sha256} ({listed_size} bytes)"
            )
    problems += [
        f"{name}: not listed in {MANIFEST}"
        for name in names
        if name not in listed and name not in (MANIFEST, CHECKSUMS)
    ]
    problems += _checksum_problems(zf, found)
    return problems


def _checksum_problems(zf: zipfile.ZipFile, found: Mapping[str, tuple[str, int]]) -> list[str]:
    """SHA256SUMS must name every other file with the hash it has."""
    if CHECKSUMS not in found:
        return [f"{CHECKSUMS}: missing"]
    sums = {}
    for line in zf.read(CHECKSUMS).decode("utf-8", "replace").splitlines():
        sha256, _, name = line.partition("  ")
        sums[name] = sha256
    problems = []
    for name, (sha256, _) in found.items():
        if name != CHECKSUMS and sums.get(name) != sha256:
            problems.append(f"{name}: its SHA-256 {sha256} is not the one in {CHECKSUMS}")
    return problems


def _copy_evidence(
    locker: EvidenceLocker, listing: Listing, versions: list[ListingVersion], stage: Path
) -> str | None:
    """Write the listing's evidence bundle into the package; its folder there, or None
    when no evidence is kept for it."""
    try:
        manifest = locker.read(listing.id)
    except EvidenceError as exc:
        raise PackageError(
            f"{exc}, in {locker.data_dir}: the evidence of listing {listing.id} cannot be "
            "packaged until it can be read; check the file's permissions, or restore it from "
            "a backup of the data directory."
        ) from exc
    if manifest is None:
        return None
    folder = f"{EVIDENCE}/{listing.id}/"
    problems = locker.bundle(listing, versions, manifest, stage / folder)
    if problems:
        raise PackageError(
            f"{len(problems)} evidence file(s) of listing {listing.id} do not match its "
            f"manifest: {'; '.join(map(str, problems))} (paths relative to "
            f"{locker.data_dir}). They were changed or damaged after capture and must not be "
            "handed over: restore them from a backup of the data directory, or take the "
            "listing out of the case, and export again."
        )
    return folder


def _file_entry(root: Path, path: Path) -> dict[str, Any]:
    data = path.read_bytes()
    return {"path": path.relative_to(root).as_posix(), "sha256": _sha256(data), "size": len(data)}


def _member_hash(zf: zipfile.ZipFile, name: str) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with zf.open(name) as member:
        while chunk := member.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
