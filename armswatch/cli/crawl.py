"""`armswatch crawl` and `armswatch demo`: run crawls with a live progress line."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.live import Live
from rich.markup import escape

from armswatch import LABELS
from armswatch.cli.alerts import send_after_crawl
from armswatch.cli.context import Exit, common_options, console, fail, load, options, store_of
from armswatch.cli.output import SHORT_ID, listings_table, progress_line, report_table
from armswatch.cli.vendors import relink_after_crawl
from armswatch.config import Config, ConfigError, load_config, resolve_config_dir
from armswatch.datadir import data_dir_problem
from armswatch.stores import OUTBOX_FILE, SearchQuery, StoreError, store_location
from classifiers import ClassifierLoadError

if TYPE_CHECKING:
    from armswatch.demo import DemoSites
    from crawlers.runner import SourceReport

DEMO_DATA_DIR = Path("armswatch-demo")


@contextmanager
def _demo_sites() -> Iterator[DemoSites]:
    """The demo sites on their usual ports, so that listing ids (which hash the
    URL) stay the same from one demo run to the next; on free ports if taken."""
    from armswatch.demo import DEFAULT_PORTS, DemoSites

    try:
        sites = DemoSites(ports=DEFAULT_PORTS)
        sites.start()
    except OSError:
        sites.stop()
        sites = DemoSites()
        sites.start()
    try:
        yield sites
    finally:
        sites.stop()


def command_name() -> str:
    """How the user can run armswatch again: its name if on PATH, else its path."""
    program = Path(sys.argv[0])
    on_path = shutil.which("armswatch")
    if on_path and Path(on_path).resolve() == program.resolve():
        return "armswatch"
    if program.name == "armswatch":
        return os.path.relpath(program) if not program.is_absolute() else str(program)
    return f"{Path(sys.executable).name} -m armswatch"


def crawl_with_progress(
    config: Config, names: list[str] | None, max_pages: int | None
) -> list[SourceReport]:
    try:
        sources = config.select(names)
    except KeyError as exc:
        fail(str(exc.args[0]), Exit.BAD_CONFIG)
    if not sources:
        fail(
            f"no enabled sources in {config.directory / 'sources'}: add a source file "
            "or set 'enabled: true' (see README.md, 'Configuration').",
            Exit.BAD_CONFIG,
        )
    if problem := data_dir_problem(config.data_dir):
        fail(f"{problem}\nNothing was crawled.", Exit.STORE_UNAVAILABLE)
    from crawlers.browser import NOTE_STAT  # Scrapy loads only for commands that crawl
    from crawlers.distributed.frontier import FrontierError
    from crawlers.runner import run_crawl
    from crawlers.session import login_problems

    if problems := login_problems(config, sources):
        lines = "\n".join(f"  - {problem}" for problem in problems)
        message = f"the login of a source cannot be used:\n{lines}\nNothing was crawled."
        fail(message, Exit.BAD_CONFIG)
    shared = config.settings.distributed.redis_url
    console.print(
        f"crawling {', '.join(s.name for s in sources)} into {store_location(config)} "
        + (f"with the frontier shared in {shared} " if shared else "")
        + f"(log: {config.data_dir / 'logs'})",
        highlight=False,
    )
    try:
        with Live(progress_line([]), console=console, refresh_per_second=4, transient=True) as live:
            reports = run_crawl(
                config,
                sources,
                max_pages=max_pages,
                on_progress=lambda reports: live.update(progress_line(reports)),
            )
    except (StoreError, FrontierError) as exc:
        fail(f"{exc}\nNothing was crawled.", Exit.STORE_UNAVAILABLE)
    except ClassifierLoadError as exc:
        fail(f"{exc}\nNothing was crawled.", Exit.BAD_CONFIG)
    console.print(report_table(reports))
    for report in reports:
        if note := report.stats.get(NOTE_STAT):
            console.print(f"[yellow]note:[/] {escape(report.source)}: {escape(str(note))}")
    if config.settings.store == "elasticsearch":
        _report_outbox(config)
    send_after_crawl(config)
    return reports


def _report_outbox(config: Config) -> None:
    """Say so when crawled listings still wait for the cluster (they are safe)."""
    from armswatch.stores.outbox import Outbox

    outbox = Outbox(config.data_dir / OUTBOX_FILE)
    depth = outbox.depth()
    outbox.close()
    if depth.pending or depth.failed:
        console.print(
            f"[yellow]note:[/] {depth.pending} write(s) wait for Elasticsearch and "
            f"{depth.failed} were refused; they are kept in {outbox.path}. They are sent "
            "at the next crawl, or now with 'armswatch index flush' "
            "('armswatch index status' shows why)."
        )


def _redis_url(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is not None and not value.startswith(("redis://", "rediss://", "unix://")):
        raise click.BadParameter(f"{value!r} is no Redis URL: give redis://HOST:PORT/DB")
    return value


@click.command()
@click.argument("sources", nargs=-1)
@click.option("--max-pages", type=click.IntRange(min=1), help="Stop each source after N pages.")
@click.option(
    "--report",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Also write the summary as JSON to this file (for scripts and the scheduler).",
)
@click.option(
    "--distributed",
    "redis_url",
    metavar="redis://HOST:PORT/DB",
    callback=_redis_url,
    help="Work on the frontier shared in this Redis with other crawl processes on any "
    "host (default: distributed.redis_url in armswatch.yaml; none: this process alone).",
)
@common_options
def crawl(
    sources: tuple[str, ...], max_pages: int | None, report: Path | None, redis_url: str | None
) -> None:
    """Crawl SOURCES (default: every enabled source) into the store, then link
    vendors and near-duplicates across all stored listings ('armswatch link').

    Exits 1 when a source could not be crawled completely; a failure of the
    linking is reported and leaves the crawl and the exit code as they are.
    """
    config = load()
    if redis_url is not None:
        distributed = config.settings.distributed.model_copy(update={"redis_url": redis_url})
        settings = config.settings.model_copy(update={"distributed": distributed})
        config = dataclasses.replace(config, settings=settings)
    reports = crawl_with_progress(config, list(sources), max_pages)
    linking = relink_after_crawl(config)
    if report is not None:
        summary = {"sources": [r.summary() for r in reports], "linking": linking}
        report.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    if not all(r.ok for r in reports):
        raise SystemExit(int(Exit.CRAWL_INCOMPLETE))


@click.command()
@common_options
def demo() -> None:
    """Serve the bundled demo sites on 127.0.0.1, crawl them, show what was flagged.

    The data directory (default ./armswatch-demo) is kept, so that
    'armswatch --data-dir armswatch-demo search ...' works afterwards.
    """
    data_dir = options().data_dir or DEMO_DATA_DIR
    with _demo_sites() as sites:
        os.environ.update(sites.env())
        for name, value in sites.credentials().items():  # unless the user set their own
            os.environ.setdefault(name, value)
        try:
            config = load_config(resolve_config_dir(None) / "demo", data_dir=data_dir)
        except ConfigError as exc:
            fail(str(exc), Exit.BAD_CONFIG)
        for site, reason in sites.skipped.items():
            console.print(f"[yellow]note:[/] the {site} demo site is not served: {escape(reason)}")
        offered = set(sites.urls)
        names = [n for n in config.sources if n.removeprefix("demo-") in offered]
        console.print(
            "demo sites: " + ", ".join(f"{name} {url}" for name, url in sites.urls.items())
        )
        reports = crawl_with_progress(config, names, None)
        relink_after_crawl(config)

    with store_of(config) as store:
        flagged = store.search(SearchQuery(labels=LABELS, limit=15))
        total = store.count()
    title = f"flagged: {flagged.total} of {total} listings (top 15)"
    console.print(listings_table(flagged.listings, title=title))
    example_id = flagged.listings[0].id[:SHORT_ID] if flagged.listings else "ID"
    prefix = f"{command_name()} --data-dir {data_dir}"
    console.print(
        "\nnext, try:\n"
        f'  {prefix} search "fgc" --label blueprints\n'
        f"  {prefix} search --label ammunition --lang de\n"
        f"  {prefix} show {example_id}\n"
        f"  {prefix} --config {config.directory} sources"
    )
    if not all(r.ok for r in reports):
        raise SystemExit(int(Exit.CRAWL_INCOMPLETE))
