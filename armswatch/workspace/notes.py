"""Analysts' free-text notes on listings, kept apart from verdicts: a listing may
collect many notes from several analysts over time."""

from __future__ import annotations

from dataclasses import dataclass

from armswatch.workspace.db import Database
from armswatch.workspace.errors import WorkspaceError


@dataclass(frozen=True)
class Note:
    id: int
    listing_id: str
    author: str
    at: str
    """ISO 8601 UTC."""
    text: str


class Notes:
    def __init__(self, db: Database) -> None:
        self._db = db

    def add(self, listing_id: str, author: str, text: str) -> Note:
        text = text.strip()
        if not text:
            raise WorkspaceError("the note is empty: write something to keep")
        at = self._db.now()
        with self._db.write() as conn:
            cursor = conn.execute(
                "INSERT INTO notes (listing_id, author, at, text) VALUES (?, ?, ?, ?)",
                (listing_id, author, at, text),
            )
        assert cursor.lastrowid is not None
        return Note(cursor.lastrowid, listing_id, author, at, text)

    def of(self, listing_id: str) -> list[Note]:
        """The listing's notes, oldest first."""
        with self._db.errors():
            rows = self._db.conn.execute(
                "SELECT id, listing_id, author, at, text FROM notes WHERE listing_id = ? "
                "ORDER BY id",
                (listing_id,),
            ).fetchall()
        return [Note(*row) for row in rows]
