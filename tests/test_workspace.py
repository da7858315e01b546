"""The review app's workspace on real SQLite files: accounts, web sessions, the
login throttle, the audit log and its hash chain, cases, notes, and what happens
with files that cannot be used."""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from armswatch.workspace import (
    MIN_PASSWORD_LENGTH,
    AccountError,
    CaseError,
    Workspace,
    WorkspaceError,
    workspace_path,
)
from armswatch.workspace.schema import SCHEMA_VERSION
from armswatch.workspace.throttle import ADDRESS_LIMIT, BLOCK, NAME_LIMIT

PASSWORD = "correct horse battery"
OTHER_PASSWORD = "staple gun orchestra"


class Clock:
    """Time that the test moves on."""

    def __init__(self) -> None:
        self.now = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return workspace_path(tmp_path / "data")


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def ws(path: Path, clock: Clock) -> Iterator[Workspace]:
    with Workspace.open(path, clock=clock) as workspace:
        yield workspace


def raw(path: Path) -> sqlite3.Connection:
    """The file opened behind the workspace's back, as another tool would."""
    return sqlite3.connect(path, isolation_level=None)


# -- opening -----------------------------------------------------------------------


def test_open_creates_the_file_and_reopening_keeps_everything(path: Path) -> None:
    assert path.name == "workspace.sqlite3"
    with Workspace.open(path) as ws:
        ws.accounts.add("alice", PASSWORD, "admin")
        ws.notes.add("l1", "alice", "seller reused a phone number")
    ws.close()  # closing twice is harmless
    with raw(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    with Workspace.open(path) as ws:
        assert [u.name for u in ws.accounts.all()] == ["alice"]
        assert [n.text for n in ws.notes.of("l1")] == ["seller reused a phone number"]


def test_a_file_that_is_not_a_database_is_refused_and_kept(path: Path) -> None:
    path.parent.mkdir(parents=True)
    path.write_bytes(b"these are someone's notes, not a database\n" * 100)
    with pytest.raises(WorkspaceError, match="not a SQLite database or is damaged") as caught:
        Workspace.open(path)
    assert "restore it from a backup" in str(caught.value)
    assert path.read_bytes().startswith(b"these are someone's notes")


def test_a_workspace_from_a_newer_armswatch_is_refused(path: Path) -> None:
    Workspace.open(path).close()
    with raw(path) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(WorkspaceError, match=r"newer than this armswatch.*upgrade armswatch"):
        Workspace.open(path)


def test_another_sqlite_database_is_not_taken_over(path: Path) -> None:
    path.parent.mkdir(parents=True)
    with raw(path) as conn:
        conn.execute("CREATE TABLE listings (id TEXT)")
    with pytest.raises(WorkspaceError, match="not an armswatch workspace"):
        Workspace.open(path)
    with raw(path) as conn:
        tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master")}
    assert tables == {"listings"}


def test_a_data_dir_that_cannot_be_created_is_explained(tmp_path: Path) -> None:
    (tmp_path / "data").write_text("a file where the data directory should be")
    with pytest.raises(WorkspaceError, match=r"cannot use the workspace.*--data-dir"):
        Workspace.open(workspace_path(tmp_path / "data"))


# -- accounts ----------------------------------------------------------------------


def test_passwords_verify_and_wrong_ones_do_not(ws: Workspace, path: Path) -> None:
    added = ws.accounts.add("alice", PASSWORD, "admin")
    assert (added.name, added.role) == ("alice", "admin")
    assert ws.accounts.verify("alice", PASSWORD) == added
    assert ws.accounts.verify("ALICE", PASSWORD) == added  # names ignore case
    assert ws.accounts.verify("alice", OTHER_PASSWORD) is None
    assert ws.accounts.verify("nobody", PASSWORD) is None
    with raw(path) as conn:
        (stored,) = conn.execute("SELECT password_hash FROM users").fetchone()
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored


def test_users_are_listed_by_name_and_default_to_analyst(ws: Workspace) -> None:
    ws.accounts.add("carol", PASSWORD)
    ws.accounts.add("bob.smith", PASSWORD, "admin")
    assert [(u.name, u.role) for u in ws.accounts.all()] == [
        ("bob.smith", "admin"),
        ("carol", "analyst"),
    ]
    assert ws.accounts.get("Carol") == ws.accounts.all()[1]
    assert ws.accounts.get("dave") is None


@pytest.mark.parametrize("name", ["", "a b", "x" * 65, "al/ice", "ali:ce", "bøb"])
def test_invalid_user_names_are_refused(ws: Workspace, name: str) -> None:
    with pytest.raises(AccountError, match="letters, digits"):
        ws.accounts.add(name, PASSWORD)
    assert ws.accounts.all() == []


def test_short_passwords_bad_roles_and_taken_names_are_refused(ws: Workspace) -> None:
    with pytest.raises(AccountError, match=f"at least {MIN_PASSWORD_LENGTH}"):
        ws.accounts.add("alice", "x" * (MIN_PASSWORD_LENGTH - 1))
    with pytest.raises(AccountError, match="analyst, admin"):
        ws.accounts.add("alice", PASSWORD, "root")
    ws.accounts.add("alice", PASSWORD)
    with pytest.raises(AccountError, match="already exists"):
        ws.accounts.add("Alice", OTHER_PASSWORD)
    with pytest.raises(AccountError, match=f"at least {MIN_PASSWORD_LENGTH}"):
        ws.accounts.set_password("alice", "short")
    assert ws.accounts.verify("alice", PASSWORD) is not None


def test_a_hash_with_old_parameters_is_replaced_at_login(ws: Workspace, path: Path) -> None:
    ws.accounts.add("alice", PASSWORD)
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    with raw(path) as conn:
        conn.execute("UPDATE users SET password_hash = ?", (weak,))
    assert ws.accounts.verify("alice", OTHER_PASSWORD) is None
    with raw(path) as conn:
        assert conn.execute("SELECT password_hash FROM users").fetchone()[0] == weak
    assert ws.accounts.verify("alice", PASSWORD) is not None
    with raw(path) as conn:
        (rehashed,) = conn.execute("SELECT password_hash FROM users").fetchone()
    assert rehashed != weak
    assert not PasswordHasher().check_needs_rehash(rehashed)
    assert ws.accounts.verify("alice", PASSWORD) is not None


def test_the_last_admin_cannot_be_removed(ws: Workspace) -> None:
    ws.accounts.add("alice", PASSWORD, "admin")
    ws.accounts.add("bob", PASSWORD)
    with pytest.raises(AccountError, match="last admin"):
        ws.accounts.remove("alice")
    ws.accounts.remove("bob")
    ws.accounts.add("carol", PASSWORD, "admin")
    ws.accounts.remove("alice")
    assert [u.name for u in ws.accounts.all()] == ["carol"]
    with pytest.raises(AccountError, match="no user named 'alice'"):
        ws.accounts.remove("alice")
    with pytest.raises(AccountError, match="no user named 'alice'"):
        ws.accounts.set_password("alice", OTHER_PASSWORD)


# -- sessions ----------------------------------------------------------------------


def test_a_session_lives_until_it_expires(ws: Workspace, clock: Clock, path: Path) -> None:
    user = ws.accounts.add("alice", PASSWORD)
    token, session = ws.sessions.create("alice", timedelta(hours=8))
    assert session.user == user
    assert session.expires_at == "2026-05-01T20:00:00+00:00"
    assert len(session.csrf_token) >= 32
    assert ws.sessions.get(token) == session
    assert ws.sessions.get(token + "x") is None
    with raw(path) as conn:
        (stored,) = conn.execute("SELECT token_sha256 FROM sessions").fetchone()
    assert stored == hashlib.sha256(token.encode()).hexdigest()
    clock.advance(timedelta(hours=8))
    assert ws.sessions.get(token) is None


def test_sessions_end_one_by_one_or_all_at_once(ws: Workspace) -> None:
    ws.accounts.add("alice", PASSWORD)
    ws.accounts.add("bob", PASSWORD)
    first, _ = ws.sessions.create("alice", timedelta(hours=1))
    second, _ = ws.sessions.create("alice", timedelta(hours=1))
    bobs, _ = ws.sessions.create("bob", timedelta(hours=1))
    ws.sessions.end(first)
    assert ws.sessions.get(first) is None
    assert ws.sessions.get(second) is not None
    ws.sessions.end_all("alice")
    assert ws.sessions.get(second) is None
    assert ws.sessions.get(bobs) is not None
    with pytest.raises(AccountError, match="no user named"):
        ws.sessions.create("mallory", timedelta(hours=1))


def test_a_new_password_or_removal_ends_the_users_sessions(ws: Workspace) -> None:
    ws.accounts.add("alice", PASSWORD, "admin")
    ws.accounts.add("bob", PASSWORD)
    alices, _ = ws.sessions.create("alice", timedelta(hours=1))
    bobs, _ = ws.sessions.create("bob", timedelta(hours=1))
    ws.accounts.set_password("ALICE", OTHER_PASSWORD)
    assert ws.sessions.get(alices) is None
    assert ws.sessions.get(bobs) is not None
    assert ws.accounts.verify("alice", OTHER_PASSWORD) is not None
    assert ws.accounts.verify("alice", PASSWORD) is None
    ws.accounts.remove("bob")
    assert ws.sessions.get(bobs) is None


# -- login throttle ----------------------------------------------------------------


def test_repeated_failures_block_the_name_across_restarts(path: Path, clock: Clock) -> None:
    with Workspace.open(path, clock=clock) as ws:
        for _ in range(NAME_LIMIT - 1):
            ws.throttle.failed("alice", "10.0.0.1")
            clock.advance(timedelta(seconds=30))
        assert ws.throttle.wait_seconds("alice", "10.0.0.1") == 0
        ws.throttle.failed("Alice", "10.0.0.2")
        assert ws.throttle.wait_seconds("alice", "10.0.0.3") == BLOCK.total_seconds()
        assert ws.throttle.wait_seconds("bob", "10.0.0.1") == 0
    clock.advance(timedelta(minutes=5))
    with Workspace.open(path, clock=clock) as ws:  # a restart does not reset it
        assert (
            ws.throttle.wait_seconds("alice", "10.0.0.1")
            == (BLOCK - timedelta(minutes=5)).total_seconds()
        )
    clock.advance(BLOCK)
    with Workspace.open(path, clock=clock) as ws:
        assert ws.throttle.wait_seconds("alice", "10.0.0.1") == 0


def test_failures_spread_over_more_than_the_window_do_not_block(
    ws: Workspace, clock: Clock
) -> None:
    for _ in range(NAME_LIMIT * 2):
        ws.throttle.failed("alice", "10.0.0.1")
        clock.advance(timedelta(minutes=4))
    assert ws.throttle.wait_seconds("alice", "10.0.0.1") == 0


def test_a_success_clears_the_name_but_not_the_address(ws: Workspace) -> None:
    for _ in range(NAME_LIMIT - 1):
        ws.throttle.failed("alice", "10.0.0.1")
    ws.throttle.succeeded("alice", "10.0.0.1")
    ws.throttle.failed("alice", "10.0.0.1")
    assert ws.throttle.wait_seconds("alice", "10.0.0.1") == 0
    for n in range(ADDRESS_LIMIT - NAME_LIMIT):
        ws.throttle.failed(f"user{n}", "10.0.0.1")
    ws.throttle.succeeded("alice", "10.0.0.1")
    assert ws.throttle.wait_seconds("carol", "10.0.0.9") == 0
    assert ws.throttle.wait_seconds("carol", "10.0.0.1") == BLOCK.total_seconds()


# -- audit log ---------------------------------------------------------------------


def test_entries_are_recorded_and_filtered(ws: Workspace, clock: Clock) -> None:
    ws.audit.record("alice", "login", address="10.0.0.1")
    clock.advance(timedelta(days=1))
    review = ws.audit.record(
        "alice", "review", "l1", verdict="confirmed", labels=("firearm",), note="n"
    )
    ws.audit.record("bob", "review", "l2", verdict="false_positive", labels=[], note="")
    ws.audit.record("bob", "export", format="csv", what="case", count=2, case="Op X")
    assert review.detail == {"verdict": "confirmed", "labels": ["firearm"], "note": "n"}
    assert review.at == "2026-05-02T12:00:00+00:00"
    assert [e.id for e in ws.audit.entries()] == [1, 2, 3, 4]
    assert [e.id for e in ws.audit.entries(actor="bob")] == [3, 4]
    assert [e.id for e in ws.audit.entries(action="review")] == [2, 3]
    assert ws.audit.entries(listing_id="l1") == [review]
    assert [e.id for e in ws.audit.entries(since="2026-05-02")] == [2, 3, 4]
    assert [e.id for e in ws.audit.entries(since="2026-05-02T14:00+02:00")] == [2, 3, 4]
    assert [e.id for e in ws.audit.entries(since="2026-05-02T12:00:01")] == []
    assert [e.id for e in ws.audit.entries(limit=2)] == [3, 4]
    assert [e.id for e in ws.audit.entries(action="review", limit=1)] == [3]
    with pytest.raises(WorkspaceError, match="cannot read 'yesterday'"):
        ws.audit.entries(since="yesterday")
    assert ws.audit.verify() == []


def test_the_database_itself_refuses_changes_to_the_log(ws: Workspace, path: Path) -> None:
    ws.audit.record("alice", "login")
    with raw(path) as conn:
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute("UPDATE audit SET actor = 'mallory'")
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute("DELETE FROM audit")
    assert [e.actor for e in ws.audit.entries()] == ["alice"]


def test_verify_finds_an_edit_made_around_the_triggers(ws: Workspace, path: Path) -> None:
    for n in range(5):
        ws.audit.record("alice", "review", f"l{n}", verdict="confirmed")
    with raw(path) as conn:
        conn.execute("DROP TRIGGER audit_no_update")
        conn.execute("""UPDATE audit SET detail = '{"verdict":"false_positive"}' WHERE id = 3""")
    assert ws.audit.verify() == [3]


def test_verify_finds_a_removed_entry(ws: Workspace, path: Path) -> None:
    for n in range(5):
        ws.audit.record("alice", "login", address=f"10.0.0.{n}")
    with raw(path) as conn:
        conn.execute("DROP TRIGGER audit_no_delete")
        conn.execute("DELETE FROM audit WHERE id = 2")
    assert ws.audit.verify() == [3]


def test_detail_values_json_has_no_type_for_are_kept_as_text(ws: Workspace) -> None:
    entry = ws.audit.record("alice", "export", output=Path("/cases/op.zip"), count=2)
    assert entry.detail == {"output": "/cases/op.zip", "count": 2}
    assert ws.audit.entries() == [entry]
    assert ws.audit.verify() == []


# -- cases and notes ---------------------------------------------------------------


def test_cases_collect_listings_in_order(ws: Workspace) -> None:
    first = ws.cases.create("  Op Hammer ", "alice", "pistol parts ring")
    second = ws.cases.create("Op Anvil", "bob")
    assert first.name == "Op Hammer"
    assert [c.name for c in ws.cases.all()] == ["Op Anvil", "Op Hammer"]
    assert ws.cases.get(first.id) == first
    assert ws.cases.get("op hammer") == first
    assert ws.cases.get(str(second.id)) == second
    assert ws.cases.get("Op Nothing") is None
    assert ws.cases.add(first.id, "l2", "alice") is True
    assert ws.cases.add(first.id, "l1", "alice") is True
    assert ws.cases.add(first.id, "l2", "bob") is False
    assert ws.cases.add(second.id, "l1", "bob") is True
    assert ws.cases.listing_ids(first.id) == ["l2", "l1"]
    assert ws.cases.sizes() == {first.id: 2, second.id: 1}
    assert [c.name for c in ws.cases.of_listing("l1")] == ["Op Anvil", "Op Hammer"]
    assert ws.cases.remove(first.id, "l2") is True
    assert ws.cases.remove(first.id, "l2") is False
    assert ws.cases.listing_ids(first.id) == ["l1"]
    assert ws.cases.sizes() == {first.id: 1, second.id: 1}


def test_case_names_must_be_given_and_unique(ws: Workspace) -> None:
    ws.cases.create("Op Hammer", "alice")
    with pytest.raises(CaseError, match="needs a name"):
        ws.cases.create("   ", "alice")
    with pytest.raises(CaseError, match="already exists"):
        ws.cases.create("OP HAMMER", "bob")
    with pytest.raises(CaseError, match="no case with id 99"):
        ws.cases.add(99, "l1", "alice")
    assert len(ws.cases.all()) == 1


def test_notes_are_kept_per_listing_oldest_first(ws: Workspace, clock: Clock) -> None:
    ws.notes.add("l1", "alice", "same seller as last month")
    clock.advance(timedelta(minutes=1))
    ws.notes.add("l2", "bob", "benign: airsoft")
    ws.notes.add("l1", "bob", "  asked partner agency  ")
    notes = ws.notes.of("l1")
    assert [(n.author, n.text) for n in notes] == [
        ("alice", "same seller as last month"),
        ("bob", "asked partner agency"),
    ]
    assert notes[1].at == "2026-05-01T12:01:00+00:00"
    with pytest.raises(WorkspaceError, match="note is empty"):
        ws.notes.add("l1", "alice", " \n ")
    assert len(ws.notes.of("l1")) == 2


# -- concurrency -------------------------------------------------------------------


def test_threads_writing_at_once_all_succeed(path: Path) -> None:
    """As waitress's threads do: each opens its own workspace (the first opens race
    to create the file) and writes."""
    threads, writes = 4, 40
    start = threading.Barrier(threads)
    failures: list[BaseException] = []

    def work(n: int) -> None:
        try:
            start.wait()
            for i in range(writes):
                with Workspace.open(path) as ws:
                    ws.audit.record(f"user{n}", "review", f"l{n}-{i}")
                    ws.notes.add(f"l{n}-{i}", f"user{n}", "seen")
                    ws.cases.get("nothing")
        except BaseException as exc:
            failures.append(exc)

    workers = [threading.Thread(target=work, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert failures == []
    with Workspace.open(path) as ws:
        entries = ws.audit.entries()
        assert [e.id for e in entries] == list(range(1, threads * writes + 1))
        assert ws.audit.verify() == []
        for n in range(threads):
            assert len(ws.audit.entries(actor=f"user{n}")) == writes
            assert [note.text for note in ws.notes.of(f"l{n}-0")] == ["seen"]
