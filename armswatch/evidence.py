"""Raw pages kept as evidence: every fetched page body, gzip-compressed on disk,
named by its SHA-256 so the stored `raw_sha256` proves what was seen."""

from __future__ import annotations

import gzip
import hashlib
import os
from pathlib import Path


class RawArchive:
    """A content-addressed folder of compressed page bodies."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path_for(self, sha256: str) -> Path:
        return self.root / sha256[:2] / f"{sha256}.html.gz"

    def save(self, body: bytes) -> str:
        """Keep `body` (once per distinct content) and return its SHA-256."""
        sha256 = hashlib.sha256(body).hexdigest()
        path = self.path_for(sha256)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            partial = path.with_suffix(f".{os.getpid()}.part")
            partial.write_bytes(gzip.compress(body, compresslevel=6))
            partial.replace(path)  # atomic: a crash never leaves a truncated page
        return sha256

    def load(self, sha256: str) -> bytes:
        """The original bytes of a kept page."""
        return gzip.decompress(self.path_for(sha256).read_bytes())
