"""Nightly crawls per source on APScheduler: the `armswatch schedule` daemon.

One job per enabled source, on its own cron `schedule` (or `schedule.default`),
kept in a persistent SQLAlchemy job store (SQLite in the data directory, or a
shared database for several hosts). Jobs never overlap (`max_instances=1`),
missed runs collapse into one (`coalesce`) within a grace time, and each run
crawls in a child process (armswatch/scheduling/job.py) and is recorded in the
run history (`armswatch runs`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from apscheduler.events import (
    EVENT_JOB_ERROR,
    EVENT_JOB_MAX_INSTANCES,
    EVENT_JOB_MISSED,
    JobEvent,
    JobExecutionEvent,
)
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.job import Job
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from armswatch.config import Config
from armswatch.scheduling import job, job_store_url
from armswatch.scheduling.claims import RunClaims, engine_for
from armswatch.scheduling.history import (
    FAILED,
    SKIPPED_MISSED,
    SKIPPED_OVERLAP,
    RunHistory,
    RunRecord,
)
from armswatch.scheduling.trigger import CronSchedule

logger = logging.getLogger(__name__)

JOB_PREFIX = "crawl:"
JOBS_TABLE = "armswatch_jobs"
WAKE_UP_SECONDS = 30
"""How often the daemon looks at the job store even with nothing due, so that
jobs another host synced into a shared store are seen."""
MAX_PARALLEL_CRAWLS = 8


@dataclass(frozen=True)
class ScheduledJob:
    source: str
    schedule: str
    next_run: datetime | None
    """None while paused."""


@dataclass
class SyncReport:
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)


class Scheduler:
    """The configured sources as APScheduler jobs in the persistent job store."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.settings = config.settings.schedule
        self.history = RunHistory(config.data_dir)
        self.engine = engine_for(job_store_url(config))
        self.apscheduler = BackgroundScheduler(
            jobstores={
                "default": SQLAlchemyJobStore(engine=self.engine, tablename=JOBS_TABLE),
                "internal": MemoryJobStore(),
            },
            executors={"default": ThreadPoolExecutor(max_workers=MAX_PARALLEL_CRAWLS)},
            job_defaults={
                "coalesce": True,
                "max_instances": 1,
                "misfire_grace_time": self.settings.misfire_grace,
            },
            timezone=self.settings.timezone,
        )
        self.apscheduler.add_listener(self._skipped, EVENT_JOB_MAX_INSTANCES | EVENT_JOB_MISSED)
        self.apscheduler.add_listener(self._crashed, EVENT_JOB_ERROR)

    # -- the jobs ---------------------------------------------------------------

    def wanted(self) -> dict[str, CronSchedule]:
        """Each enabled source's schedule."""
        return {
            source.name: CronSchedule(
                source.schedule or self.settings.default, self.settings.timezone
            )
            for source in self.config.sources.values()
            if source.enabled
        }

    def sync(self) -> SyncReport:
        """Make the job store hold one job per enabled source with its schedule; a
        job whose schedule is unchanged keeps its next run time."""
        report = SyncReport()
        wanted = self.wanted()
        for existing in self._jobs():
            name = existing.id.removeprefix(JOB_PREFIX)
            if name not in wanted:
                existing.remove()
                report.removed.append(name)
            elif existing.trigger == wanted[name]:
                report.kept.append(name)
                del wanted[name]
            else:
                report.changed.append(name)
        for name, trigger in wanted.items():
            self.apscheduler.add_job(
                job.run_scheduled,
                trigger,
                args=[name],
                id=JOB_PREFIX + name,
                name=name,
                replace_existing=True,
            )
            if name not in report.changed:
                report.added.append(name)
        return report

    def jobs(self) -> list[ScheduledJob]:
        return sorted(
            (
                ScheduledJob(
                    j.id.removeprefix(JOB_PREFIX), str(j.trigger), getattr(j, "next_run_time", None)
                )
                for j in self._jobs()
            ),
            key=lambda j: j.source,
        )

    def _jobs(self) -> list[Job]:
        return [j for j in self.apscheduler.get_jobs("default") if j.id.startswith(JOB_PREFIX)]

    @contextmanager
    def opened(self) -> Iterator[Scheduler]:
        """The job store open without running anything (for list and sync)."""
        self.apscheduler.start(paused=True)
        try:
            yield self
        finally:
            self.apscheduler.shutdown(wait=False)
            self.engine.dispose()

    # -- the daemon ---------------------------------------------------------------

    def run(self, stop: threading.Event) -> list[RunRecord]:
        """Run jobs until `stop` is set; then let running crawls finish within
        `schedule.stop_deadline` (`job.request_stop(0)` ends them at once).
        Returns the runs an earlier daemon left unfinished (now "interrupted")."""
        lost = self.history.mark_interrupted()
        RunClaims(self.engine).release_lost({r.pid for r in lost})
        job.serve(self.config)
        self.apscheduler.start(paused=True)
        try:
            self.sync()
            self.apscheduler.add_job(
                _wake_up, IntervalTrigger(seconds=WAKE_UP_SECONDS), jobstore="internal"
            )
            self.apscheduler.resume()
            while not stop.wait(1):
                pass
            logger.info("stopping: running crawls get %s s to finish", self.settings.stop_deadline)
            self.apscheduler.pause()  # no new runs from here on
            job.request_stop(self.settings.stop_deadline)
        finally:
            self.apscheduler.shutdown(wait=True)
            self.engine.dispose()
        return lost

    def _skipped(self, event: JobEvent) -> None:
        source = event.job_id.removeprefix(JOB_PREFIX)
        if event.code == EVENT_JOB_MAX_INSTANCES:
            self.history.skipped(
                source, "schedule", SKIPPED_OVERLAP, "the previous run was still going"
            )
        else:
            when = getattr(event, "scheduled_run_time", None)
            self.history.skipped(
                source,
                "schedule",
                SKIPPED_MISSED,
                f"its time ({when}) passed more than schedule.misfire_grace "
                f"({self.settings.misfire_grace} s) ago, while no scheduler ran",
            )

    def _crashed(self, event: JobExecutionEvent) -> None:
        source = event.job_id.removeprefix(JOB_PREFIX)
        self.history.skipped(source, "schedule", FAILED, f"the job failed: {event.exception}")


def _wake_up() -> None:
    """Nothing: the scheduler wakes up to look at the job store."""
