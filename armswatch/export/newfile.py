"""Writing an export file that never replaces another and is not left half written."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO


@contextmanager
def new_file(path: Path) -> Iterator[BinaryIO]:
    """`path`, created for writing: FileExistsError when it exists (an export is never
    written over another); flushed to disk when the block ends, removed when the block
    fails, so that no partial export is mistaken for a whole one."""
    with path.open("xb") as out:
        try:
            yield out
            out.flush()
            os.fsync(out.fileno())
        except BaseException:
            path.unlink(missing_ok=True)
            raise
