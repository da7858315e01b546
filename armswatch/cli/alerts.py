"""`armswatch alerts ...`: what waits to be alerted, and sending it now; and the
alert line at the end of every crawl."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import click
from rich.markup import escape
from rich.table import Table

from armswatch.alerts.config import ALERTS_FILE
from armswatch.alerts.dispatch import AlertReport, dispatch
from armswatch.alerts.ledger import LEDGER_FILE, Ledger, LedgerError
from armswatch.cli.context import Exit, common_options, console, errors, fail, load, store_of
from armswatch.config import Config
from armswatch.stores import open_store


@click.group("alerts")
def alerts_group() -> None:
    """Alerts on newly flagged listings: what is pending, and sending it now.

    Rules and channels are in alerts.yaml in the config directory (see
    config/alerts.example.yaml). Every crawl sends the alerts it raised when it
    ends; what a channel did not take is retried by the next crawl or by
    'armswatch alerts send'.
    """


@contextmanager
def _ledger(config: Config) -> Iterator[Ledger]:
    try:
        with Ledger(config.data_dir / LEDGER_FILE) as ledger:
            yield ledger
    except LedgerError as exc:
        fail(str(exc), Exit.STORE_UNAVAILABLE)


@alerts_group.command("status")
@common_options
def status() -> None:
    """Show pending and sent alerts per rule and channel.

    Pending alerts are shown with their attempts and last error; the count of
    flagged listings not yet matched against the rules follows. Exits 0.
    """
    config = load()
    if not config.alerts.rules:
        _no_rules(config)
    if not (config.data_dir / LEDGER_FILE).exists():
        console.print(f"no alerts recorded yet in {config.data_dir}", highlight=False)
        return
    with _ledger(config) as ledger:
        routes = ledger.routes()
        candidates = ledger.candidates()
    if routes:
        table = Table(title="alerts per rule and channel")
        for column in ("rule", "channel", "pending", "attempts", "last error", "sent", "last sent"):
            table.add_column(column, overflow="fold")
        for route in routes:
            table.add_row(
                route.rule,
                route.channel,
                str(route.pending),
                str(route.attempts) if route.pending else "",
                escape(route.error or ""),
                str(route.sent),
                route.last_sent or "",
            )
        console.print(table)
    waiting = f"{len(candidates)} flagged listing(s) wait to be matched against the rules"
    if candidates:
        waiting += f" (oldest found {candidates[0].found_at}; 'armswatch alerts send' matches them)"
    console.print(waiting, highlight=False)


@alerts_group.command("send")
@common_options
def send() -> None:
    """Send every pending alert now, retrying those that failed before.

    Flagged listings not yet matched against the rules are matched first.

    Exits 0 when nothing is left pending, 1 when some alerts are still pending
    ('armswatch alerts status' shows why).
    """
    config = load()
    if not config.alerts.rules:
        _no_rules(config)
        return
    with store_of(config) as store:
        try:
            report = dispatch(config, store)
        except LedgerError as exc:
            fail(str(exc), Exit.STORE_UNAVAILABLE)
    _print(report)
    if report.pending:
        errors.print(
            f"[bold red]pending:[/] {report.pending} alert(s) were not sent: fix the channel "
            "(see the error above or 'armswatch alerts status') and run 'armswatch alerts "
            "send' again; they are kept until then",
            highlight=False,
        )
        raise SystemExit(int(Exit.ALERTS_PENDING))


def send_after_crawl(config: Config) -> None:
    """At the end of a crawl: send the alerts it raised and say how in one line.
    It never fails the crawl: what was not sent waits in the ledger."""
    if not config.alerts.rules:
        return
    try:
        store = open_store(config)
        try:
            report = dispatch(config, store)
        finally:
            store.close()
    except Exception as exc:  # whatever alerting does, the crawl's outcome stands
        console.print(
            f"[yellow]alerts:[/] not sent ({escape(str(exc))}); they are kept: run "
            "'armswatch alerts send' once this is fixed",
            highlight=False,
        )
        return
    _print(report)


def _print(report: AlertReport) -> None:
    console.print(escape(report.line()), highlight=False)


def _no_rules(config: Config) -> None:
    console.print(
        f"no alert rules: {config.directory / ALERTS_FILE} is missing or has none, so "
        "nothing is sent (see config/alerts.example.yaml)",
        highlight=False,
    )
