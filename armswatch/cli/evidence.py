"""`armswatch evidence`: hand over what was kept of one listing, verified.

The bundle is a folder an analyst can pass on as it is: the listing's manifest,
every file it lists, SHA256SUMS (from the manifest, so `sha256sum -c` catches a
changed file anywhere) and a summary a person can read.
"""

from __future__ import annotations

from pathlib import Path

import click
from rich.table import Table
from rich.text import Text

from armswatch.cli.context import Exit, common_options, console, fail, load, store_of
from armswatch.cli.query import find_listing
from armswatch.evidence import EvidenceError, EvidenceLocker, Manifest, Problem


@click.command()
@click.argument("listing_id", metavar="ID")
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    metavar="DIR",
    help="Folder for the bundle (default: ./evidence-<listing id>); must be new or empty.",
)
@common_options
def evidence(listing_id: str, out: Path | None) -> None:
    """Write the evidence bundle of the listing ID into a folder and verify it.

    The bundle holds manifest.json (every page capture: raw page, a screenshot
    of browser-rendered pages, and for flagged listings a WARC of the request
    and response, with SHA-256, size, capture time, listing version, crawler
    version and user agent), those files (raw pages also decompressed),
    SHA256SUMS and summary.txt. Every file is checked against the manifest;
    exit code 6 names a file that does not match. ID may be shortened as in
    'armswatch show'.
    """
    config = load()
    with store_of(config) as store:
        listing = find_listing(store, listing_id, config)
        versions = store.versions(listing.id)
    locker = EvidenceLocker(config.data_dir)
    try:
        manifest = locker.read(listing.id)
    except EvidenceError as exc:
        fail(
            f"{exc}, in {config.data_dir}: this listing's evidence cannot be listed until "
            "it can; check the file's permissions, or restore it from a backup of the data "
            "directory.",
            Exit.EVIDENCE_MISMATCH,
        )
    if manifest is None:
        fail(
            f"no evidence is kept for listing {listing.id} in {config.data_dir}: it was "
            "stored before armswatch kept evidence, or the data directory is another one "
            f"(check --data-dir). The next crawl of {listing.source} that finds it records "
            "its evidence.",
            Exit.NOT_FOUND,
        )
    out = out or Path(f"evidence-{listing.id}")
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        fail(
            f"{out} already exists and is not empty: give another --out, or remove it "
            "(a bundle is never written over another).",
            Exit.BAD_CONFIG,
        )
    try:
        problems = locker.bundle(listing, versions, manifest, out)
    except OSError as exc:
        fail(
            f"the bundle could not be written to {out} ({exc}): give a writable --out.",
            Exit.BAD_CONFIG,
        )
    console.print(files_table(manifest, problems))
    if problems:
        fail(
            f"{len(problems)} of {len(manifest.files)} evidence file(s) do not match the "
            f"manifest: {'; '.join(map(str, problems))}. Paths are relative to "
            f"{config.data_dir} and to {out}. These files were changed or damaged after "
            "capture: do not hand them over as evidence; restore them from a backup of the "
            "data directory and run this command again.",
            Exit.EVIDENCE_MISMATCH,
        )
    console.print(
        Text(
            f"All {len(manifest.files)} evidence file(s) of listing {listing.id} verified "
            f"against its manifest. Bundle written to {out}/ (read summary.txt; check anywhere "
            "with 'sha256sum -c SHA256SUMS' in that folder).",
            style="green",
        ),
        soft_wrap=True,
    )


def files_table(manifest: Manifest, problems: list[Problem]) -> Table:
    """One row per evidence file, with whether it verified."""
    failed = {p.path for p in problems}
    table = Table(title=f"evidence of listing {manifest.listing_id}")
    for column in ("version", "kind", "captured (UTC)", "sha256", "bytes", "file", "check"):
        table.add_column(column, overflow="fold")
    for entry in manifest.files:
        table.add_row(
            str(entry.listing_version),
            entry.kind,
            entry.captured_at,
            entry.sha256[:16],
            str(entry.size),
            entry.path,
            Text("MISMATCH", style="bold red")
            if entry.path in failed
            else Text("verified", style="green"),
        )
    return table
