"""`armswatch workers`: the shared frontiers of distributed crawls, and who works on them."""

from __future__ import annotations

import dataclasses
import json

import click
from rich.table import Table

from armswatch.cli.context import Exit, common_options, console, fail, load


@click.command("workers")
@click.option(
    "--redis",
    "redis_url",
    metavar="redis://HOST:PORT/DB",
    help="The Redis of the shared frontiers (default: distributed.redis_url in armswatch.yaml).",
)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per source and worker.")
@common_options
def workers(redis_url: str | None, as_json: bool) -> None:
    """Queue depth per source and the crawl workers seen recently (distributed crawls).

    Exits 4 when Redis cannot be reached.
    """
    from crawlers.distributed.frontier import FrontierError, connect, depths
    from crawlers.distributed.frontier import workers as seen_workers

    config = load()
    redis_url = redis_url or config.settings.distributed.redis_url
    if redis_url is None:
        fail(
            "no Redis to ask: give --redis redis://HOST:PORT/DB, or set distributed.redis_url "
            f"in {config.directory / 'armswatch.yaml'}",
            Exit.BAD_CONFIG,
        )
    try:
        client = connect(redis_url)
    except FrontierError as exc:
        fail(str(exc), Exit.STORE_UNAVAILABLE)
    sources = depths(client, list(config.sources))
    alive = seen_workers(client)
    client.close()
    if as_json:
        for depth in sources:
            click.echo(json.dumps({"kind": "source", **dataclasses.asdict(depth)}))
        for worker in alive:
            click.echo(json.dumps({"kind": "worker", **dataclasses.asdict(worker)}))
        return
    table = Table(title=f"frontiers in {redis_url}")
    table.add_column("source")
    table.add_column("run", no_wrap=True)
    for column in ("queued", "in flight", "seen", "workers"):
        table.add_column(column, justify="right", no_wrap=True)
    for depth in sources:
        count = sum(1 for worker in alive if worker.source == depth.source)
        figures = (depth.queued, depth.in_flight, depth.seen, count)
        table.add_row(depth.source, depth.run or "-", *map(str, figures))
    console.print(table)
    if not alive:
        console.print("no workers seen recently: start 'armswatch crawl --distributed URL'")
        return
    table = Table(title="workers seen recently (UTC)")
    for column in ("worker", "source", "host", "pid", "started", "last seen"):
        table.add_column(column, no_wrap=column != "worker")
    for worker in alive:
        table.add_row(
            worker.worker,
            worker.source,
            worker.host,
            str(worker.pid),
            worker.started[:19].replace("T", " "),
            worker.last_seen[11:19],
        )
    console.print(table)
