"""Evidence of what was online: raw pages, WARC records and per-listing manifests.

Every fetched page body is kept gzip-compressed, named by its SHA-256 (the
listing's `raw_sha256`). A flagged listing also gets a WARC file of the request
and response of its page. Every file kept for a listing is listed in the
listing's manifest with its SHA-256, size, capture time, listing version,
crawler version and user agent, so that an analyst can show later exactly what
was online and when, and that nothing was changed since.

Layout under the data directory (paths in manifests are relative to it, and to
an exported bundle, which mirrors it):

    raw/<aa>/<sha256>.html.gz                  page bodies (content-addressed)
    evidence/warc/<aa>/<sha256>.warc.gz        WARC files (named by their own hash)
    evidence/screenshots/<aa>/<sha256>.png     full-page screenshots (browser sources)
    evidence/listings/<listing id>/manifest.json
"""

from __future__ import annotations

import base64
import fcntl
import gzip
import hashlib
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from io import BytesIO
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from armswatch import LABELS, __version__
from armswatch.listing import Listing, price_text
from armswatch.stores.base import ListingVersion

RAW_DIR = "raw"
EVIDENCE_DIR = "evidence"
MANIFEST_FORMAT = 1

Kind = Literal["raw_page", "warc", "screenshot"]
"""What an evidence file is: the page body as received (gzip), the WARC of the
request and response, or (browser sources) a full-page screenshot."""

REDACTED_REQUEST_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie"})
"""Our own credentials (logins, proxies) are not evidence of what a site showed, and
must not leave with a bundle."""

DECODED_RESPONSE_HEADERS = frozenset({"content-encoding", "transfer-encoding"})
"""Headers describing an encoding the kept payload no longer has (the crawler
decodes bodies): a WARC reader would try to decode it again."""

WARC_NOTE = (
    "Response payloads are the page bodies as the crawler received them after "
    "transfer and content decoding (their SHA-256 is the listing's raw_sha256); "
    "response headers that described those encodings, and a Content-Length that "
    "no longer matches, are kept as X-Archive-Orig-<name>. Request headers are "
    "as sent; the values of Authorization, Proxy-Authorization and Cookie are "
    "redacted."
)
RENDERED_NOTE = (
    "This page was rendered by a browser (Chromium): the response payload is the page's "
    "HTML after its scripts ran, as the listing was read, not the bytes the server sent; "
    "the request headers are the browser's, the response headers the server's."
)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class EvidenceError(Exception):
    """Evidence could not be kept or read; the message names the file."""


def write_atomically(path: Path, data: bytes) -> None:
    """Write `path` so that a crash leaves the old file or the new one, never a
    truncated one: a temporary file in the same folder, flushed to disk, renamed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.part")
    with partial.open("wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    partial.replace(path)
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)  # the rename itself survives a power cut
    finally:
        os.close(folder)


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class RawArchive:
    """A content-addressed folder of compressed page bodies."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path_for(self, sha256: str) -> Path:
        return self.root / sha256[:2] / f"{sha256}.html.gz"

    def save(self, body: bytes) -> str:
        """Keep `body` (once per distinct content) and return its SHA-256."""
        sha256 = sha256_hex(body)
        path = self.path_for(sha256)
        if not path.exists():
            write_atomically(path, gzip.compress(body, compresslevel=6))
        return sha256

    def load(self, sha256: str) -> bytes:
        """The original bytes of a kept page."""
        return gzip.decompress(self.path_for(sha256).read_bytes())


@dataclass(frozen=True)
class KeptFile:
    """A file in the data directory, as written."""

    path: str
    """Relative to the data directory, with '/' separators."""
    sha256: str
    size: int


@dataclass(eq=False)
class Capture:
    """A listing page as fetched: what its WARC records besides the body (which the
    raw archive keeps). Held by the spider until its listings reach the evidence
    step, when it is known whether they are flagged; posts of one forum page share it."""

    url: str
    method: str
    request_headers: list[tuple[str, str]]
    request_body: bytes
    protocol: str
    """The response's, e.g. HTTP/1.1."""
    status: int
    response_headers: list[tuple[str, str]]
    raw_sha256: str
    captured_at: str
    """When the response was received (UTC, ISO 8601)."""
    ip_address: str | None = None
    rendered: bool = False
    """Rendered by the browser: the body is the page's HTML after its scripts ran."""
    screenshot: bytes | None = None
    """A full-page PNG of the page as the browser showed it (browser sources)."""
    kept: dict[Kind, KeptFile] = field(default_factory=dict)
    """Files already written for this capture, so that listings sharing the page
    share them instead of writing them again."""

    @property
    def user_agent(self) -> str:
        return next((v for k, v in self.request_headers if k.lower() == "user-agent"), "")


@dataclass(frozen=True)
class EvidenceFile:
    """One manifest entry: a kept file and what it shows."""

    kind: Kind
    path: str
    """Relative to the data directory and to an exported bundle."""
    sha256: str
    """Of the file as kept (for a raw page: of the compressed file)."""
    size: int
    captured_at: str
    url: str
    """The page fetched (a forum post's listing URL names its thread instead)."""
    raw_sha256: str
    """The page body the file records."""
    listing_version: int
    crawler_version: str
    user_agent: str


@dataclass
class Manifest:
    """What is kept for one listing, appended to capture by capture, never rewritten."""

    listing_id: str
    source: str
    url: str
    files: list[EvidenceFile] = field(default_factory=list)

    def has(self, kind: Kind, listing_version: int, raw_sha256: str | None = None) -> bool:
        """Whether a file of this kind is listed for this version (and page body)."""
        return any(
            f.kind == kind
            and f.listing_version == listing_version
            and raw_sha256 in (None, f.raw_sha256)
            for f in self.files
        )

    def to_json(self) -> bytes:
        record = {"manifest_format": MANIFEST_FORMAT, **asdict(self)}
        return (json.dumps(record, indent=2, ensure_ascii=False) + "\n").encode()

    @classmethod
    def from_json(cls, data: bytes) -> Manifest:
        record: dict[str, Any] = json.loads(data)
        if record.pop("manifest_format", None) != MANIFEST_FORMAT:
            raise ValueError(f"not an armswatch manifest of format {MANIFEST_FORMAT}")
        record["files"] = [EvidenceFile(**f) for f in record["files"]]
        for entry in record["files"]:
            if Path(entry.path).is_absolute() or ".." in Path(entry.path).parts:
                raise ValueError(f"{entry.path!r} is not a path inside the data directory")
        return cls(**record)


@dataclass(frozen=True)
class Problem:
    """A kept file that does not verify against its manifest."""

    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


class EvidenceLocker:
    """The evidence of every listing in one data directory."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.raw = RawArchive(data_dir / RAW_DIR)

    def manifest_path(self, listing_id: str) -> Path:
        return self.data_dir / EVIDENCE_DIR / "listings" / listing_id / "manifest.json"

    def read(self, listing_id: str) -> Manifest | None:
        """The listing's manifest; None when nothing was kept for it."""
        path = self.manifest_path(listing_id)
        try:
            return Manifest.from_json(path.read_bytes())
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise EvidenceError(f"{self._relative(path)} cannot be read ({exc.strerror})") from exc
        except (ValueError, TypeError, KeyError) as exc:
            raise EvidenceError(f"{self._relative(path)} is not a valid manifest ({exc})") from exc

    def record(
        self, listing: Listing, capture: Capture | None, *, warc: bool
    ) -> list[EvidenceFile]:
        """List the listing's raw page in its manifest, and with `warc` (a flagged
        listing) a WARC of its page, unless already listed for this version. Returns
        the entries added; EvidenceError when a file is needed but `capture` is None."""
        sha256 = listing.raw_sha256 or ""
        with self._locked(self.manifest_path(listing.id).parent):
            manifest = self.read(listing.id) or Manifest(listing.id, listing.source, listing.url)
            needed: list[Kind] = []
            if not manifest.has("raw_page", listing.version, sha256):
                needed.append("raw_page")
            if warc and not manifest.has("warc", listing.version):
                needed.append("warc")
            shot = capture is not None and capture.screenshot is not None
            if shot and not manifest.has("screenshot", listing.version, sha256):
                needed.append("screenshot")
            if not needed:
                return []
            if capture is None or capture.raw_sha256 != sha256:
                raise EvidenceError(
                    f"the {' and '.join(needed)} of version {listing.version} cannot be "
                    f"listed: the request and response of its page were not held (raw page "
                    f"{sha256 or '?'} is kept in {RAW_DIR}/)"
                )
            added = [self._entry(kind, listing, capture) for kind in needed]
            manifest.files += added
            write_atomically(self.manifest_path(listing.id), manifest.to_json())
        return added

    def verify(self, root: Path, manifest: Manifest) -> list[Problem]:
        """Check every file the manifest lists under `root` (the data directory or a
        bundle): size and SHA-256, and that the page body (a raw page's content, a
        WARC's response payload) hashes to the recorded raw SHA-256."""
        problems = []
        for entry in manifest.files:
            try:
                data = (root / entry.path).read_bytes()
            except OSError as exc:
                problems.append(Problem(entry.path, f"cannot be read ({exc.strerror})"))
                continue
            found = sha256_hex(data)
            if found != entry.sha256 or len(data) != entry.size:
                problems.append(
                    Problem(
                        entry.path,
                        f"SHA-256 {found} ({len(data)} bytes) differs from the manifest's "
                        f"{entry.sha256} ({entry.size} bytes)",
                    )
                )
            elif reason := _body_problem(entry, data):
                problems.append(Problem(entry.path, reason))
        return problems

    def export(self, manifest: Manifest, out: Path) -> list[Problem]:
        """Copy the listing's evidence into `out` (same relative paths; raw pages also
        decompressed beside them), with its manifest and a SHA256SUMS file of the
        manifest's hashes; returns the problems of verifying the copies."""
        for entry in manifest.files:
            source = self.data_dir / entry.path
            if not source.is_file():
                continue  # verify() reports it
            data = source.read_bytes()
            write_atomically(out / entry.path, data)
            if entry.kind != "raw_page":
                continue
            try:
                page = gzip.decompress(data)
            except (OSError, EOFError):
                continue  # verify() reports it
            write_atomically(out / page_path(entry), page)
        write_atomically(out / "manifest.json", manifest.to_json())
        write_atomically(out / "SHA256SUMS", checksums(manifest).encode())
        return self.verify(out, manifest)

    def bundle(
        self, listing: Listing, versions: list[ListingVersion], manifest: Manifest, out: Path
    ) -> list[Problem]:
        """Write the listing's evidence bundle into `out`: what `export` copies, and
        summary.txt for a person (which says whether the copies verified); returns the
        problems of verifying them. `armswatch evidence` and case packages hand this on."""
        problems = self.export(manifest, out)
        summary = summary_text(listing, versions, manifest, problems)
        write_atomically(out / "summary.txt", summary.encode())
        return problems

    def _entry(self, kind: Kind, listing: Listing, capture: Capture) -> EvidenceFile:
        kept = capture.kept.get(kind)
        if kept is None:
            write = {
                "raw_page": self._raw_file,
                "warc": self._warc_file,
                "screenshot": self._screenshot_file,
            }[kind]
            kept = capture.kept[kind] = write(capture)
        return EvidenceFile(
            kind=kind,
            path=kept.path,
            sha256=kept.sha256,
            size=kept.size,
            captured_at=capture.captured_at,
            url=capture.url,
            raw_sha256=capture.raw_sha256,
            listing_version=listing.version,
            crawler_version=__version__,
            user_agent=capture.user_agent,
        )

    def _raw_file(self, capture: Capture) -> KeptFile:
        path = self.raw.path_for(capture.raw_sha256)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise EvidenceError(f"{self._relative(path)} cannot be read: {exc}") from exc
        return KeptFile(self._relative(path), sha256_hex(data), len(data))

    def _warc_file(self, capture: Capture) -> KeptFile:
        try:
            body = self.raw.load(capture.raw_sha256)
        except (OSError, EOFError) as exc:
            path = self._relative(self.raw.path_for(capture.raw_sha256))
            raise EvidenceError(f"{path} cannot be read: {exc}") from exc
        if sha256_hex(body) != capture.raw_sha256:
            path = self._relative(self.raw.path_for(capture.raw_sha256))
            raise EvidenceError(f"{path} no longer holds the page it is named after")
        data = warc_of(capture, body)
        sha256 = sha256_hex(data)
        path = self.data_dir / EVIDENCE_DIR / "warc" / sha256[:2] / f"{sha256}.warc.gz"
        write_atomically(path, data)
        return KeptFile(self._relative(path), sha256, len(data))

    def _screenshot_file(self, capture: Capture) -> KeptFile:
        data = capture.screenshot or b""
        sha256 = sha256_hex(data)
        path = self.data_dir / EVIDENCE_DIR / "screenshots" / sha256[:2] / f"{sha256}.png"
        if not path.exists():
            write_atomically(path, data)
        return KeptFile(self._relative(path), sha256, len(data))

    def _relative(self, path: Path) -> str:
        return path.relative_to(self.data_dir).as_posix()

    @contextmanager
    def _locked(self, folder: Path) -> Iterator[None]:
        """One writer per listing folder, so that two crawls seeing the same listing
        never lose each other's manifest entries."""
        folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(folder, os.O_RDONLY)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # releases the lock


def page_path(entry: EvidenceFile) -> str:
    """Where a bundle keeps a raw page decompressed (beside the .gz)."""
    return entry.path.removesuffix(".gz")


def checksums(manifest: Manifest) -> str:
    """`sha256sum -c` input for a bundle, from the manifest's hashes (so that a changed
    file fails the check): every file, and every raw page decompressed."""
    lines = []
    for entry in manifest.files:
        lines.append(f"{entry.sha256}  {entry.path}")
        if entry.kind == "raw_page":
            lines.append(f"{entry.raw_sha256}  {page_path(entry)}")
    return "\n".join(dict.fromkeys(lines)) + "\n"


def summary_text(
    listing: Listing,
    versions: list[ListingVersion],
    manifest: Manifest,
    problems: list[Problem],
) -> str:
    """What a bundle shows, for a person: the listing, its versions, every file
    with where and when it was captured, and the verification."""
    written = datetime.now(UTC).isoformat(timespec="seconds")
    scores = ", ".join(f"{label} {listing.scores.get(label, 0.0):.2f}" for label in LABELS)
    lines = [
        f"Evidence bundle of listing {listing.id}",
        f"Written {written} by armswatch {__version__}.",
        "",
        "Listing (as stored now)",
        f"  title:        {listing.title}",
        f"  source:       {listing.source}",
        f"  url:          {listing.url}",
        f"  seller:       {listing.seller or '-'}",
        f"  price:        {price_text(listing.price, listing.currency)}",
        f"  first seen:   {listing.first_seen or '-'}",
        f"  last seen:    {listing.last_seen or '-'}",
        f"  labels:       {', '.join(listing.labels) or 'none (not flagged)'}",
        f"  scores:       {scores}",
        f"  threat score: {listing.threat_score:.2f} "
        f"(classifier {listing.classifier_version or 'none yet'})",
        f"  raw page:     sha256 {listing.raw_sha256 or '-'} (the latest fetched)",
        "",
        "Versions (as stored)",
    ]
    for v in versions:
        lines.append(
            f"  v{v.version}  seen {v.seen_at}  price {price_text(v.price, v.currency)}  "
            f"content sha256 {v.content_sha256}  raw page sha256 {v.raw_sha256 or '-'}"
        )
    lines += ["", "Evidence files (paths relative to this folder; hashes from manifest.json)"]
    for entry in manifest.files:
        lines += [
            f"  v{entry.listing_version}  {entry.kind}  captured {entry.captured_at}  from "
            f"{entry.url}",
            f"      {entry.path}  {entry.size} bytes  sha256 {entry.sha256}",
            f"      page sha256 {entry.raw_sha256}; crawler armswatch {entry.crawler_version}; "
            f"user agent {entry.user_agent or '-'}",
        ]
        if entry.kind == "raw_page":
            lines.append(f"      decompressed: {page_path(entry)}")
    lines += ["", "Verification"]
    if problems:
        lines.append(f"  NOT VERIFIED: {len(problems)} file(s) do not match manifest.json:")
        lines += [f"    {problem}" for problem in problems]
    else:
        lines.append(
            f"  All {len(manifest.files)} file(s) match manifest.json (SHA-256 and size), and "
            "each records the page whose SHA-256 it names."
        )
    lines += [
        "  Check again anywhere: sha256sum -c SHA256SUMS (in this folder).",
        "  The .warc.gz files open in any WARC reader (warcio, pywb, ReplayWeb.page).",
        "",
    ]
    return "\n".join(lines)


def _body_problem(entry: EvidenceFile, data: bytes) -> str | None:
    """Why a file that matches its hash does not record the page body it should."""
    if entry.kind == "raw_page":
        try:
            body = gzip.decompress(data)
        except (OSError, EOFError) as exc:
            return f"not a gzip file ({exc})"
        return None if sha256_hex(body) == entry.raw_sha256 else "content is not the raw page"
    if entry.kind == "warc":
        try:
            for record in ArchiveIterator(BytesIO(data)):
                if record.rec_type == "response":
                    uri = record.rec_headers.get_header("WARC-Target-URI")
                    if uri != entry.url:
                        return f"the response is of {uri}, not {entry.url}"
                    payload = record.content_stream().read()
                    if sha256_hex(payload) != entry.raw_sha256:
                        return "the response payload is not the raw page"
                    return None
        except ArchiveLoadFailed as exc:
            return f"not a readable WARC file ({exc})"
        return "no response record"
    if entry.kind == "screenshot" and not data.startswith(PNG_SIGNATURE):
        return "not a PNG image"
    return None


def warc_of(capture: Capture, body: bytes) -> bytes:
    """A gzipped WARC/1.1 file of one fetch: warcinfo, response, request (SHA-256
    digests, the capture time as WARC-Date)."""
    buffer = BytesIO()
    writer = WARCWriter(buffer, gzip=True, warc_version="1.1")
    info = {
        "software": f"armswatch/{__version__}",
        "format": "WARC File Format 1.1",
        "http-header-user-agent": capture.user_agent,
        "description": f"{WARC_NOTE} {RENDERED_NOTE}" if capture.rendered else WARC_NOTE,
    }
    writer.write_record(writer.create_warcinfo_record("", info))
    date = datetime.fromisoformat(capture.captured_at).strftime("%Y-%m-%dT%H:%M:%SZ")
    response_fields = {"WARC-Date": date}
    if capture.ip_address:
        response_fields["WARC-IP-Address"] = capture.ip_address
    try:
        phrase = HTTPStatus(capture.status).phrase
    except ValueError:
        phrase = ""  # a status code no standard names
    response = _record(
        writer,
        capture.url,
        "response",
        StatusAndHeaders(
            f"{capture.status} {phrase}".strip(),
            _response_headers(capture.response_headers, len(body)),
            protocol=capture.protocol,
        ),
        body,
        response_fields,
    )
    parts = urlsplit(capture.url)
    target = parts.path or "/"
    if parts.query:
        target += f"?{parts.query}"
    request = _record(
        writer,
        capture.url,
        "request",
        StatusAndHeaders(
            f"{capture.method} {target} HTTP/1.1",
            _request_headers(capture.request_headers, parts.netloc),
            is_http_request=True,
        ),
        capture.request_body,
        {"WARC-Date": date},
    )
    writer.write_request_response_pair(request, response)
    return buffer.getvalue()


def _record(
    writer: WARCWriter,
    uri: str,
    record_type: str,
    http: StatusAndHeaders,
    payload: bytes,
    fields: dict[str, str],
) -> Any:
    """A WARC record with SHA-256 block and payload digests (warcio would use SHA-1)."""
    http.compute_headers_buffer()
    fields = {
        **fields,
        "WARC-Payload-Digest": _digest(payload),
        "WARC-Block-Digest": _digest(http.headers_buff + payload),
    }
    return writer.create_warc_record(
        uri,
        record_type,
        payload=BytesIO(payload),
        length=len(payload),
        http_headers=http,
        warc_headers_dict=fields,
    )


def _digest(data: bytes) -> str:
    return "sha256:" + base64.b32encode(hashlib.sha256(data).digest()).decode()


def _response_headers(headers: list[tuple[str, str]], length: int) -> list[tuple[str, str]]:
    kept = []
    for name, value in headers:
        lower = name.lower()
        stale_length = lower == "content-length" and value.strip() != str(length)
        if lower in DECODED_RESPONSE_HEADERS or stale_length:
            name = f"X-Archive-Orig-{name}"
        kept.append((name, value))
    return kept


def _request_headers(headers: list[tuple[str, str]], host: str) -> list[tuple[str, str]]:
    """The request headers as sent: the HTTP client adds Host; credentials redacted."""
    sent = [
        (name, "(redacted)" if name.lower() in REDACTED_REQUEST_HEADERS else value)
        for name, value in headers
    ]
    if not any(name.lower() == "host" for name, _ in sent):
        sent.insert(0, ("Host", host))
    return sent
