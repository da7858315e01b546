"""Hand the heap memory freed by a batch back to the operating system.

Every batch gives the encoder tensors of a new shape (batch size x longest
listing), and glibc keeps what they free in its arenas, fragmented: a crawl's
resident memory grew by about 9 KB a listing (bench/crawl.py, 20,000 pages)
although nothing leaked. `malloc_trim(0)` after each batch returns those pages
and keeps a long crawl flat. Elsewhere than glibc it does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
from collections.abc import Callable


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    try:
        return ctypes.CDLL(ctypes.util.find_library("c")).malloc_trim
    except (OSError, AttributeError):  # no C library found, or not glibc
        return None


def release_free_memory() -> None:
    """Return the free pages of the C heap to the operating system (glibc only)."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)
