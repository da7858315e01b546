"""Cases: named collections of listings, e.g. one per investigation, exported
together as an evidence package for prosecutors or partner agencies."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from armswatch.workspace.db import Database
from armswatch.workspace.errors import CaseError

_COLUMNS = "c.id, c.name, c.description, c.created_by, c.created_at"


@dataclass(frozen=True)
class Case:
    id: int
    name: str
    description: str
    created_by: str
    created_at: str
    """ISO 8601 UTC."""


class Cases:
    """Case names are unique ignoring case; listings are kept in the order added."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def create(self, name: str, created_by: str, description: str = "") -> Case:
        name, description = name.strip(), description.strip()
        if not name:
            raise CaseError("a case needs a name, e.g. the operation or file number")
        at = self._db.now()
        try:
            with self._db.write() as conn:
                cursor = conn.execute(
                    "INSERT INTO cases (name, description, created_by, created_at) "
                    "VALUES (?, ?, ?, ?)",
                    (name, description, created_by, at),
                )
        except sqlite3.IntegrityError:
            raise CaseError(
                f"a case named {name!r} already exists: add the listings to it, or pick "
                "another name"
            ) from None
        assert cursor.lastrowid is not None
        return Case(cursor.lastrowid, name, description, created_by, at)

    def get(self, key: int | str) -> Case | None:
        """The case with this id (an int) or name (a str; a name of digits that no case
        has is taken as an id, as typed on a command line)."""
        by_name = isinstance(key, str)
        case = self._one("c.name = ?" if by_name else "c.id = ?", key)
        if case is None and by_name and str(key).isdigit():
            case = self._one("c.id = ?", int(key))
        return case

    def all(self) -> list[Case]:
        """Every case, newest first."""
        return self._query(f"SELECT {_COLUMNS} FROM cases c ORDER BY c.id DESC")

    def add(self, case_id: int, listing_id: str, added_by: str) -> bool:
        """Put the listing in the case; False when it was in already."""
        try:
            with self._db.write() as conn:
                cursor = conn.execute(
                    "INSERT OR IGNORE INTO case_listings (case_id, listing_id, added_by, "
                    "added_at) VALUES (?, ?, ?, ?)",
                    (case_id, listing_id, added_by, self._db.now()),
                )
        except sqlite3.IntegrityError:
            raise CaseError(f"there is no case with id {case_id}") from None
        return cursor.rowcount == 1

    def remove(self, case_id: int, listing_id: str) -> bool:
        """Take the listing out of the case; False when it was not in it."""
        with self._db.write() as conn:
            cursor = conn.execute(
                "DELETE FROM case_listings WHERE case_id = ? AND listing_id = ?",
                (case_id, listing_id),
            )
        return cursor.rowcount == 1

    def listing_ids(self, case_id: int) -> list[str]:
        """The case's listings, in the order they were added."""
        with self._db.errors():
            rows = self._db.conn.execute(
                "SELECT listing_id FROM case_listings WHERE case_id = ? ORDER BY seq", (case_id,)
            ).fetchall()
        return [listing_id for (listing_id,) in rows]

    def sizes(self) -> dict[int, int]:
        """How many listings each case holds (0 for an empty one)."""
        with self._db.errors():
            rows = self._db.conn.execute(
                "SELECT c.id, count(l.seq) FROM cases c "
                "LEFT JOIN case_listings l ON l.case_id = c.id GROUP BY c.id"
            ).fetchall()
        return dict(rows)

    def of_listing(self, listing_id: str) -> list[Case]:
        """The cases that hold the listing, newest first."""
        return self._query(
            f"SELECT {_COLUMNS} FROM cases c JOIN case_listings l ON l.case_id = c.id "
            "WHERE l.listing_id = ? ORDER BY c.id DESC",
            listing_id,
        )

    def _one(self, condition: str, value: int | str) -> Case | None:
        found = self._query(f"SELECT {_COLUMNS} FROM cases c WHERE {condition}", value)
        return found[0] if found else None

    def _query(self, query: str, *args: int | str) -> list[Case]:
        with self._db.errors():
            rows = self._db.conn.execute(query, args).fetchall()
        return [Case(*row) for row in rows]
