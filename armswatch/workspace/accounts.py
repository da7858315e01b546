"""Local accounts: names, roles and argon2id password hashes (never the password).

Hashes use argon2-cffi's current defaults; a hash made with older parameters is
replaced at the next successful login, so raising the cost reaches every account.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from armswatch.workspace.db import Database
from armswatch.workspace.errors import AccountError

ROLES = ("analyst", "admin")
"""analyst: reviews, notes, cases, exports; admin: also manages users and reads the audit log."""

MIN_PASSWORD_LENGTH = 12

_NAME = re.compile(r"[A-Za-z0-9._-]{1,64}")

_hasher = PasswordHasher()


@cache
def _decoy_hash() -> str:
    """A hash to check unknown names against, so they cost what a wrong password costs."""
    return _hasher.hash("not a password anyone has")


@dataclass(frozen=True)
class User:
    name: str
    role: str
    """One of ROLES."""
    created_at: str
    """ISO 8601 UTC."""


def check_name(name: str) -> str:
    """`name` if it is a valid user name, else AccountError saying what is allowed."""
    if not _NAME.fullmatch(name):
        raise AccountError(
            f"invalid user name {name!r}: use 1 to 64 letters, digits, '.', '_' or '-'"
        )
    return name


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(
            f"the password is too short ({len(password)} characters): use at least "
            f"{MIN_PASSWORD_LENGTH}, e.g. a few unrelated words"
        )
    return password


def check_role(role: str) -> str:
    if role not in ROLES:
        raise AccountError(f"unknown role {role!r}: use one of {', '.join(ROLES)}")
    return role


class Accounts:
    """The users who may log in to the review app. Names are unique ignoring case."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def add(self, name: str, password: str, role: str = "analyst") -> User:
        check_name(name)
        check_role(role)
        password_hash = _hasher.hash(check_password(password))
        user = User(name, role, self._db.now())
        try:
            with self._db.write() as conn:
                conn.execute(
                    "INSERT INTO users (name, role, password_hash, created_at) VALUES (?, ?, ?, ?)",
                    (user.name, user.role, password_hash, user.created_at),
                )
        except sqlite3.IntegrityError:
            raise AccountError(
                f"the user {name!r} already exists; to change the password use "
                f"`armswatch user passwd {name}`"
            ) from None
        return user

    def remove(self, name: str) -> None:
        """Remove the user and end their sessions; refuses to remove the last admin."""
        with self._db.write() as conn:
            user = self._get(conn, name)
            if user is None:
                raise AccountError(f"no user named {name!r} (`armswatch user list` shows them)")
            if user.role == "admin" and self._admins(conn) == 1:
                raise AccountError(
                    f"{user.name} is the last admin; add another admin first "
                    "(`armswatch user add NAME --role admin`), so that someone can still "
                    "manage users"
                )
            conn.execute("DELETE FROM sessions WHERE user_name = ?", (user.name,))
            conn.execute("DELETE FROM users WHERE name = ?", (user.name,))

    def set_password(self, name: str, password: str) -> None:
        """Change the password and end the user's sessions (a stolen cookie dies with it)."""
        password_hash = _hasher.hash(check_password(password))
        with self._db.write() as conn:
            user = self._get(conn, name)
            if user is None:
                raise AccountError(f"no user named {name!r} (`armswatch user list` shows them)")
            conn.execute(
                "UPDATE users SET password_hash = ? WHERE name = ?", (password_hash, user.name)
            )
            conn.execute("DELETE FROM sessions WHERE user_name = ?", (user.name,))

    def verify(self, name: str, password: str) -> User | None:
        """The user if the password is theirs; None for a wrong password or an unknown
        name alike, after the same hashing work, so timing does not tell names apart."""
        with self._db.errors():
            row = self._db.conn.execute(
                "SELECT name, role, created_at, password_hash FROM users WHERE name = ?", (name,)
            ).fetchone()
        if row is None:
            _matches(_decoy_hash(), password)
            return None
        *fields, password_hash = row
        if not _matches(password_hash, password):
            return None
        user = User(*fields)
        if _hasher.check_needs_rehash(password_hash):
            with self._db.write() as conn:
                conn.execute(
                    "UPDATE users SET password_hash = ? WHERE name = ?",
                    (_hasher.hash(password), user.name),
                )
        return user

    def get(self, name: str) -> User | None:
        with self._db.errors():
            return self._get(self._db.conn, name)

    def all(self) -> list[User]:
        """Every user, by name."""
        with self._db.errors():
            rows = self._db.conn.execute(
                "SELECT name, role, created_at FROM users ORDER BY name"
            ).fetchall()
        return [User(*row) for row in rows]

    @staticmethod
    def _get(conn: sqlite3.Connection, name: str) -> User | None:
        row = conn.execute(
            "SELECT name, role, created_at FROM users WHERE name = ?", (name,)
        ).fetchone()
        return User(*row) if row else None

    @staticmethod
    def _admins(conn: sqlite3.Connection) -> int:
        return int(conn.execute("SELECT count(*) FROM users WHERE role = 'admin'").fetchone()[0])


def _matches(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
