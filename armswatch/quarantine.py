"""The quarantine: fetched attachment files, kept exactly as downloaded.

Files from watched sites may be malware as well as gun files. They are kept
under `<data_dir>/quarantine/<aa>/<sha256>`: named by their SHA-256 only, with
no extension that would let a file manager or a double-click open them,
read-only and not executable. Nothing in armswatch opens them again; the hash
and the archive listing are made from the downloaded bytes in memory.
"""

from __future__ import annotations

import threading
from pathlib import Path

from armswatch.evidence import sha256_hex, write_atomically

QUARANTINE_DIR = "quarantine"
FILE_MODE = 0o400
"""Read-only for the crawler's own user; never executable."""


class Quarantine:
    """A content-addressed folder of fetched files: the same file, linked from many
    listings or fetched again, is kept once. Safe to share between threads."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self._writing = threading.Lock()
        """One write at a time: two listings linking one file would share its temporary file."""

    def relative_path(self, sha256: str) -> str:
        """Where a file is kept, relative to the data directory ('/' separators)."""
        return f"{QUARANTINE_DIR}/{sha256[:2]}/{sha256}"

    def keep(self, body: bytes) -> tuple[str, str]:
        """Keep `body` once; its SHA-256 and its path relative to the data directory."""
        sha256 = sha256_hex(body)
        relative = self.relative_path(sha256)
        path = self.data_dir / relative
        with self._writing:
            if not path.exists():
                write_atomically(path, body)
                path.chmod(FILE_MODE)
        return sha256, relative
