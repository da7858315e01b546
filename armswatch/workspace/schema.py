"""The workspace's tables, as a list of migrations.

`MIGRATIONS[n]` takes the schema from version n to n + 1: append, never edit, so
that every existing workspace file can be brought up to date. Each migration is a
tuple of single statements (trigger bodies whole), run in one transaction.
"""

from __future__ import annotations

MIGRATIONS: tuple[tuple[str, ...], ...] = (
    # 0 -> 1: accounts, web sessions, login throttle, audit log, cases, notes.
    (
        """
        CREATE TABLE users (
            name TEXT PRIMARY KEY COLLATE NOCASE,
            role TEXT NOT NULL,
            password_hash TEXT NOT NULL,
            created_at TEXT NOT NULL
        )
        """,
        """
        CREATE TABLE sessions (
            token_sha256 TEXT PRIMARY KEY,
            user_name TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
            csrf_token TEXT NOT NULL,
            created_at TEXT NOT NULL,
            expires_at TEXT NOT NULL
        )
        """,
        "CREATE INDEX sessions_user ON sessions(user_name)",
        """
        CREATE TABLE login_failures (
            kind TEXT NOT NULL,      -- name | address
            key TEXT NOT NULL,
            at REAL NOT NULL         -- UTC seconds
        )
        """,
        "CREATE INDEX login_failures_key ON login_failures(kind, key, at)",
        """
        CREATE TABLE audit (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            listing_id TEXT,
            detail TEXT NOT NULL,    -- canonical JSON, exactly as hashed
            digest TEXT NOT NULL
        )
        """,
        "CREATE INDEX audit_actor ON audit(actor, id)",
        "CREATE INDEX audit_action ON audit(action, id)",
        "CREATE INDEX audit_listing ON audit(listing_id, id)",
        "CREATE INDEX audit_at ON audit(at)",
        """
        CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
        BEGIN
            SELECT RAISE(ABORT, 'the audit log is append-only: entries cannot be changed');
        END
        """,
        """
        CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
        BEGIN
            SELECT RAISE(ABORT, 'the audit log is append-only: entries cannot be deleted');
        END
        """,
        """
        CREATE TABLE cases (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE COLLATE NOCASE,
            description TEXT NOT NULL DEFAULT '',
            created_by TEXT NOT NULL,
            created_at TEXT NOT NULL
        )
        """,
        """
        CREATE TABLE case_listings (
            seq INTEGER PRIMARY KEY,
            case_id INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
            listing_id TEXT NOT NULL,
            added_by TEXT NOT NULL,
            added_at TEXT NOT NULL,
            UNIQUE (case_id, listing_id)
        )
        """,
        "CREATE INDEX case_listings_listing ON case_listings(listing_id)",
        """
        CREATE TABLE notes (
            id INTEGER PRIMARY KEY,
            listing_id TEXT NOT NULL,
            author TEXT NOT NULL,
            at TEXT NOT NULL,
            text TEXT NOT NULL
        )
        """,
        "CREATE INDEX notes_listing ON notes(listing_id, id)",
    ),
)

SCHEMA_VERSION = len(MIGRATIONS)
"""Kept in the file's `PRAGMA user_version`, which is cheap to read at every open."""
