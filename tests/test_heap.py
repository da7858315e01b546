"""release_free_memory: heap memory freed in the middle of the heap goes back to
the operating system, where glibc alone would keep it (bench/crawl.py's flat RSS)."""

from __future__ import annotations

import platform

from classifiers.heap import release_free_memory


def resident_mib() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * 4096 / 2**20


def test_glibc_gives_freed_pages_back() -> None:
    assert platform.libc_ver()[0] == "glibc"  # the machine armswatch is built and tested on
    blocks = [bytearray(4096) for _ in range(50_000)]  # about 200 MiB of malloc'd blocks
    pinned = bytearray(4096)  # allocated last: the heap cannot shrink from its top by itself
    del blocks
    before = resident_mib()
    release_free_memory()
    after = resident_mib()
    assert before - after > 100, f"resident memory {before:.0f} MiB -> {after:.0f} MiB"
    assert len(pinned) == 4096
