"""`armswatch search`, `show` and `sources`: read the store."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime

import click
from rich.table import Table

from armswatch import LABELS
from armswatch.cli.context import Exit, common_options, console, fail, load, store_of
from armswatch.cli.output import json_line, listing_panel, listings_table, runs_cell
from armswatch.config import Config
from armswatch.listing import Listing
from armswatch.stores import SearchQuery, Store


def _parse_since(
    _ctx: click.Context, _param: click.Parameter, value: str | None
) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not a date: write e.g. 2026-11-01 or 2026-11-01T08:00"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


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
@click.option("--source", "sources", multiple=True, help="From this source (repeatable).")
@click.option(
    "--lang", "langs", multiple=True, help="In this language, ISO 639-1 code (repeatable)."
)
@click.option("--seller", "sellers", multiple=True, help="By this seller (repeatable).")
@click.option("--since", callback=_parse_since, help="Seen on or after this date (ISO 8601).")
@click.option("--limit", type=click.IntRange(1, 10_000), default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per listing per line.")
@common_options
def search(
    query: str,
    labels: tuple[str, ...],
    min_score: float | None,
    sources: tuple[str, ...],
    langs: tuple[str, ...],
    sellers: tuple[str, ...],
    since: datetime | None,
    limit: int,
    as_json: bool,
) -> None:
    """Full-text search over titles, texts and sellers, with filters.

    QUERY words must all match (accents and case are ignored); leave it
    out to list by filters alone, highest threat score first.
    """
    config = load()
    request = SearchQuery(
        text=query,
        labels=labels,
        min_score=min_score,
        sources=sources,
        langs=langs,
        sellers=sellers,
        since=since,
        limit=limit,
    )
    with store_of(config) as store:
        result = store.search(request)
    if as_json:
        for listing in result.listings:
            click.echo(json_line(listing))
        return
    console.print(
        listings_table(
            result.listings, title=f"{result.total} match(es), showing {len(result.listings)}"
        )
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


def find_listing(store: Store, listing_id: str, config: Config) -> Listing:
    """The listing with this id or id prefix; exits NOT_FOUND with advice otherwise."""
    matches = [listing_id] if len(listing_id) == 32 else store.ids_with_prefix(listing_id)
    if len(matches) > 1:
        fail(f"{listing_id!r} is the start of several ids: type more of it.", Exit.NOT_FOUND)
    listing = store.get(matches[0]) if matches else None
    if listing is None:
        fail(
            f"no listing with id {listing_id!r} in {config.data_dir}: copy the id from "
            "'armswatch search' output (and check --data-dir).",
            Exit.NOT_FOUND,
        )
    return listing
