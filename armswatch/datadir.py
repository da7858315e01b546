"""Whether the data directory can take a crawl: it is a directory, it can be
written, and its disk has room for what a crawl stores.

Checked before a crawl opens the store, so that a data directory that is a file,
on a read-only or full disk, stops the crawl with one sentence naming the
directory and what to do, before anything is fetched or written.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

MIB = 1024 * 1024
RESERVE_BYTES = 32 * MIB
"""Free space a crawl keeps on the data directory's disk: enough to commit what it
fetched and record the run when it stops for lack of space."""


def low_space(data_dir: Path, free: int, reserve: int = RESERVE_BYTES) -> str:
    return (
        f"only {free / MIB:.1f} MiB free on the disk of the data directory {data_dir} "
        f"(a crawl keeps {reserve // MIB} MiB free to store what it fetched whole): "
        "free some space, or move data_dir, then crawl again"
    )


def data_dir_problem(data_dir: Path, reserve: int = RESERVE_BYTES) -> str | None:
    """Why a crawl cannot write into `data_dir`, or None when it can."""
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=data_dir, prefix=".armswatch-write-test-"):
            pass
    except OSError as exc:
        return (
            f"the data directory {data_dir} cannot be written ({exc.strerror}: {exc.filename}): "
            "point data_dir in armswatch.yaml (or --data-dir) at a writable directory"
        )
    free = shutil.disk_usage(data_dir).free
    return low_space(data_dir, free, reserve) if free < reserve else None
