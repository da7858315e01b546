"""The members of a fetched ZIP or TAR archive (plain, gzip, bzip2 or xz), listed
from the downloaded bytes in memory: names, sizes and SHA-256, nothing written
to disk and nothing extracted.

Archives are where zip bombs live: a few kilobytes that declare or inflate to
terabytes. Every byte read out of an archive counts against one limit, the
smaller of `max_total_uncompressed_bytes` and `max_compression_ratio` times
the archive's own size. A ZIP whose members declare more is refused before
any is read (zipfile reads no member past its declared size); a TAR, whose
sizes are known only as it is decompressed, is refused as soon as it yields
more, keeping the members listed before. Members are read in chunks, so memory
stays bounded whatever a member's size. Nested archives are not opened: a
member that is itself an archive is listed and hashed like any other file.
"""

from __future__ import annotations

import bz2
import gzip
import hashlib
import lzma
import tarfile
import zipfile
import zlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from io import BytesIO
from typing import IO

from armswatch.config.models import AttachmentCaps
from armswatch.listing import ArchiveMember

CHUNK_BYTES = 1024 * 1024
_TAR_BLOCK = 512
_TAR_MAGIC = slice(257, 262)
_DECOMPRESSORS: dict[bytes, Callable[[BytesIO], IO[bytes]]] = {
    b"\x1f\x8b": gzip.open,
    b"BZh": bz2.open,
    b"\xfd7zXZ\x00": lzma.open,
}
_ZIP_DIRECTORY_ENTRY = b"PK\x01\x02"
_UNREADABLE = (
    RuntimeError,  # encrypted
    NotImplementedError,  # a compression method Python lacks
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    OSError,
)


class ArchiveBomb(Exception):
    """More was read out of an archive than its limit allows."""


@dataclass
class Members:
    """What listing an archive found, and why it stopped short, if it did."""

    members: list[ArchiveMember] = field(default_factory=list)
    problem: str | None = None


@dataclass
class _Budget:
    """The bytes an archive may yield in all, and what to say when it yields more."""

    limit: int
    cap: str
    read: int = 0

    @classmethod
    def of(cls, archive_bytes: int, caps: AttachmentCaps) -> _Budget:
        by_ratio = int(caps.max_compression_ratio * archive_bytes)
        if by_ratio < caps.max_total_uncompressed_bytes:
            ratio = f"{caps.max_compression_ratio:g}"
            cap = f"{ratio} times its own size, attachment_caps.max_compression_ratio"
            return cls(by_ratio, f"{by_ratio:,} bytes ({cap})")
        total = caps.max_total_uncompressed_bytes
        return cls(total, f"{total:,} bytes (attachment_caps.max_total_uncompressed_bytes)")

    def take(self, size: int) -> None:
        self.read += size
        if self.read > self.limit:
            raise ArchiveBomb(f"yields more than {self.cap} when read")


class _Capped:
    """Reads of a decompressing file, refused past the budget: a decompressor can
    yield far more than was downloaded, and tarfile reads some headers whole."""

    def __init__(self, inner: IO[bytes], budget: _Budget) -> None:
        self.inner = inner
        self.budget = budget

    def read(self, size: int = -1) -> bytes:
        room = self.budget.limit - self.budget.read
        data = self.inner.read(room + 1 if size < 0 or size > room else size)
        self.budget.take(len(data))
        return data


def list_members(body: bytes, caps: AttachmentCaps) -> Members | None:
    """The members of the archive `body`, or None when it is no ZIP or TAR archive."""
    # TAR first: a TAR whose last member is a ZIP also passes for a ZIP.
    decompress = next((d for magic, d in _DECOMPRESSORS.items() if body.startswith(magic)), None)
    if _is_tar(body, decompress):
        budget = _Budget.of(len(body), caps)
        stream = decompress(BytesIO(body)) if decompress else BytesIO(body)
        return _tar_members(_Capped(stream, budget), caps)
    if zipfile.is_zipfile(BytesIO(body)):
        return _zip_members(body, caps)
    return None


def _is_tar(body: bytes, decompress: Callable[[BytesIO], IO[bytes]] | None) -> bool:
    """A POSIX tar header first (after decompression): a .gz of a model is no archive."""
    try:
        head = decompress(BytesIO(body)).read(_TAR_BLOCK) if decompress else body
    except _UNREADABLE:
        return False
    return head[_TAR_MAGIC] == b"ustar"


def _zip_members(body: bytes, caps: AttachmentCaps) -> Members:
    # Each directory entry starts with this signature: counted before zipfile parses
    # the directory, whose entries it holds in memory all at once.
    if body.count(_ZIP_DIRECTORY_ENTRY) > caps.max_archive_members:
        return Members(problem=_too_many(caps))
    budget = _Budget.of(len(body), caps)
    try:
        with zipfile.ZipFile(BytesIO(body)) as archive:
            infos = [info for info in archive.infolist() if not info.is_dir()]
            found = Members([ArchiveMember(info.filename, info.file_size) for info in infos])
            declared = sum(info.file_size for info in infos)
            if declared > budget.limit:
                found.problem = (
                    f"refused as a likely zip bomb: its members declare {declared:,} bytes, "
                    f"more than {budget.cap}; names and declared sizes listed, nothing read"
                )
                return found
            unread: Counter[str] = Counter()
            for info, member in zip(infos, found.members, strict=True):
                if info.file_size > caps.max_member_bytes:
                    unread["over attachment_caps.max_member_bytes"] += 1
                    continue
                try:
                    with archive.open(info) as stream:
                        member.sha256 = _hash(stream)
                except _UNREADABLE:
                    unread["encrypted or unreadable"] += 1
    except zipfile.BadZipFile as exc:
        return Members(problem=f"the ZIP archive could not be read ({exc})")
    found.problem = _unread(unread)
    return found


def _tar_members(stream: _Capped, caps: AttachmentCaps) -> Members:
    found = Members()
    unread: Counter[str] = Counter()
    try:
        with tarfile.open(fileobj=stream, mode="r|") as archive:  # type: ignore[call-overload]
            for seen, info in enumerate(archive, start=1):
                if seen > caps.max_archive_members:  # tarfile keeps every header it read
                    found.problem = _too_many(caps)
                    return found
                if not info.isfile():
                    continue  # folders and links: no content, and never extracted
                member = ArchiveMember(info.name, info.size)
                found.members.append(member)
                if info.size > caps.max_member_bytes:
                    unread["over attachment_caps.max_member_bytes"] += 1
                    continue
                extracted = archive.extractfile(info)
                assert extracted is not None  # a regular file
                member.sha256 = _hash(extracted)
    except ArchiveBomb as exc:
        found.problem = _bomb(exc)
        return found
    except (tarfile.TarError, *_UNREADABLE) as exc:
        found.problem = f"the TAR archive could not be read further ({exc})"
        return found
    found.problem = _unread(unread)
    return found


def _hash(stream: IO[bytes]) -> str:
    """A member's SHA-256, read in chunks."""
    digest = hashlib.sha256()
    while chunk := stream.read(CHUNK_BYTES):
        digest.update(chunk)
    return digest.hexdigest()


def _too_many(caps: AttachmentCaps) -> str:
    limit = caps.max_archive_members
    return f"more than {limit:,} members (attachment_caps.max_archive_members): listed no further"


def _bomb(exc: ArchiveBomb) -> str:
    return f"refused as a likely zip bomb: it {exc}; reading stopped, the members before kept"


def _unread(unread: Counter[str]) -> str | None:
    if not unread:
        return None
    reasons = ", ".join(f"{why} ({count})" for why, count in unread.items())
    return f"{sum(unread.values())} member(s) not hashed: {reasons}"
