"""`armswatch schedule ...`, `armswatch runs`, `armswatch run-now`: crawls that run
themselves, and what they did."""

from __future__ import annotations

import dataclasses
import json
import logging
import signal
import threading
from datetime import datetime
from types import FrameType
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import click
from rich.markup import escape
from rich.table import Table
from rich.text import Text
from sqlalchemy.engine import make_url

from armswatch.cli.context import Exit, common_options, console, errors, fail, load
from armswatch.config import Config
from armswatch.scheduling import job, job_store_url
from armswatch.scheduling.history import OK, RunHistory, RunRecord

if TYPE_CHECKING:
    from scheduler import Scheduler

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


@click.group("schedule")
def schedule_group() -> None:
    """Run every enabled source on its cron schedule, unattended.

    Each source's `schedule` (cron, in its source file; default
    `schedule.default` in armswatch.yaml, 02:00 nightly) becomes a job in a
    persistent job store. `armswatch runs` shows what the runs did.
    """


def _scheduler(config: Config) -> Scheduler:
    from scheduler import Scheduler  # APScheduler loads only for these commands

    try:
        return Scheduler(config)
    except Exception as exc:  # the job store's database cannot be opened
        fail(
            f"cannot open the job store {_shown(config)} ({exc}); check schedule.job_store "
            "in armswatch.yaml and that the database is reachable",
            Exit.BAD_CONFIG,
        )


def _shown(config: Config) -> str:
    """The job store URL without its password."""
    return make_url(job_store_url(config)).render_as_string(hide_password=True)


@schedule_group.command("run")
@common_options
def run() -> None:
    """Run the scheduler in the foreground until SIGTERM or Ctrl-C.

    At a stop, running crawls get schedule.stop_deadline seconds to finish and
    are then stopped (and recorded as stopped); a second Ctrl-C stops them at
    once. The job store is synced with the configuration first.
    """
    config = load()
    scheduler = _scheduler(config)
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    stop = threading.Event()

    def on_signal(number: int, frame: FrameType | None) -> None:
        if stop.is_set():
            job.request_stop(0)
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    enabled = sorted(scheduler.wanted())
    console.print(
        f"scheduler: {len(enabled)} source(s) ({', '.join(enabled) or 'none enabled'}); "
        f"job store {_shown(config)}; history {scheduler.history.path}. "
        "Stop with Ctrl-C or SIGTERM.",
        highlight=False,
    )
    lost = scheduler.run(stop)
    for record in lost:
        errors.print(
            f"note: the run of {record.source} started {record.started_at} was interrupted "
            "(an earlier scheduler stopped while it ran)",
            highlight=False,
            markup=False,
        )
    console.print("scheduler stopped")


@schedule_group.command("list")
@common_options
def list_jobs() -> None:
    """List the scheduled jobs with their next run time."""
    config = load()
    scheduler = _scheduler(config)
    zone = ZoneInfo(config.settings.schedule.timezone)
    with scheduler.opened():
        jobs = scheduler.jobs()
        wanted = scheduler.wanted()
    table = Table(title=f"scheduled crawls ({_shown(config)})")
    for column in ("source", "schedule", "next run"):
        table.add_column(column)
    differs = False
    for scheduled in jobs:
        when = scheduled.next_run.astimezone(zone).isoformat() if scheduled.next_run else "paused"
        if str(wanted.get(scheduled.source)) != scheduled.schedule:
            differs, when = True, f"{when} (config differs)"
        table.add_row(scheduled.source, scheduled.schedule, when)
    for name in sorted(set(wanted) - {j.source for j in jobs}):
        differs = True
        table.add_row(name, str(wanted[name]), "not scheduled yet")
    console.print(table)
    if differs:
        console.print("the job store differs from the configuration: run 'armswatch schedule sync'")


@schedule_group.command("sync")
@common_options
def sync() -> None:
    """Make the jobs match the configuration: one per enabled source.

    A job whose schedule did not change keeps its next run time. The daemon
    syncs at start too.
    """
    config = load()
    scheduler = _scheduler(config)
    with scheduler.opened():
        report = scheduler.sync()
    for what, names in dataclasses.asdict(report).items():
        if names:
            console.print(f"{what}: {', '.join(sorted(names))}", highlight=False)
    if not any(dataclasses.asdict(report).values()):
        console.print("no enabled sources: nothing is scheduled")


@click.command("runs")
@click.option("--source", help="Only the runs of this source.")
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per run per line.")
@common_options
def runs(source: str | None, limit: int, as_json: bool) -> None:
    """The history of scheduled runs, newest first: status, figures, errors."""
    config = load()
    records = RunHistory(config.data_dir).runs(source, limit)
    if as_json:
        for record in records:
            click.echo(json.dumps(dataclasses.asdict(record), ensure_ascii=False))
        return
    table = Table(title=f"runs in {config.data_dir} (started: month-day, UTC)")
    widest = max((len(r.source) for r in records), default=6)
    table.add_column("id", no_wrap=True)
    table.add_column("source", min_width=min(widest, 24))
    for column in ("started", "took", "status"):
        table.add_column(column, no_wrap=True)
    table.add_column("pages/new/\nchanged/flagged", justify="right", no_wrap=True)
    for record in records:
        status = record.status + (" (manual)" if record.trigger == "manual" else "")
        table.add_row(
            str(record.id),
            record.source,
            record.started_at[5:16].replace("T", " "),
            _took(record),
            Text(status, style="green" if record.status == OK else "bold red"),
            "/".join(str(n) for n in (record.pages, record.new, record.changed, record.flagged)),
        )
    console.print(table)
    for record in records:
        if record.errors:
            first = record.errors.splitlines()[0]
            console.print(Text(f"#{record.id} {record.source}: {first}"), highlight=False)
    if not records:
        console.print(
            "no runs yet: start 'armswatch schedule run' or try 'armswatch run-now SOURCE'"
        )


@click.command("run-now")
@click.argument("source")
@common_options
def run_now(source: str) -> None:
    """Run SOURCE's crawl now, as the scheduler would, and record it in the history.

    Exits 0 when the crawl finished, 1 when it failed, timed out or was skipped
    (its previous run still going).
    """
    config = load()
    if source not in config.sources:
        fail(
            f"unknown source {source}; configured: {', '.join(sorted(config.sources))}",
            Exit.BAD_CONFIG,
        )
    signal.signal(signal.SIGTERM, lambda number, frame: job.request_stop(0))
    signal.signal(signal.SIGINT, lambda number, frame: job.request_stop(0))
    with console.status(f"crawling {source} (a child process; its output goes to the log)"):
        record = job.run_source(config.directory, config.data_dir, source, trigger="manual")
    _print_outcome(record)
    if record.status != OK:
        raise SystemExit(int(Exit.CRAWL_INCOMPLETE))


def _print_outcome(record: RunRecord) -> None:
    style = "green" if record.status == OK else "bold red"
    console.print(
        f"[{style}]{record.status}[/]: {escape(record.source)}, {record.pages} pages, "
        f"{record.new} new, {record.changed} changed, {record.flagged} flagged"
        + (f" (log: {escape(record.log)})" if record.log else ""),
        highlight=False,
    )
    if record.errors:
        errors.print(record.errors, markup=False, highlight=False)


def _took(record: RunRecord) -> str:
    if not record.finished_at:
        return "-"
    seconds = (
        datetime.fromisoformat(record.finished_at) - datetime.fromisoformat(record.started_at)
    ).total_seconds()
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.0f} min"
