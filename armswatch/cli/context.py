"""Options every command takes, and turning failures into messages and exit codes."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click
from click.core import ParameterSource
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from armswatch.config import Config, ConfigError, load_config
from armswatch.stores import Store, StoreError, open_store
from classifiers import Classifier, ClassifierLoadError, load_classifier

console = Console()
errors = Console(stderr=True, soft_wrap=True)
F = TypeVar("F", bound=Callable[..., Any])


class Exit(IntEnum):
    """Exit codes scripts can rely on."""

    OK = 0
    CRAWL_INCOMPLETE = 1
    """A source could not be crawled completely (unreachable, failed)."""
    ALERTS_PENDING = 1
    """`alerts send`: some alerts are still pending (a channel did not take them)."""
    BAD_CONFIG = 2
    """Invalid configuration or command-line usage."""
    NOT_FOUND = 3
    """The listing or source asked for does not exist."""
    STORE_UNAVAILABLE = 4
    """The store could not be opened or written."""
    BAD_INPUT = 5
    """Some input lines were malformed (and skipped); `train`: the data cannot train a model."""
    EVIDENCE_MISMATCH = 6
    """Kept evidence does not verify against its manifest (changed or damaged), or the
    audit log's hash chain is broken (an entry changed or removed outside armswatch)."""


@dataclass
class Options:
    config_dir: Path | None = None
    data_dir: Path | None = None


def fail(message: str, code: Exit) -> NoReturn:
    """Print what happened and what to do, then exit with `code`."""
    errors.print(f"[bold red]error:[/] {escape(message)}", highlight=False)
    raise SystemExit(int(code))


def common_options(command: F) -> F:
    """`--config` and `--data-dir`, accepted before or after the command name."""

    def remember(name: str) -> Callable[[click.Context, click.Parameter, Any], Any]:
        def callback(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
            opts = ctx.ensure_object(Options)
            from_env = ctx.get_parameter_source(param.name or "") is ParameterSource.ENVIRONMENT
            # A value given on the command line wins over the environment, wherever given.
            if value is not None and not (from_env and getattr(opts, name) is not None):
                setattr(opts, name, value)
            return value

        return callback

    command = click.option(
        "--config",
        "config_dir",
        type=click.Path(path_type=Path, file_okay=False),
        envvar="ARMSWATCH_CONFIG",
        expose_value=False,
        callback=remember("config_dir"),
        help="Config directory (default: ./config, else the bundled one). Env: ARMSWATCH_CONFIG.",
    )(command)
    command = click.option(
        "--data-dir",
        type=click.Path(path_type=Path, file_okay=False),
        envvar="ARMSWATCH_DATA_DIR",
        expose_value=False,
        callback=remember("data_dir"),
        help="Data directory (store, evidence, logs). Env: ARMSWATCH_DATA_DIR.",
    )(command)
    return command


def options() -> Options:
    return click.get_current_context().ensure_object(Options)


def load() -> Config:
    """The configuration the command runs with, or a clear exit on mistakes."""
    opts = options()
    try:
        return load_config(opts.config_dir, data_dir=opts.data_dir)
    except ConfigError as exc:
        fail(str(exc), Exit.BAD_CONFIG)
        raise  # unreachable: fail() exits


@contextmanager
def store_of(config: Config) -> Iterator[Store]:
    """The configured store, opened for one command; store failures exit clearly."""
    try:
        store = open_store(config)
        try:
            yield store
        finally:
            store.close()
    except StoreError as exc:
        fail(str(exc), Exit.STORE_UNAVAILABLE)


def classifier_of(config: Config) -> Classifier:
    """The configured classifier; a model that cannot be loaded exits clearly."""
    try:
        return load_classifier(config)
    except ClassifierLoadError as exc:
        fail(str(exc), Exit.BAD_CONFIG)


@contextmanager
def progress_bar() -> Iterator[Progress]:
    """A progress bar on standard error, so standard output stays clean for data."""
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=errors, transient=True) as progress:
        yield progress
