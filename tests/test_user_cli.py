"""`armswatch user` and `armswatch audit`, run as an operator runs them, in a child
process, against a workspace file in a temporary data directory."""

from __future__ import annotations

import fcntl
import getpass
import json
import os
import pty
import select
import shutil
import sqlite3
import subprocess
import sys
import termios
from datetime import timedelta
from pathlib import Path

import pytest

from armswatch.cli.context import Exit
from armswatch.workspace import Workspace, workspace_path
from tests.conftest import REPO, run_cli

PASSWORD = "correct horse battery"
NEW_PASSWORD = "staple gun orchestra"
ACTOR = f"cli:{getpass.getuser()}"


def armswatch(data_dir: Path, *args: str, stdin: str = "") -> tuple[int, str, str]:
    """`armswatch --data-dir DATA_DIR ARGS` in a child process, `stdin` piped in."""
    result = run_cli("--data-dir", data_dir, *args, input=stdin, timeout=120)
    return result.returncode, result.stdout, result.stderr


def audit_json(data_dir: Path, *args: str) -> list[dict]:
    code, out, err = armswatch(data_dir, "audit", "list", "--json", *args)
    assert code == Exit.OK, err
    return [json.loads(line) for line in out.splitlines()]


@pytest.fixture(scope="module")
def with_admin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory whose workspace has an admin, alice, added through the CLI."""
    data_dir = tmp_path_factory.mktemp("with-admin") / "data"
    code, out, err = armswatch(
        data_dir, "user", "add", "alice", "--role", "admin", stdin=PASSWORD + "\n"
    )
    assert (code, out.strip(), err) == (0, "added alice (admin)", "")
    return data_dir


@pytest.fixture
def data_dir(with_admin: Path, tmp_path: Path) -> Path:
    """A copy of `with_admin` for one test to change."""
    return Path(shutil.copytree(with_admin, tmp_path / "data"))


def test_users_are_added_from_stdin_and_listed(data_dir: Path) -> None:
    code, out, err = armswatch(data_dir, "user", "add", "bob", stdin=PASSWORD)
    assert (code, out.strip()) == (0, "added bob (analyst)"), err
    code, out, _ = armswatch(data_dir, "user", "list")
    assert code == 0
    rows = [line.split("│")[1:3] for line in out.splitlines() if line.count("│") == 4]
    assert [[cell.strip() for cell in row] for row in rows] == [
        ["alice", "admin"],
        ["bob", "analyst"],
    ]
    with Workspace.open(workspace_path(data_dir)) as ws:
        assert ws.accounts.verify("bob", PASSWORD) is not None
        assert ws.accounts.verify("bob", PASSWORD + "\n") is None
    adds = audit_json(data_dir, "--action", "user_add")
    assert [(e["actor"], e["detail"]) for e in adds] == [
        (ACTOR, {"user": "alice", "role": "admin"}),
        (ACTOR, {"user": "bob", "role": "analyst"}),
    ]


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (("bob",), "short", "too short (5 characters): use at least 12"),
        (("bob",), "", "no password on standard input"),
        (("bob smith",), PASSWORD, "invalid user name 'bob smith'"),
        (("ALICE",), PASSWORD, "the user 'ALICE' already exists"),
        (("bob", "--role", "root"), PASSWORD, "Invalid value for '--role'"),
    ],
)
def test_bad_names_and_passwords_are_refused(
    data_dir: Path, args: tuple[str, ...], stdin: str, message: str
) -> None:
    code, _, err = armswatch(data_dir, "user", "add", *args, stdin=stdin)
    assert code == Exit.BAD_CONFIG
    assert message in err
    with Workspace.open(workspace_path(data_dir)) as ws:
        assert [u.name for u in ws.accounts.all()] == ["alice"]
        assert [e.action for e in ws.audit.entries()] == ["user_add"]


def test_passwd_changes_the_password_and_ends_sessions(data_dir: Path) -> None:
    with Workspace.open(workspace_path(data_dir)) as ws:
        token, _ = ws.sessions.create("alice", timedelta(hours=1))
    code, out, err = armswatch(data_dir, "user", "passwd", "alice", stdin=NEW_PASSWORD)
    assert (code, out.strip()) == (0, "password of alice changed; their sessions ended"), err
    with Workspace.open(workspace_path(data_dir)) as ws:
        assert ws.sessions.get(token) is None
        assert ws.accounts.verify("alice", NEW_PASSWORD) is not None
        assert ws.accounts.verify("alice", PASSWORD) is None
    code, _, err = armswatch(data_dir, "user", "passwd", "alice", stdin="too short")
    assert code == Exit.BAD_CONFIG
    assert "too short" in err
    code, _, err = armswatch(data_dir, "user", "passwd", "nobody", stdin=NEW_PASSWORD)
    assert code == Exit.NOT_FOUND
    assert "no user named 'nobody'" in err
    assert [e["detail"] for e in audit_json(data_dir, "--action", "user_passwd")] == [
        {"user": "alice"}
    ]


def test_remove_refuses_the_last_admin_and_unknown_users(data_dir: Path) -> None:
    code, _, err = armswatch(data_dir, "user", "remove", "alice")
    assert code == Exit.BAD_CONFIG
    assert "alice is the last admin" in err
    code, _, err = armswatch(data_dir, "user", "remove", "nobody")
    assert code == Exit.NOT_FOUND
    with Workspace.open(workspace_path(data_dir)) as ws:
        ws.accounts.add("bob", PASSWORD)
        token, _ = ws.sessions.create("bob", timedelta(hours=1))
    code, out, err = armswatch(data_dir, "user", "remove", "bob")
    assert (code, out.strip()) == (0, "removed bob"), err
    with Workspace.open(workspace_path(data_dir)) as ws:
        assert [u.name for u in ws.accounts.all()] == ["alice"]
        assert ws.sessions.get(token) is None
    removals = audit_json(data_dir, "--action", "user_remove")
    assert [(e["actor"], e["detail"]) for e in removals] == [
        (ACTOR, {"user": "bob", "role": "analyst"})
    ]


def test_audit_list_filters_and_limits(data_dir: Path) -> None:
    with Workspace.open(workspace_path(data_dir)) as ws:
        ws.audit.record("alice", "login", address="127.0.0.1")
        ws.audit.record("alice", "review", "a" * 32, verdict="confirmed", labels=["firearm"])
        ws.audit.record("bob", "review", "b" * 32, verdict="false_positive", labels=[])
    assert [e["action"] for e in audit_json(data_dir)] == ["user_add", "login", "review", "review"]
    assert [e["id"] for e in audit_json(data_dir, "--actor", "alice")] == [2, 3]
    assert [e["actor"] for e in audit_json(data_dir, "--listing", "b" * 32)] == ["bob"]
    assert [e["id"] for e in audit_json(data_dir, "--limit", "2")] == [3, 4]
    assert audit_json(data_dir, "--since", "2999-01-01") == []
    code, out, _ = armswatch(data_dir, "audit", "list", "--action", "review")
    assert code == 0
    assert "2 audit entries" in out
    assert "false_positive" in out
    code, _, err = armswatch(data_dir, "audit", "list", "--since", "last week")
    assert code == Exit.BAD_CONFIG
    assert "cannot read 'last week'" in err


def test_audit_export_writes_every_entry_and_is_recorded(data_dir: Path, tmp_path: Path) -> None:
    out_file = tmp_path / "audit.jsonl"
    code, out, err = armswatch(data_dir, "audit", "export", "-o", str(out_file))
    assert (code, out.strip()) == (0, f"1 audit entries written to {out_file}"), err
    exported = [json.loads(line) for line in out_file.read_text().splitlines()]
    listed = audit_json(data_dir)
    assert exported == listed[:1]
    assert listed[1]["action"] == "audit_export"
    assert listed[1]["detail"] == {"file": str(out_file), "count": 1}
    code, _, err = armswatch(data_dir, "audit", "export", "-o", str(tmp_path / "no" / "x.jsonl"))
    assert code == Exit.BAD_CONFIG
    assert "cannot write" in err


def test_audit_verify_exits_6_on_a_broken_chain(data_dir: Path) -> None:
    code, out, err = armswatch(data_dir, "audit", "verify")
    assert (code, out.strip()) == (0, "audit log intact: 1 entries verified"), err
    with Workspace.open(workspace_path(data_dir)) as ws:
        ws.audit.record("alice", "review", "a" * 32, verdict="confirmed")
    with sqlite3.connect(workspace_path(data_dir), isolation_level=None) as conn:
        conn.execute("DROP TRIGGER audit_no_update")
        conn.execute("UPDATE audit SET actor = 'mallory' WHERE id = 2")
    code, _, err = armswatch(data_dir, "audit", "verify")
    assert code == Exit.EVIDENCE_MISMATCH == 6
    assert "the chain breaks at entry 2" in err


def test_a_damaged_workspace_is_explained(tmp_path: Path) -> None:
    path = workspace_path(tmp_path / "data")
    path.parent.mkdir()
    path.write_bytes(b"\x00not sqlite\x00" * 200)
    code, _, err = armswatch(tmp_path / "data", "user", "list")
    assert code == Exit.STORE_UNAVAILABLE
    assert "not a SQLite database or is damaged" in " ".join(err.split())
    assert path.read_bytes().startswith(b"\x00not sqlite")


def test_in_a_terminal_the_password_is_prompted_twice_unechoed(data_dir: Path) -> None:
    """Run in a pseudo-terminal of its own, as when an operator types the command."""
    controller, terminal = pty.openpty()

    def own_terminal() -> None:
        os.setsid()
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    child = subprocess.Popen(
        [sys.executable, "-m", "armswatch", "--data-dir", str(data_dir), "user", "add", "bob"],
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
        cwd=REPO,
        preexec_fn=own_terminal,
    )
    os.close(terminal)
    screen = b""

    def read_until(text: bytes) -> None:
        nonlocal screen
        while text not in screen:
            ready, _, _ = select.select([controller], [], [], 60)
            assert ready, f"no {text!r} on the terminal: {screen!r}"
            screen += os.read(controller, 1024)

    try:
        read_until(b"Password: ")
        os.write(controller, NEW_PASSWORD.encode() + b"\n")
        read_until(b"Repeat for confirmation: ")
        os.write(controller, NEW_PASSWORD.encode() + b"\n")
        read_until(b"added bob (analyst)")
        assert child.wait(timeout=60) == 0
    finally:
        child.kill()
        os.close(controller)
    assert NEW_PASSWORD.encode() not in screen
    with Workspace.open(workspace_path(data_dir)) as ws:
        assert ws.accounts.verify("bob", NEW_PASSWORD) is not None
