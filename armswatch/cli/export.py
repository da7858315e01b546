"""`armswatch export`: listings for people outside armswatch, and case evidence packages.

`export csv|jsonl|stix` writes the listings of a search (the filters of
`armswatch search`, every page of it), of a case, or of a list of ids;
`export package` writes a case's evidence package; `export verify` checks a
package someone handed back. Every export is recorded in the audit log.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any, NoReturn, TextIO

import click
from click.core import ParameterSource
from rich.progress import Progress, TaskID
from rich.text import Text

from armswatch.cli.audit import cli_actor, workspace_of
from armswatch.cli.context import (
    Exit,
    common_options,
    console,
    errors,
    fail,
    load,
    progress_bar,
    store_of,
)
from armswatch.cli.query import duplicate_clusters, find_listing, search
from armswatch.config import Config
from armswatch.evidence import EvidenceLocker
from armswatch.export import (
    FORMATS,
    PackageError,
    verify_package,
    write_case_package,
    write_export,
)
from armswatch.export.newfile import new_file
from armswatch.listing import Listing
from armswatch.stores import Review, SearchQuery, Store, store_location
from armswatch.workspace import Case, Workspace

SEARCH_OPTIONS = (
    "query",
    "labels",
    "min_score",
    "max_score",
    "verdicts",
    "sources",
    "langs",
    "sellers",
    "entities",
    "vendors",
    "duplicate_of",
    "since",
    "until",
    "sort",
)
"""The parameters of `armswatch search` that choose and order listings, reused as they
are (and named as SearchQuery's fields, but QUERY and --duplicate-of, read as its cluster)."""

PAGE = 1000
"""Listings read from the store at a time."""

FORMAT_HELP = {
    "csv": "a spreadsheet: UTF-8 CSV, one row per listing, a column per label's score; cells "
    "that a spreadsheet would run as a formula start with an apostrophe",
    "jsonl": "JSON Lines: one JSON object per listing per line",
    "stix": "a STIX 2.1 bundle for threat-intelligence tools: observed-data, notes and "
    "(flagged listings) indicators, sellers as threat-actors or identities",
}


@click.group(name="export")
def export_group() -> None:
    """Export listings as CSV, JSON Lines or STIX 2.1, and cases as evidence packages."""


def _format_command(fmt: str) -> click.Command:
    @click.command(
        name=fmt,
        help=f"Write listings as {FORMAT_HELP[fmt]}.\n\n"
        "Which listings: those a search finds (QUERY and the filters of 'armswatch search', "
        "every match, not one page; none given: every listing), or --case, or --ids. "
        "Each listing carries the analyst's latest verdict, if any.",
    )
    @click.option("--case", "case_key", metavar="NAME", help="The listings of this case.")
    @click.option(
        "--ids",
        "ids_file",
        type=click.File("r", encoding="utf-8"),
        metavar="FILE",
        help="The listings whose ids FILE lists, one per line (ids may be shortened as "
        "tables show them; '-': standard input).",
    )
    @click.option(
        "-o",
        "--output",
        required=True,
        metavar="FILE",
        help="The file to write (it must not exist yet), or '-' for standard output.",
    )
    @common_options
    def command(case_key: str | None, ids_file: TextIO | None, output: str, **filters: Any) -> None:
        export_listings(fmt, case_key, ids_file, output, filters)

    command.params[:0] = [p for p in search.params if p.name in SEARCH_OPTIONS]
    return command


for _fmt in FORMATS:
    export_group.add_command(_format_command(_fmt))


def export_listings(
    fmt: str,
    case_key: str | None,
    ids_file: TextIO | None,
    output: str,
    filters: Mapping[str, Any],
) -> None:
    searching = [name for name in SEARCH_OPTIONS if _given(name)]
    if sum(map(bool, [searching, case_key is not None, ids_file is not None])) > 1:
        fail(
            "choose the listings one way: a search (QUERY, filters, --sort), --case, or --ids",
            Exit.BAD_CONFIG,
        )
    config = load()
    with workspace_of(config) as workspace, store_of(config) as store:
        listings: Iterable[Listing]
        if case_key is not None:
            case = case_of(workspace, case_key)
            listings = case_listings(store, workspace, case, config)
            total, what = len(listings), {"what": "case", "case": case.name}
        elif ids_file is not None:
            listings = selected(store, ids_file, config)
            ids = [listing.id for listing in listings]
            total, what = len(listings), {"what": "selection", "ids": ids}
        else:
            request = SearchQuery(
                text=filters["query"],
                limit=PAGE,
                duplicate_clusters=duplicate_clusters(store, config, filters["duplicate_of"]),
                **{n: filters[n] for n in SEARCH_OPTIONS if n not in ("query", "duplicate_of")},
            )
            listings = searched(store, request)
            total = store.search(replace(request, limit=1)).total
            what = {"what": "search", "query": {n: _plain(filters[n]) for n in searching}}
        with _output(output, fmt) as out, progress_bar() as progress:
            task = progress.add_task(f"export {fmt}", total=total)
            count = write_export(
                fmt, _advancing(listings, progress, task), out, latest_verdicts(store)
            )
        workspace.audit.record(
            cli_actor(), "export", format=fmt, count=count, output=output, **what
        )
    shown = "standard output" if output == "-" else output
    (errors if output == "-" else console).print(
        f"{count} listing(s) written to {shown} as {fmt}.", highlight=False
    )


@export_group.command(name="package")
@click.argument("case_key", metavar="CASE")
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    required=True,
    metavar="FILE.zip",
    help="The ZIP file to write (it must not exist yet).",
)
@common_options
def package(case_key: str, output: Path) -> None:
    """Write the evidence package of CASE (its name or number) to a ZIP file.

    The package holds each listing's evidence bundle (as 'armswatch evidence'
    writes it, verified against its manifest as it is copied), the listings
    as CSV, JSON Lines and STIX 2.1, index.html to read it, MANIFEST.json (the
    SHA-256 and size of every file, the case, who exported it and when) and
    SHA256SUMS, so that whoever receives it can check it with 'sha256sum -c
    SHA256SUMS' or 'armswatch export verify'. Exit code 6: some evidence does
    not match its manifest (no package is written).
    """
    config = load()
    with workspace_of(config) as workspace, store_of(config) as store:
        case = case_of(workspace, case_key)
        listings = case_listings(store, workspace, case, config)
        versions = {listing.id: store.versions(listing.id) for listing in listings}
        verdicts = latest_verdicts(store)
        try:
            with progress_bar() as progress:
                task = progress.add_task("evidence", total=len(listings))
                report = write_case_package(
                    case.name,
                    listings,
                    EvidenceLocker(config.data_dir),
                    output,
                    exported_by=cli_actor(),
                    description=case.description,
                    versions=versions,
                    verdicts=verdicts,
                    on_listing=lambda _: progress.advance(task),
                )
        except FileExistsError:
            _exists(output)
        except PackageError as exc:
            fail(f"{exc} No package was written.", Exit.EVIDENCE_MISMATCH)
        except OSError as exc:
            _unwritable(output, exc)
        workspace.audit.record(
            cli_actor(),
            "export",
            format="package",
            what="case",
            case=case.name,
            count=report.listings,
            output=str(output),
        )
    if report.without_evidence:
        errors.print(
            f"note: no evidence is kept for {len(report.without_evidence)} listing(s); they "
            f"are in the package without it: {', '.join(report.without_evidence)}",
            highlight=False,
        )
    _report_verified(output, verify_package(output))
    console.print(
        f"Case {case.name!r}: {report.listings} listing(s), {report.files} files, written to "
        f"{output}.",
        highlight=False,
    )


@export_group.command(name="verify")
@click.argument("path", metavar="FILE.zip", type=click.Path(path_type=Path, dir_okay=False))
@common_options
def verify(path: Path) -> None:
    """Check a case package: every file against the SHA-256 and size in its
    MANIFEST.json and SHA256SUMS. Exit code 6 names what does not match."""
    if not path.is_file():
        fail(f"there is no file {path}: give the path of a case package (.zip)", Exit.NOT_FOUND)
    _report_verified(path, verify_package(path))


def _report_verified(path: Path, problems: list[str]) -> None:
    if problems:
        fail(
            f"{path} does not verify: {'; '.join(problems)}. The package was changed or "
            "damaged after it was written: do not rely on it; ask for it again, or export "
            "it again from armswatch.",
            Exit.EVIDENCE_MISMATCH,
        )
    console.print(
        Text(
            f"{path}: every file matches the SHA-256 and size in its MANIFEST.json and SHA256SUMS.",
            style="green",
        ),
        soft_wrap=True,
    )


def case_of(workspace: Workspace, key: str) -> Case:
    """The case with this name or number; exits NOT_FOUND naming the cases there are."""
    case = workspace.cases.get(key)
    if case is None:
        names = ", ".join(repr(case.name) for case in workspace.cases.all())
        fail(
            f"no case {key!r}: "
            + (f"the cases are {names}" if names else "there are no cases yet")
            + " (cases are made in the review app; check --data-dir).",
            Exit.NOT_FOUND,
        )
    return case


def case_listings(store: Store, workspace: Workspace, case: Case, config: Config) -> list[Listing]:
    """The case's listings in the order they were added; exits when it has none, or
    when some are not in the store (nothing is exported without them)."""
    ids = workspace.cases.listing_ids(case.id)
    if not ids:
        fail(f"the case {case.name!r} holds no listings yet: add some first.", Exit.NOT_FOUND)
    found = store.get_many(ids)
    missing = [listing_id for listing_id in ids if listing_id not in found]
    if missing:
        fail(
            f"{len(missing)} listing(s) of case {case.name!r} are not in "
            f"{store_location(config)}: {', '.join(missing)}. Check --data-dir and the store "
            "setting (the case was made with another store?).",
            Exit.NOT_FOUND,
        )
    return [found[listing_id] for listing_id in ids]


def selected(store: Store, ids_file: TextIO, config: Config) -> list[Listing]:
    """The listings a file names, one id (or id prefix) per line, in its order; blank
    lines and lines starting with # are skipped."""
    lines = (line.strip() for line in ids_file)
    keys = [line for line in lines if line and not line.startswith("#")]
    if not keys:
        fail(
            f"{ids_file.name} names no listing: write one id per line (as "
            "'armswatch search --json' prints them).",
            Exit.BAD_CONFIG,
        )
    listings = {}
    for key in keys:
        listing = find_listing(store, key, config)
        listings.setdefault(listing.id, listing)
    return list(listings.values())


def searched(store: Store, request: SearchQuery) -> Iterator[Listing]:
    """Every listing the search finds, page by page (a page at a time in memory)."""
    while True:
        page = store.search(request)
        yield from page.listings
        if page.next_cursor is None:
            return
        request = replace(request, after=page.next_cursor)


def latest_verdicts(store: Store) -> dict[str, Review]:
    """Each listing's latest review, by listing id (reviews are few: people make them)."""
    return {review.listing_id: review for review in store.reviews()}


def _advancing(listings: Iterable[Listing], progress: Progress, task: TaskID) -> Iterator[Listing]:
    for listing in listings:
        yield listing
        progress.advance(task)


@contextmanager
def _output(output: str, fmt: str) -> Iterator[TextIO]:
    """Standard output for '-', else a new file (CSV with a UTF-8 byte-order mark, which
    tells spreadsheet programs its encoding); exits when it exists or cannot be made."""
    if output == "-":
        yield sys.stdout
        return
    path = Path(output)
    try:
        with new_file(path) as binary:
            text = io.TextIOWrapper(
                binary, encoding="utf-8-sig" if fmt == "csv" else "utf-8", newline=""
            )
            try:
                yield text
            finally:
                text.detach()  # flushed; new_file closes the file
    except FileExistsError:
        _exists(path)
    except OSError as exc:
        _unwritable(path, exc)


def _exists(path: Path) -> NoReturn:
    fail(
        f"{path} already exists: give another -o, or remove it (an export is never written "
        "over another).",
        Exit.BAD_CONFIG,
    )


def _unwritable(path: Path, exc: OSError) -> NoReturn:
    fail(
        f"cannot write {path} ({exc.strerror or exc}): check that the folder exists and is "
        "writable, or give another -o.",
        Exit.BAD_CONFIG,
    )


def _given(name: str) -> bool:
    source = click.get_current_context().get_parameter_source(name)
    return source not in (None, ParameterSource.DEFAULT)


def _plain(value: Any) -> Any:
    """A search option's value as the audit log's JSON holds it."""
    if isinstance(value, datetime):
        return value.isoformat()
    return list(value) if isinstance(value, tuple) else value
