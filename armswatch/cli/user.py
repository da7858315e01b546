"""`armswatch user`: the review app's local accounts.

Passwords are read from standard input when it is not a terminal (one line, for
scripts and password managers), else prompted for twice without echo.
"""

from __future__ import annotations

import sys

import click
from rich.table import Table

from armswatch.cli.audit import cli_actor, workspace_of
from armswatch.cli.context import Exit, common_options, console, fail, load
from armswatch.workspace import (
    MIN_PASSWORD_LENGTH,
    ROLES,
    AccountError,
    User,
    Workspace,
)
from armswatch.workspace.accounts import check_name


@click.group(name="user")
def user_group() -> None:
    """Add, remove and list the review app's users (analysts and admins)."""


def read_password() -> str:
    if sys.stdin.isatty():
        return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))
    password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        fail(
            "no password on standard input: pipe it in (one line), or run the command in "
            "a terminal to be prompted",
            Exit.BAD_CONFIG,
        )
    return password


def existing(workspace: Workspace, name: str) -> User:
    user = workspace.accounts.get(name)
    if user is None:
        fail(f"no user named {name!r}; `armswatch user list` shows them", Exit.NOT_FOUND)
    return user


@user_group.command(
    name="add",
    help=f"Add the user NAME (1 to 64 letters, digits, '.', '_', '-'), with a password of "
    f"at least {MIN_PASSWORD_LENGTH} characters.",
)
@click.argument("name")
@click.option(
    "--role",
    type=click.Choice(ROLES),
    default="analyst",
    show_default=True,
    help="admin: also manages users and reads the audit log.",
)
@common_options
def add(name: str, role: str) -> None:
    config = load()
    try:
        check_name(name)
    except AccountError as exc:
        fail(str(exc), Exit.BAD_CONFIG)
    with workspace_of(config) as workspace:
        if workspace.accounts.get(name) is not None:
            fail(
                f"the user {name!r} already exists; `armswatch user passwd {name}` changes "
                "the password",
                Exit.BAD_CONFIG,
            )
        try:
            user = workspace.accounts.add(name, read_password(), role)
        except AccountError as exc:
            fail(str(exc), Exit.BAD_CONFIG)
        workspace.audit.record(cli_actor(), "user_add", user=user.name, role=user.role)
    console.print(f"added {user.name} ({user.role})", highlight=False)


@user_group.command(name="remove")
@click.argument("name")
@common_options
def remove(name: str) -> None:
    """Remove the user NAME and end their web sessions. The last admin cannot be removed."""
    config = load()
    with workspace_of(config) as workspace:
        user = existing(workspace, name)
        try:
            workspace.accounts.remove(user.name)
        except AccountError as exc:
            fail(str(exc), Exit.BAD_CONFIG)
        workspace.audit.record(cli_actor(), "user_remove", user=user.name, role=user.role)
    console.print(f"removed {user.name}", highlight=False)


@user_group.command(name="passwd")
@click.argument("name")
@common_options
def passwd(name: str) -> None:
    """Set a new password for NAME; their web sessions end (they log in again)."""
    config = load()
    with workspace_of(config) as workspace:
        user = existing(workspace, name)
        try:
            workspace.accounts.set_password(user.name, read_password())
        except AccountError as exc:
            fail(str(exc), Exit.BAD_CONFIG)
        workspace.audit.record(cli_actor(), "user_passwd", user=user.name)
    console.print(f"password of {user.name} changed; their sessions ended", highlight=False)


@user_group.command(name="list")
@common_options
def list_users() -> None:
    """List the users, by name."""
    config = load()
    with workspace_of(config) as workspace:
        users = workspace.accounts.all()
    table = Table(title=f"{len(users)} user(s)", title_justify="left")
    for column in ("name", "role", "created"):
        table.add_column(column)
    for user in users:
        table.add_row(user.name, user.role, user.created_at)
    console.print(table)
