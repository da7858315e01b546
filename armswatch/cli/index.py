"""`armswatch index ...`: the Elasticsearch indices and the outbox that feeds them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click
from rich.markup import escape
from rich.table import Table

from armswatch.cli.context import (
    Exit,
    classifier_of,
    common_options,
    console,
    errors,
    fail,
    load,
    progress_bar,
)
from armswatch.config import Config
from armswatch.stores import OUTBOX_FILE, StoreError
from armswatch.stores.elastic import ElasticsearchStore, explain
from classifiers import ListingText


@click.group("index")
def index_group() -> None:
    """The Elasticsearch index: check, create, rebuild, and send what waits.

    These commands need `store: elasticsearch` in armswatch.yaml (or
    ARMSWATCH_STORE=elasticsearch); ARMSWATCH_ES_URL overrides the URL.
    """


@contextmanager
def elastic_store(config: Config) -> Iterator[ElasticsearchStore]:
    """The configured Elasticsearch store; clear exits for every failure."""
    if config.settings.store != "elasticsearch":
        fail(
            f"the configured store is {config.settings.store!r}: set 'store: elasticsearch' "
            f"in {config.directory / 'armswatch.yaml'} or ARMSWATCH_STORE=elasticsearch.",
            Exit.BAD_CONFIG,
        )
    try:
        store = ElasticsearchStore(config.settings.elasticsearch, config.data_dir / OUTBOX_FILE)
    except StoreError as exc:
        fail(str(exc), Exit.STORE_UNAVAILABLE)
    try:
        yield store
    except StoreError as exc:
        fail(str(exc), Exit.STORE_UNAVAILABLE)
    except Exception as exc:  # the client's own errors: TLS, auth, an unexpected answer
        fail(explain(exc, config.settings.elasticsearch), Exit.STORE_UNAVAILABLE)
    finally:
        store.close()


@index_group.command("check")
@common_options
def check() -> None:
    """Connect and report the cluster, its health, and armswatch's indices.

    Exit code 0 when everything is in place, 2 when something needs setting up
    (the message says what to run), 4 when the cluster cannot be used.
    """
    config = load()
    with elastic_store(config) as store:
        report = store.layout.check()
    table = Table(title=f"Elasticsearch at {_urls(config)}", show_header=False)
    table.add_column("what")
    table.add_column("state", overflow="fold")
    table.add_row("cluster", report.cluster)
    table.add_row("version", report.version)
    table.add_row("health", report.health)
    for name, state in report.templates.items():
        table.add_row(f"template {name}", state)
    table.add_row(f"alias {report.alias}", ", ".join(report.indices) or "missing")
    table.add_row("listings", str(report.listings))
    console.print(table)
    for problem in report.problems:
        errors.print(f"[bold red]problem:[/] {escape(problem)}", highlight=False)
    if report.problems:
        raise SystemExit(int(Exit.BAD_CONFIG))


@index_group.command("init")
@common_options
def init() -> None:
    """Create the index templates, the first listings index and its alias.

    Safe to run again: what exists is left as it is (templates are updated).
    """
    config = load()
    with elastic_store(config) as store:
        store.init()
        indices = store.layout.current_indices()
    console.print(
        f"ready: alias {store.names.listings} -> {', '.join(indices)}; "
        f"indices {store.names.runs}, {store.names.reviews}"
    )


@index_group.command("rebuild")
@click.option(
    "--reclassify",
    is_flag=True,
    help="Score every listing again with the configured classifier while copying.",
)
@click.option(
    "--keep-old", is_flag=True, help="Keep the old index (unaliased) instead of deleting it."
)
@common_options
def rebuild(reclassify: bool, keep_old: bool) -> None:
    """Copy the listings into a new index and swap the alias to it.

    Use it after a mapping change (a new armswatch) or, with --reclassify, after
    training a new model. Searches and crawls go on meanwhile: writes made during
    the copy are caught up (they wait in the writers' outboxes for the last moment).
    """
    config = load()
    classifier = classifier_of(config) if reclassify else None
    with elastic_store(config) as store, progress_bar() as progress:
        task = progress.add_task("copying listings", total=store.count())

        def transform(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
            if classifier is not None:
                texts = [ListingText(d["title"], d["text"], d.get("lang")) for d in docs]
                for doc, prediction in zip(docs, classifier.predict(texts), strict=True):
                    doc.update(
                        scores=prediction.scores,
                        labels=prediction.labels,
                        threat_score=prediction.threat_score,
                        explanations=prediction.explanations,
                        classifier_version=classifier.version,
                    )
            progress.advance(task, len(docs))
            return docs

        report = store.layout.rebuild(transform, keep_old=keep_old)
    console.print(
        f"rebuilt: {report.count} listing(s) in {report.new_index} (copied {report.copied}, "
        f"caught up {report.caught_up}); {report.old_index} " + ("kept" if keep_old else "deleted")
    )


@index_group.command("flush")
@click.option(
    "--retry-failed",
    is_flag=True,
    help="Also send again the writes the cluster refused before (after fixing the cause).",
)
@common_options
def flush(retry_failed: bool) -> None:
    """Send every write waiting in the outbox to the cluster now.

    Exit code 0 when the outbox is empty afterwards, 4 when the cluster could not
    be reached or refused some writes (they stay in the outbox).
    """
    config = load()
    with elastic_store(config) as store:
        if retry_failed:
            store.outbox.retry_failed()
        report = store.drain(force=True)
        depth = store.outbox.depth()
    console.print(f"sent {report.sent} write(s); {depth.pending} waiting, {depth.failed} failed")
    for reason in report.failed:
        errors.print(f"[bold red]refused:[/] {escape(reason)}", highlight=False)
    if report.error:
        fail(report.error, Exit.STORE_UNAVAILABLE)
    if depth.pending or depth.failed:
        fail(
            "some writes are still in the outbox: see 'armswatch index status'; fix the "
            "cause and run 'armswatch index flush --retry-failed'",
            Exit.STORE_UNAVAILABLE,
        )


@index_group.command("status")
@click.option("--limit", type=click.IntRange(1, 10_000), default=20, show_default=True)
@common_options
def status(limit: int) -> None:
    """Show the outbox: writes waiting for the cluster, and those it refused."""
    config = load()
    with elastic_store(config) as store:
        depth = store.outbox.depth()
        refused = store.outbox.failed(limit)
        try:
            store.client.info()
            reachable = "reachable"
        except Exception as exc:
            reachable = explain(exc, config.settings.elasticsearch)
    console.print(f"cluster: {reachable}")
    console.print(
        f"outbox {store.outbox.path}: {depth.pending} waiting"
        + (f" (oldest queued {depth.oldest})" if depth.oldest else "")
        + f", {depth.failed} refused"
    )
    if refused:
        table = Table(title="refused writes (fix, then 'armswatch index flush --retry-failed')")
        for column in ("seq", "kind", "id", "attempts", "reason"):
            table.add_column(column, overflow="fold")
        for operation in refused:
            table.add_row(
                str(operation.seq),
                operation.kind,
                operation.key,
                str(operation.attempts),
                operation.error or "",
            )
        console.print(table)


def _urls(config: Config) -> str:
    return ", ".join(str(url).rstrip("/") for url in config.settings.elasticsearch.url)
