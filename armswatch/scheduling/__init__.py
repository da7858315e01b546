"""The pieces `scheduler.py` wires together: cron triggers, the run of one source
in a child process, claims that keep hosts from running a job twice, and the
run history."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from armswatch.config import Config

JOB_STORE_FILE = "schedule.sqlite3"


def job_store_url(config: Config) -> str:
    """The configured job store, else a SQLite file in the data directory."""
    configured = config.settings.schedule.job_store
    return configured or f"sqlite:///{(config.data_dir / JOB_STORE_FILE).resolve()}"
