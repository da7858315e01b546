"""`armswatch config check`: validate every configuration file."""

from __future__ import annotations

import click

from armswatch.cli.context import Exit, common_options, console, errors, options
from armswatch.config import ConfigError, load_config, resolve_config_dir


@click.group(name="config")
def config_group() -> None:
    """Inspect the configuration."""


@config_group.command()
@common_options
def check() -> None:
    """Validate armswatch.yaml, every source file, the watchlist and alerts.yaml.

    Prints every mistake with its file, field, value and what is expected,
    and exits 2 when there is any.
    """
    directory = resolve_config_dir(options().config_dir)
    try:
        config = load_config(directory, data_dir=options().data_dir)
    except ConfigError as exc:
        errors.print(
            f"[bold red]{len(exc.problems)} problem(s)[/] in {directory}:", highlight=False
        )
        for problem in exc.problems:
            errors.print(f"  - {problem}", highlight=False, markup=False)
        raise SystemExit(int(Exit.BAD_CONFIG)) from None
    enabled = [s.name for s in config.sources.values() if s.enabled]
    disabled = [s.name for s in config.sources.values() if not s.enabled]
    console.print(f"[green]OK[/]: {directory} is valid.", highlight=False)
    console.print(f"  {len(enabled)} enabled source(s): {', '.join(enabled) or '-'}")
    if disabled:
        console.print(f"  {len(disabled)} disabled: {', '.join(disabled)}")
    console.print(f"  store: {config.settings.store}, data directory: {config.data_dir}")
    alerts = config.alerts
    if alerts.rules:
        channels = ", ".join(alerts.channels)
        console.print(f"  alerts: {len(alerts.rules)} rule(s), channels: {channels}")
