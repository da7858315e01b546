"""`armswatch review`: record analysts' verdicts on listings from the command line,
and serve the review web app (`review serve`).

Reviews are kept in the store beside the listings; `armswatch train
--include-reviews` learns from them.
"""

from __future__ import annotations

import dataclasses
import errno
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
from armswatch.workspace import Workspace, WorkspaceError, workspace_path


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


@review_group.command(name="serve")
@click.option("--host", help="Address to listen on (default: review.host, 127.0.0.1).")
@click.option("--port", type=click.IntRange(1, 65535), help="Port (default: review.port, 8080).")
@click.option(
    "--threads",
    type=click.IntRange(1, 64),
    default=8,
    show_default=True,
    help="Requests served at once.",
)
@common_options
def serve(host: str | None, port: int | None, threads: int) -> None:
    """Serve the review web app: triage queue, search, listing pages, verdicts, notes,
    cases, exports, dashboard, and (for admins) users and the audit log.

    Analysts log in with accounts made by `armswatch user add`. It listens on
    127.0.0.1 unless told otherwise: to serve a network, put an HTTPS reverse proxy in
    front of it and set review.secure_cookies. Stop it with Ctrl-C.
    """
    from waitress import create_server

    from armswatch.webapp import create_app

    config = load()
    settings = config.settings.review
    host, port = host or settings.host, port or settings.port
    try:
        with Workspace.open(workspace_path(config.data_dir)) as workspace:
            users = workspace.accounts.all()
    except WorkspaceError as exc:
        fail(str(exc), Exit.STORE_UNAVAILABLE)
    if not users:
        fail(
            f"no one can log in yet: add the first account with "
            f"'armswatch --data-dir {config.data_dir} user add NAME --role admin', then "
            "start the app again",
            Exit.BAD_CONFIG,
        )
    with store_of(config):
        pass  # a store that cannot be opened is reported now, not on the first page
    try:
        server = create_server(create_app(config), host=host, port=port, threads=threads)
    except OSError as exc:
        advice = (
            "another program (or another 'armswatch review serve') uses it: choose another "
            "port with --port"
            if exc.errno == errno.EADDRINUSE
            else "check --host: it must be an address of this machine"
        )
        fail(f"cannot listen on {host}:{port} ({exc.strerror or exc}); {advice}", Exit.BAD_CONFIG)
    console.print(
        f"review app for {config.data_dir} on http://{host}:{port}/ (Ctrl-C stops it)",
        highlight=False,
    )
    console.file.flush()  # seen at once in a service's log, not when the buffer fills
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
