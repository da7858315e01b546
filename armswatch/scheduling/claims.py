"""Claims on runs, in the job store's database, so that hosts sharing a schedule
never run one job twice.

APScheduler 3 does not coordinate schedulers that share a job store: each may
fire the same job. Before a run, its host claims the (source, cron slot) pair in
a table beside the jobs; the database's unique key lets exactly one host win.
A claim also marks the source as running until it is released, so a manual
`run-now` does not overlap a scheduled run on another host.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    String,
    Table,
    and_,
    create_engine,
    insert,
    select,
    update,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.elements import ColumnElement

_metadata = MetaData()
_claims = Table(
    "armswatch_run_claims",
    _metadata,
    Column("source", String(100), primary_key=True),
    Column("slot", String(64), primary_key=True),
    Column("host", String(255), nullable=False),
    Column("pid", Integer, nullable=False),
    Column("claimed_at", String(40), nullable=False),
    Column("finished_at", String(40)),
)


def engine_for(url: str) -> Engine:
    """An engine that waits for a busy SQLite file instead of failing."""
    options = {"connect_args": {"timeout": 30}} if url.startswith("sqlite") else {}
    return create_engine(url, **options)


@dataclass(frozen=True)
class Refusal:
    """Why a run was not claimed: `overlap` (the source is running elsewhere) or
    its slot already taken by another host."""

    overlap: bool
    reason: str


class RunClaims:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        _metadata.create_all(engine)

    def claim(self, source: str, slot: str, running_for: float) -> Refusal | None:
        """Claim the run of `source` for `slot`; None when won, else why not. A
        claim not released after `running_for` seconds (a host that died) no
        longer blocks other slots."""
        moment = datetime.now(UTC)
        stale = (moment - timedelta(seconds=running_for)).isoformat()
        with self.engine.begin() as conn:
            busy = conn.execute(
                select(_claims.c.host, _claims.c.claimed_at).where(
                    and_(
                        _claims.c.source == source,
                        _claims.c.finished_at.is_(None),
                        _claims.c.claimed_at > stale,
                    )
                )
            ).first()
            if busy is not None:
                return Refusal(
                    overlap=True, reason=f"still running on {busy.host} since {busy.claimed_at}"
                )
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    insert(_claims).values(
                        source=source,
                        slot=slot,
                        host=socket.gethostname(),
                        pid=os.getpid(),
                        claimed_at=moment.isoformat(),
                    )
                )
        except IntegrityError:
            with self.engine.begin() as conn:
                host = conn.execute(
                    select(_claims.c.host).where(
                        and_(_claims.c.source == source, _claims.c.slot == slot)
                    )
                ).scalar()
            return Refusal(overlap=False, reason=f"the run of {slot} was taken by {host}")
        return None

    def release(self, source: str, slot: str) -> None:
        self._finish(and_(_claims.c.source == source, _claims.c.slot == slot))

    def release_lost(self, pids: set[int]) -> None:
        """Release what processes of this host that are gone (`pids`) still held."""
        if pids:
            host = socket.gethostname()
            self._finish(
                and_(
                    _claims.c.host == host,
                    _claims.c.pid.in_(pids),
                    _claims.c.finished_at.is_(None),
                )
            )

    def _finish(self, where: ColumnElement[bool]) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(_claims).where(where).values(finished_at=datetime.now(UTC).isoformat())
            )
