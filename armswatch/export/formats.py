"""The export formats by name, for commands and pages that let people choose one."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TextIO

from armswatch.export.stix import write_stix
from armswatch.export.tabular import write_csv, write_jsonl
from armswatch.listing import Listing
from armswatch.stores import Review

Writer = Callable[[Iterable[Listing], TextIO, Mapping[str, Review] | None], int]

WRITERS: dict[str, Writer] = {"csv": write_csv, "jsonl": write_jsonl, "stix": write_stix}
FORMATS = tuple(WRITERS)


def write_export(
    fmt: str,
    listings: Iterable[Listing],
    out: TextIO,
    verdicts: Mapping[str, Review] | None = None,
) -> int:
    """Write `listings` to `out` in format `fmt` (one of FORMATS); returns how many."""
    try:
        writer = WRITERS[fmt]
    except KeyError:
        raise ValueError(f"no export format {fmt!r}: choose one of {', '.join(FORMATS)}") from None
    return writer(listings, out, verdicts)
