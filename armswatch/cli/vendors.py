"""`armswatch link`, `vendors` and `vendor`: vendor profiles and near-duplicate
clusters across sources, and relinking after each crawl."""

from __future__ import annotations

import dataclasses
import json
import logging
from typing import Any

import click
from rich.console import Group
from rich.table import Table
from rich.text import Text

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
from armswatch.cli.output import SHORT_ID
from armswatch.config import Config
from armswatch.linking import LinkSummary, relink
from armswatch.listing import Listing
from armswatch.stores import Store, open_store, store_location
from armswatch.stores.base import VendorProfile, vendor_record

logger = logging.getLogger(__name__)

LISTING_FACTS = ("id", "source", "url", "title", "seller", "first_seen", "last_seen", "labels")
"""What `vendor --json` gives of each listing (`show ID --json` has the rest)."""


def summary_text(summary: LinkSummary) -> str:
    return (
        f"linked {summary.listings} listings: {summary.vendors} vendor(s) over "
        f"{summary.linked_listings} listings, {summary.clusters} near-duplicate cluster(s) "
        f"over {summary.clustered_listings} listings ({summary.changed} listing(s) changed)"
    )


def relink_after_crawl(config: Config) -> dict[str, Any]:
    """Relink once the crawl is stored, and say how it went; a failure is logged and
    reported (the crawl is kept: linking only reads it), never raised."""
    try:
        store = open_store(config)
        try:
            summary = relink(store, config)
        finally:
            store.close()
    except Exception as exc:  # linking must never cost the crawl
        logger.exception("linking vendors and near-duplicates after the crawl failed")
        message = f"{type(exc).__name__}: {exc}"
        errors.print(
            Text.assemble(
                ("warning: ", "bold yellow"),
                f"the crawl is stored, but linking vendors and near-duplicates failed "
                f"({message}); run 'armswatch link' to try again.",
            )
        )
        return {"ok": False, "error": message}
    console.print(summary_text(summary), highlight=False)
    return {"ok": True, **dataclasses.asdict(summary)}


@click.command()
@click.option("--json", "as_json", is_flag=True, help="The figures as one JSON object.")
@common_options
def link(as_json: bool) -> None:
    """Link listings across sources now: vendor profiles and near-duplicate clusters.

    Listings sharing a PGP key, a crypto address, an e-mail address, a phone
    number or a messenger handle, or the same seller name on sources of one
    'family', are one vendor; listings that read the same (posted on several
    sites, or again under a new title) are one cluster. Every crawl does this
    at its end; run it after changing source families or when a crawl's
    linking failed.
    """
    config = load()
    with store_of(config) as store:
        total = store.count()
        with progress_bar() as progress:
            task = progress.add_task("linking", total=total)
            summary = relink(store, config, lambda read: progress.update(task, completed=read))
    if as_json:
        click.echo(json.dumps(dataclasses.asdict(summary)))
        return
    console.print(summary_text(summary), highlight=False)


@click.command()
@click.option("--source", help="Only vendors with a listing on this source.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per vendor per line.")
@common_options
def vendors(source: str | None, as_json: bool) -> None:
    """List the vendor profiles, most listings first.

    Each is a group of listings linked by what they share (see 'armswatch
    link'); 'armswatch vendor ID' shows its listings and the evidence.
    """
    config = load()
    with store_of(config) as store:
        profiles = store.vendors(source)
    if as_json:
        for profile in profiles:
            click.echo(json.dumps(vendor_record(profile), ensure_ascii=False))
        return
    where = f" with listings on {source}" if source else ""
    table = Table(title=f"{len(profiles)} vendor(s){where} in {store_location(config)}")
    table.add_column("vendor", style="dim", no_wrap=True, min_width=SHORT_ID)
    table.add_column("listings", justify="right")
    for column in ("sources", "sellers", "first seen", "last seen"):
        table.add_column(column, overflow="fold")
    table.add_column("labels", style="bold red")
    table.add_column("links", justify="right")
    for p in profiles:
        table.add_row(
            p.id[:SHORT_ID],
            str(len(p.listing_ids)),
            "\n".join(p.sources),
            Text("\n".join(p.sellers) or "-"),
            p.first_seen or "-",
            p.last_seen or "-",
            "\n".join(p.labels) or "-",
            str(len(p.links)),
        )
    console.print(table)
    if not profiles:
        console.print(
            "No vendors: no two listings share a key, an address, a contact or (on sources "
            "of one family) a seller name. Linking runs after each crawl; 'armswatch link' "
            "runs it now."
        )


@click.command()
@click.argument("vendor_id", metavar="ID")
@click.option(
    "--json", "as_json", is_flag=True, help="The profile and its listings as one JSON object."
)
@common_options
def vendor(vendor_id: str, as_json: bool) -> None:
    """Show one vendor: its listings across sources and the evidence that links them.

    ID may be shortened to its first characters (as 'armswatch vendors' shows
    it) as long as no other vendor starts the same way.
    """
    config = load()
    with store_of(config) as store:
        profile = find_vendor(store, vendor_id, config)
        found = store.get_many(profile.listing_ids)
    listings = [found[i] for i in profile.listing_ids if i in found]
    if as_json:
        record = vendor_record(profile)
        record["listings"] = [
            {name: getattr(listing, name) for name in LISTING_FACTS} for listing in listings
        ]
        click.echo(json.dumps(record, ensure_ascii=False))
        return
    console.print(vendor_panel(profile, listings))


def find_vendor(store: Store, vendor_id: str, config: Config) -> VendorProfile:
    """The vendor with this id or id prefix; exits NOT_FOUND with advice otherwise."""
    profile = store.vendor(vendor_id)
    if profile is not None:
        return profile
    matches = [p for p in store.vendors() if p.id.startswith(vendor_id)]
    if len(matches) > 1:
        fail(f"{vendor_id!r} is the start of several vendor ids: type more of it.", Exit.NOT_FOUND)
    if not matches:
        fail(
            f"no vendor with id {vendor_id!r} in {store_location(config)}: copy the id from "
            "'armswatch vendors' output (vendor ids change only when the key that joined "
            "their listings leaves them; 'armswatch link' recomputes them).",
            Exit.NOT_FOUND,
        )
    return matches[0]


def vendor_panel(profile: VendorProfile, listings: list[Listing]) -> Group:
    facts = Table.grid(padding=(0, 2))
    facts.add_column(style="bold")
    facts.add_column(overflow="fold")
    facts.add_row("vendor", profile.id)
    facts.add_row("sources", ", ".join(profile.sources))
    facts.add_row("sellers", Text(", ".join(profile.sellers) or "-"))
    facts.add_row("first seen", profile.first_seen or "-")
    facts.add_row("last seen", profile.last_seen or "-")
    facts.add_row("labels", ", ".join(profile.labels) or "-")

    shown = Table(title=f"{len(profile.listing_ids)} listings", title_justify="left")
    shown.add_column("id", style="dim", no_wrap=True, min_width=SHORT_ID)
    shown.add_column("source", no_wrap=True)
    shown.add_column("listing", overflow="fold", ratio=1)
    for column in ("first seen", "last seen"):
        shown.add_column(column)
    shown.add_column("labels", style="bold red")
    for listing in listings:
        cell = Text(listing.title[:160])
        cell.append(f"\nseller {listing.seller or '-'}", "dim")
        shown.add_row(
            listing.id[:SHORT_ID],
            listing.source,
            cell,
            listing.first_seen or "-",
            listing.last_seen or "-",
            "\n".join(listing.labels) or "-",
        )

    evidence = Table(title="linked by", title_justify="left")
    evidence.add_column("shared", overflow="fold")
    evidence.add_column("listings", no_wrap=True)
    for shared in profile.links:
        evidence.add_row(Text(shared.key), "\n".join(i[:SHORT_ID] for i in shared.listing_ids))
    return Group(facts, shown, evidence)
