"""Web sessions: the cookie carries a random token; only its SHA-256 is stored, so
a copy of the workspace file does not let anyone log in as an analyst."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from armswatch.workspace.accounts import User
from armswatch.workspace.db import Database, iso
from armswatch.workspace.errors import AccountError


@dataclass(frozen=True)
class WebSession:
    user: User
    csrf_token: str
    """Every form of the session carries it; a request without it is refused."""
    expires_at: str
    """ISO 8601 UTC."""


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Sessions:
    def __init__(self, db: Database) -> None:
        self._db = db

    def create(self, name: str, lifetime: timedelta) -> tuple[str, WebSession]:
        """A new session for the user: (the token for the cookie, the session).
        Expired sessions are swept out on the way."""
        token = secrets.token_urlsafe(32)
        csrf_token = secrets.token_urlsafe(32)
        now = self._db.clock()
        with self._db.write() as conn:
            row = conn.execute(
                "SELECT name, role, created_at FROM users WHERE name = ?", (name,)
            ).fetchone()
            if row is None:
                raise AccountError(f"no user named {name!r} (`armswatch user list` shows them)")
            user = User(*row)
            session = WebSession(user, csrf_token, iso(now + lifetime))
            conn.execute("DELETE FROM sessions WHERE expires_at <= ?", (iso(now),))
            conn.execute(
                "INSERT INTO sessions (token_sha256, user_name, csrf_token, created_at, "
                "expires_at) VALUES (?, ?, ?, ?, ?)",
                (_digest(token), user.name, csrf_token, iso(now), session.expires_at),
            )
        return token, session

    def get(self, token: str) -> WebSession | None:
        """The live session of the token; None when it is unknown, expired, or its
        user has been removed."""
        with self._db.errors():
            row = self._db.conn.execute(
                "SELECT u.name, u.role, u.created_at, s.csrf_token, s.expires_at "
                "FROM sessions s JOIN users u ON u.name = s.user_name "
                "WHERE s.token_sha256 = ? AND s.expires_at > ?",
                (_digest(token), self._db.now()),
            ).fetchone()
        if row is None:
            return None
        *user, csrf_token, expires_at = row
        return WebSession(User(*user), csrf_token, expires_at)

    def end(self, token: str) -> None:
        """Log the session out (nothing happens for an unknown token)."""
        with self._db.write() as conn:
            conn.execute("DELETE FROM sessions WHERE token_sha256 = ?", (_digest(token),))

    def end_all(self, name: str) -> None:
        """Log the user out everywhere."""
        with self._db.write() as conn:
            conn.execute(
                "DELETE FROM sessions WHERE user_name = "
                "(SELECT name FROM users WHERE name = ?) OR user_name = ?",
                (name, name),
            )
