"""`armswatch search`, `show` and `sources`: read the store."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, date, datetime, timedelta

import click
from rich.table import Table
from rich.text import Text

from armswatch import LABELS
from armswatch.cli.context import Exit, common_options, console, errors, fail, load, store_of
from armswatch.cli.output import (
    facet_tables,
    facets_json,
    json_line,
    listing_panel,
    listings_table,
    runs_cell,
)
from armswatch.config import Config
from armswatch.listing import Listing
from armswatch.stores import NOT_REVIEWED, VERDICTS, SearchQuery, Store, store_location
from armswatch.stores.base import SORTS


def _parse_moment(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not a date: write e.g. 2026-11-01 or 2026-11-01T08:00"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _parse_since(
    _ctx: click.Context, _param: click.Parameter, value: str | None
) -> datetime | None:
    return None if value is None else _parse_moment(value)


def _parse_until(
    _ctx: click.Context, _param: click.Parameter, value: str | None
) -> datetime | None:
    """A moment as --since reads it, but a date alone is the end of that day: `--since D
    --until D` is the listings seen on day D, as people read it."""
    if value is None:
        return None
    moment = _parse_moment(value)
    try:
        date.fromisoformat(value)
    except ValueError:
        return moment  # it has a time of day
    return moment + timedelta(days=1, microseconds=-1)


@click.command()
@click.argument("query", required=False, default="")
@click.option(
    "--label",
    "labels",
    multiple=True,
    type=click.Choice(LABELS),
    help="Carries this label (repeatable: any of them).",
)
@click.option(
    "--min-score",
    type=click.FloatRange(0, 1),
    help="Minimum score of the --label(s), else of the threat score.",
)
@click.option(
    "--max-score",
    type=click.FloatRange(0, 1),
    help="Maximum score of the --label(s), else of the threat score.",
)
@click.option(
    "--verdict",
    "verdicts",
    multiple=True,
    type=click.Choice((NOT_REVIEWED, *VERDICTS)),
    help=f"The latest analyst verdict is this one ('{NOT_REVIEWED}': never reviewed; "
    "repeatable: any of them).",
)
@click.option("--source", "sources", multiple=True, help="From this source (repeatable).")
@click.option(
    "--lang", "langs", multiple=True, help="In this language, ISO 639-1 code (repeatable)."
)
@click.option("--seller", "sellers", multiple=True, help="By this seller (repeatable).")
@click.option(
    "--entity",
    "entities",
    multiple=True,
    metavar="KEY",
    help="Has this entity key, TYPE:VALUE as extraction found it (btc:bc1q..., "
    "pgp:FINGERPRINT, email:..., handle:telegram:NAME, caliber:9x19mm, ships_from:DE, "
    "make:Glock, model:Glock 19, file:stl, design:FGC-9, ...), or a key of this TYPE alone "
    "(btc, pgp, email, handle, ...; repeatable: any of them).",
)
@click.option(
    "--vendor",
    "vendors",
    multiple=True,
    metavar="ID",
    help="Linked to this vendor profile (repeatable: any of them).",
)
@click.option(
    "--duplicate-of",
    metavar="ID",
    help="In the near-duplicate cluster of this listing (its id, or the start of it): the "
    "listing itself and its copies.",
)
@click.option(
    "--since",
    metavar="DATE",
    callback=_parse_since,
    help="Last seen on or after this moment (ISO 8601; UTC unless it names a zone).",
)
@click.option(
    "--until",
    metavar="DATE",
    callback=_parse_until,
    help="Last seen on or before this moment (ISO 8601; a date alone: up to the end of that "
    "day, UTC unless it names a zone).",
)
@click.option(
    "--sort",
    type=click.Choice(SORTS),
    default="relevance",
    show_default=True,
    help="relevance: best text match first (without QUERY: highest threat score); "
    "score: highest threat score first; newest: last seen first. "
    "Ties: threat score, then last seen, then id.",
)
@click.option(
    "--limit",
    type=click.IntRange(1, 10_000),
    default=20,
    show_default=True,
    help="Listings per page.",
)
@click.option(
    "--after",
    metavar="CURSOR",
    help="Show the next page: the cursor the previous page printed (same QUERY, filters "
    "and --sort).",
)
@click.option(
    "--facets",
    "with_facets",
    is_flag=True,
    help="Also count all matches per label, source, language, seller, verdict, day last "
    "seen, entity type, country shipped from, caliber and vendor "
    "(the 10 commonest each, the 10 latest days); with --json, print those counts as one "
    "JSON object instead of the listings.",
)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="One JSON object per listing per line, with the matched words under "
    '"highlights"; the next page\'s --after goes to standard error.',
)
@common_options
def search(
    query: str,
    labels: tuple[str, ...],
    min_score: float | None,
    max_score: float | None,
    verdicts: tuple[str, ...],
    sources: tuple[str, ...],
    langs: tuple[str, ...],
    sellers: tuple[str, ...],
    entities: tuple[str, ...],
    vendors: tuple[str, ...],
    duplicate_of: str | None,
    since: datetime | None,
    until: datetime | None,
    sort: str,
    limit: int,
    after: str | None,
    with_facets: bool,
    as_json: bool,
) -> None:
    """Full-text search over titles, texts and sellers, with filters.

    QUERY words must all match (accents and case are ignored); leave it
    out to list by filters alone, highest threat score first. A page that
    has more after it ends with the --after option that shows the next.
    """
    config = load()
    with store_of(config) as store:
        request = SearchQuery(
            text=query,
            labels=labels,
            min_score=min_score,
            max_score=max_score,
            verdicts=verdicts,
            sources=sources,
            langs=langs,
            sellers=sellers,
            entities=entities,
            vendors=vendors,
            duplicate_clusters=duplicate_clusters(store, config, duplicate_of),
            since=since,
            until=until,
            limit=limit,
            sort=sort,  # type: ignore[arg-type]  # click.Choice(SORTS)
            after=after,
        )
        try:
            result = store.search(request)
        except ValueError as exc:
            if after is None:
                raise
            fail(
                f"--after {after!r} does not continue this search ({exc}): a cursor only "
                "continues the search that printed it, with the same QUERY, filters and "
                "--sort. Start again without --after.",
                Exit.BAD_CONFIG,
            )
        counts = store.facets(request) if with_facets else None
    if as_json:
        if counts is not None:
            click.echo(facets_json(result.total, counts))
            return
        for listing in result.listings:
            click.echo(json_line(listing, result.highlights.get(listing.id)))
        if result.next_cursor:
            errors.print(Text(f"next page: --after {result.next_cursor}"), soft_wrap=True)
        return
    console.print(
        listings_table(
            result.listings,
            title=f"{result.total} match(es), showing {len(result.listings)}",
            highlights=result.highlights,
        )
    )
    if counts is not None:
        console.print(facet_tables(counts))
    if result.next_cursor:
        console.print(
            Text(f"next page: the same command with --after {result.next_cursor}"),
            soft_wrap=True,
        )


@click.command()
@click.argument("listing_id", metavar="ID")
@click.option(
    "--json", "as_json", is_flag=True, help="The record as one JSON object, with its versions."
)
@common_options
def show(listing_id: str, as_json: bool) -> None:
    """Show one listing: every field, its scores and why, its versions.

    ID may be shortened to its first characters (as search tables show it)
    as long as no other listing starts the same way.
    """
    config = load()
    with store_of(config) as store:
        listing = find_listing(store, listing_id, config)
        versions = store.versions(listing.id)
    if as_json:
        record = listing.to_record()
        record["versions"] = [dataclasses.asdict(v) for v in versions]
        click.echo(json.dumps(record, ensure_ascii=False))
        return
    console.print(listing_panel(listing, versions))


@click.command()
@common_options
def sources() -> None:
    """List the configured sources and their last crawl."""
    config = load()
    with store_of(config) as store:
        last = store.last_runs()
    table = Table(title=f"sources in {config.directory}")
    for column in ("name", "kind", "enabled", "render", "robots", "schedule", "last crawl"):
        table.add_column(column, overflow="fold")
    for source in config.sources.values():
        table.add_row(
            source.name,
            source.kind,
            "yes" if source.enabled else "no",
            source.render,
            source.robots.policy,
            source.schedule or "default",
            runs_cell(last.get(source.name)),
        )
    console.print(table)


def duplicate_clusters(store: Store, config: Config, duplicate_of: str | None) -> tuple[str, ...]:
    """The near-duplicate cluster of the listing `--duplicate-of` names (none named: no
    filter); exits when that listing is in none."""
    if duplicate_of is None:
        return ()
    listing = find_listing(store, duplicate_of, config)
    if listing.duplicate_cluster is None:
        fail(
            f"listing {listing.id} is in no near-duplicate cluster: no other listing was "
            "found to copy it (or linking has not run since it was crawled: run "
            "'armswatch link'). Search without --duplicate-of.",
            Exit.BAD_CONFIG,
        )
    return (listing.duplicate_cluster,)


def find_listing(store: Store, listing_id: str, config: Config) -> Listing:
    """The listing with this id or id prefix; exits NOT_FOUND with advice otherwise."""
    matches = [listing_id] if len(listing_id) == 32 else store.ids_with_prefix(listing_id)
    if len(matches) > 1:
        fail(f"{listing_id!r} is the start of several ids: type more of it.", Exit.NOT_FOUND)
    listing = store.get(matches[0]) if matches else None
    if listing is None:
        fail(
            f"no listing with id {listing_id!r} in {store_location(config)}: copy the id "
            "from 'armswatch search' output (and check --data-dir or the store setting).",
            Exit.NOT_FOUND,
        )
    return listing
