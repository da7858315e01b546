"""Login throttling, kept in the workspace file so that restarting the app does not
reset it.

A name that fails NAME_LIMIT times, or an address that fails ADDRESS_LIMIT times,
within WINDOW is blocked for BLOCK after its last failure. A successful login
clears its name's failures but not its address's: one valid account must not
reset the count of an address that guesses at others.
"""

from __future__ import annotations

from datetime import timedelta

from armswatch.workspace.db import Database

NAME_LIMIT = 5
ADDRESS_LIMIT = 20
WINDOW = timedelta(minutes=15)
BLOCK = timedelta(minutes=15)


class LoginThrottle:
    def __init__(self, db: Database) -> None:
        self._db = db

    def wait_seconds(self, name: str, address: str) -> float:
        """How long until a login may be tried for `name` from `address`; 0 when now."""
        now = self._db.clock().timestamp()
        return max(
            0.0,
            self._blocked_until("name", name.casefold(), NAME_LIMIT, now) - now,
            self._blocked_until("address", address, ADDRESS_LIMIT, now) - now,
        )

    def failed(self, name: str, address: str) -> None:
        now = self._db.clock().timestamp()
        forgotten = now - (WINDOW + BLOCK).total_seconds()
        with self._db.write() as conn:
            conn.execute("DELETE FROM login_failures WHERE at < ?", (forgotten,))
            conn.executemany(
                "INSERT INTO login_failures (kind, key, at) VALUES (?, ?, ?)",
                [("name", name.casefold(), now), ("address", address, now)],
            )

    def succeeded(self, name: str, address: str) -> None:
        """Forget the name's failures (`address` is taken for symmetry; see the module)."""
        with self._db.write() as conn:
            conn.execute(
                "DELETE FROM login_failures WHERE kind = 'name' AND key = ?", (name.casefold(),)
            )

    def _blocked_until(self, kind: str, key: str, limit: int, now: float) -> float:
        """When the block on `key` ends (in the past when there is none): its latest
        `limit` failures, if they all fell within WINDOW, block it until BLOCK after
        the latest of them."""
        with self._db.errors():
            times = [
                at
                for (at,) in self._db.conn.execute(
                    "SELECT at FROM login_failures WHERE kind = ? AND key = ? AND at >= ? "
                    "ORDER BY at DESC LIMIT ?",
                    (kind, key, now - (WINDOW + BLOCK).total_seconds(), limit),
                )
            ]
        if len(times) < limit or times[0] - times[-1] > WINDOW.total_seconds():
            return 0.0
        return times[0] + BLOCK.total_seconds()
