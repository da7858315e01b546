"""`armswatch review`: record analysts' verdicts on listings from the command line.

Reviews are kept in the store beside the listings; `armswatch train
--include-reviews` learns from them.
"""

from __future__ import annotations

import dataclasses
import getpass
import json
from datetime import UTC, datetime

import click
from rich.table import Table

from armswatch import LABELS
from armswatch.cli.context import Exit, common_options, console, fail, load, store_of
from armswatch.cli.output import SHORT_ID
from armswatch.cli.query import find_listing
from armswatch.stores import Review


@click.group(name="review")
def review_group() -> None:
    """Record and list analysts' verdicts on listings."""


@review_group.command(name="label")
@click.argument("listing_id", metavar="ID")
@click.option(
    "--confirm",
    "confirmed",
    metavar="LABELS",
    help=f"The listing is a threat: the labels you agree with, comma-separated "
    f"({', '.join(LABELS)}); they may differ from the model's.",
)
@click.option("--false-positive", is_flag=True, help="The listing is benign.")
@click.option("--follow-up", is_flag=True, help="Undecided: needs follow-up (not trained on).")
@click.option("--note", default="", help="Free text kept with the verdict.")
@click.option(
    "--analyst",
    default=getpass.getuser,
    show_default="your login name",
    help="Who reviewed it.",
)
@common_options
def label(
    listing_id: str,
    confirmed: str | None,
    false_positive: bool,
    follow_up: bool,
    note: str,
    analyst: str,
) -> None:
    """Record a verdict on the listing ID (short ids as tables show them work).

    Give exactly one of --confirm LABELS, --false-positive, --follow-up. The
    latest verdict on a listing is the one training uses.
    """
    chosen = [confirmed is not None, false_positive, follow_up]
    if sum(chosen) != 1:
        fail("give exactly one of --confirm LABELS, --false-positive, --follow-up", Exit.BAD_CONFIG)
    labels: tuple[str, ...] = ()
    if confirmed is not None:
        named = [part.strip() for part in confirmed.split(",") if part.strip()]
        unknown = sorted(set(named) - set(LABELS))
        if unknown or not named:
            fail(
                f"--confirm takes labels among {', '.join(LABELS)} "
                f"(got {confirmed!r}); use --false-positive for a benign listing",
                Exit.BAD_CONFIG,
            )
        labels = tuple(label for label in LABELS if label in named)
    verdict = (
        "confirmed"
        if confirmed is not None
        else "false_positive"
        if false_positive
        else "follow_up"
    )
    config = load()
    with store_of(config) as store:
        listing = find_listing(store, listing_id, config)
        review = store.add_review(
            Review(
                listing_id=listing.id,
                verdict=verdict,
                analyst=analyst,
                reviewed_at=datetime.now(UTC).isoformat(timespec="seconds"),
                labels=labels,
                note=note,
            )
        )
    shown = f" ({', '.join(labels)})" if labels else ""
    console.print(f"{listing.id[:SHORT_ID]} {verdict}{shown}, review {review.id}", highlight=False)


@review_group.command(name="list")
@click.argument("listing_ids", metavar="[ID]...", nargs=-1)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per review.")
@common_options
def list_reviews(listing_ids: tuple[str, ...], as_json: bool) -> None:
    """List the reviews of the given listings (default: all), oldest first."""
    config = load()
    with store_of(config) as store:
        ids = [find_listing(store, listing_id, config).id for listing_id in listing_ids]
        reviews = store.reviews(ids or None)
    if as_json:
        for review in reviews:
            click.echo(json.dumps(dataclasses.asdict(review), ensure_ascii=False))
        return
    table = Table(title=f"{len(reviews)} review(s)", title_justify="left")
    for column in ("id", "listing", "verdict", "labels", "analyst", "when", "note"):
        table.add_column(column, overflow="fold")
    for review in reviews:
        table.add_row(
            str(review.id),
            review.listing_id[:SHORT_ID],
            review.verdict,
            ", ".join(review.labels),
            review.analyst,
            review.reviewed_at,
            review.note,
        )
    console.print(table)
