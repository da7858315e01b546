"""`armswatch audit`: read, export and check the review app's audit log.

Also how commands reach the workspace (`workspace_of`) and who they act as
(`cli_actor`): every command that changes the workspace records an audit entry.
"""

from __future__ import annotations

import dataclasses
import getpass
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from rich.table import Table

from armswatch.cli.context import Exit, common_options, console, fail, load
from armswatch.config import Config
from armswatch.workspace import AuditEntry, Workspace, WorkspaceError, workspace_path


def cli_actor() -> str:
    """The audit actor of a command: "cli:" and the login name of whoever runs it."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no login name (a container without a passwd entry)
        return "cli:unknown"


@contextmanager
def workspace_of(config: Config) -> Iterator[Workspace]:
    """The workspace in the configured data directory, opened for one command; a
    workspace that cannot be used exits clearly."""
    try:
        with Workspace.open(workspace_path(config.data_dir)) as workspace:
            yield workspace
    except WorkspaceError as exc:
        fail(str(exc), Exit.STORE_UNAVAILABLE)


def entry_json(entry: AuditEntry) -> str:
    return json.dumps(dataclasses.asdict(entry), ensure_ascii=False)


@click.group(name="audit")
def audit_group() -> None:
    """The review app's audit log: who reviewed, exported, logged in, and when.

    The log is append-only, and each entry is chained to the one before it by a
    SHA-256 digest, so `armswatch audit verify` finds entries changed or removed
    behind armswatch's back.
    """


@audit_group.command(name="list")
@click.option("--actor", help="Only this user's entries (commands act as cli:LOGIN).")
@click.option("--action", help="Only this action, e.g. login, review, export, user_add.")
@click.option("--listing", "listing_id", metavar="ID", help="Only entries on this listing id.")
@click.option("--since", metavar="WHEN", help="From this date or time on (UTC), e.g. 2026-05-01.")
@click.option(
    "--limit",
    type=click.IntRange(min=0),
    default=100,
    show_default=True,
    help="The latest N matching entries; 0 for all.",
)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per entry.")
@common_options
def list_entries(
    actor: str | None,
    action: str | None,
    listing_id: str | None,
    since: str | None,
    limit: int,
    as_json: bool,
) -> None:
    """List audit entries, oldest first."""
    config = load()
    with workspace_of(config) as workspace:
        try:
            entries = workspace.audit.entries(
                actor=actor, action=action, listing_id=listing_id, since=since, limit=limit or None
            )
        except WorkspaceError as exc:  # an unreadable --since
            fail(str(exc), Exit.BAD_CONFIG)
    if as_json:
        for entry in entries:
            click.echo(entry_json(entry))
        return
    table = Table(title=f"{len(entries)} audit entries", title_justify="left")
    for column in ("id", "when", "actor", "action", "listing", "detail"):
        table.add_column(column, overflow="fold")
    for entry in entries:
        table.add_row(
            str(entry.id),
            entry.at,
            entry.actor,
            entry.action,
            entry.listing_id or "",
            json.dumps(entry.detail, ensure_ascii=False),
        )
    console.print(table)


@audit_group.command(name="export")
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    required=True,
    help="The JSON Lines file to write (replaced if it exists).",
)
@common_options
def export_entries(output: Path) -> None:
    """Write the whole audit log to a JSON Lines file, one entry per line, with the
    digests, so the chain can be checked away from this host. The export is itself
    recorded in the log."""
    config = load()
    with workspace_of(config) as workspace:
        entries = workspace.audit.entries()
        try:
            with output.open("w", encoding="utf-8") as out:
                for entry in entries:
                    out.write(entry_json(entry) + "\n")
        except OSError as exc:
            fail(
                f"cannot write {output} ({exc.strerror or exc}); check the folder exists and "
                "is writable, or choose another file with -o",
                Exit.BAD_CONFIG,
            )
        workspace.audit.record(cli_actor(), "audit_export", file=str(output), count=len(entries))
    console.print(f"{len(entries)} audit entries written to {output}", highlight=False)


@audit_group.command(name="verify")
@common_options
def verify_log() -> None:
    """Check the audit log's digest chain; exit 6 if an entry was changed or removed."""
    config = load()
    with workspace_of(config) as workspace:
        broken = workspace.audit.verify()
        count = len(workspace.audit.entries())
    if broken:
        fail(
            f"the audit log does not verify: the chain breaks at entr"
            f"{'y' if len(broken) == 1 else 'ies'} {', '.join(map(str, broken))} (changed, "
            "or following removed entries, outside armswatch). Keep a copy of "
            f"{workspace_path(config.data_dir)} as it is for investigation",
            Exit.EVIDENCE_MISMATCH,
        )
    console.print(f"audit log intact: {count} entries verified", highlight=False)
