"""One run of one source: claimed, crawled in a child process, recorded.

The crawl runs as `armswatch crawl SOURCE` in a child process because Scrapy's
reactor cannot restart inside the scheduler; a crash or a hang of one crawl
then costs that run only. The child is given SIGTERM at its timeout (or when
the daemon stops), which lets Scrapy close cleanly and keep its job state for
the next run, then SIGKILL if it does not end.
"""

from __future__ import annotations

import json
import logging
import os
import random
import signal
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from armswatch.config import Config, ConfigError, load_config
from armswatch.scheduling import job_store_url
from armswatch.scheduling.claims import RunClaims, engine_for
from armswatch.scheduling.history import (
    FAILED,
    OK,
    SKIPPED_CLAIMED,
    SKIPPED_OVERLAP,
    STOPPED,
    TIMED_OUT,
    RunHistory,
    RunRecord,
)
from armswatch.scheduling.trigger import CronSchedule

logger = logging.getLogger(__name__)

KILL_AFTER_SECONDS = 30.0
"""How long a crawl told to stop may take to close before it is killed."""
ERROR_LINES = 5


@dataclass
class _Daemon:
    """What the scheduler daemon tells the jobs it runs."""

    config_dir: Path | None = None
    data_dir: Path | None = None
    stop_at: float | None = None
    """Monotonic time at which running crawls are stopped (set when told to stop)."""


_daemon = _Daemon()
_stopping = threading.Event()


def serve(config: Config) -> None:
    """Jobs fired in this process run with this configuration (job store entries
    name only the source, so hosts sharing a store each use their own paths)."""
    _daemon.config_dir = config.directory.resolve()
    _daemon.data_dir = config.data_dir.resolve()
    _daemon.stop_at = None
    _stopping.clear()


def request_stop(deadline: float) -> None:
    """Stop: jobs not started yet do not start, running crawls get `deadline`
    seconds to finish (called again, with 0: stop them now)."""
    stop_at = time.monotonic() + deadline
    _daemon.stop_at = stop_at if _daemon.stop_at is None else min(_daemon.stop_at, stop_at)
    _stopping.set()


def run_scheduled(source: str) -> None:
    """The job APScheduler fires for a source."""
    if _daemon.config_dir is None or _daemon.data_dir is None:
        raise RuntimeError("run_scheduled runs only inside 'armswatch schedule run'")
    run_source(_daemon.config_dir, _daemon.data_dir, source, trigger="schedule")


def run_source(config_dir: Path, data_dir: Path, name: str, trigger: str) -> RunRecord:
    """Run one source now (trigger "schedule" or "manual") and record the run."""
    history = RunHistory(data_dir)
    try:
        config = load_config(config_dir, data_dir)
    except ConfigError as exc:
        return history.skipped(name, trigger, FAILED, _first_lines(str(exc)))
    source = config.sources.get(name)
    if source is None or not source.enabled:
        return history.skipped(
            name,
            trigger,
            FAILED,
            f"no enabled source named {name} in {config.directory / 'sources'}; "
            "run 'armswatch schedule sync' after changing sources",
        )
    settings = config.settings.schedule
    moment = datetime.now(UTC)
    if trigger == "schedule":
        slot = CronSchedule(source.schedule or settings.default, settings.timezone).latest(moment)
        slot_name = slot.isoformat()
        if settings.jitter and _stopping.wait(random.uniform(0, settings.jitter)):
            return history.skipped(name, trigger, STOPPED, "the scheduler stopped first")
    else:
        slot_name = f"manual {moment.isoformat()} {uuid.uuid4().hex[:8]}"
    if history.running(name) is not None:
        return history.skipped(
            name, trigger, SKIPPED_OVERLAP, "the previous run on this host is still going"
        )
    timeout = source.run_timeout or settings.timeout
    engine = engine_for(job_store_url(config))
    try:
        claims = RunClaims(engine)
        refusal = claims.claim(name, slot_name, running_for=timeout + settings.stop_deadline + 60)
        if refusal is not None:
            status = SKIPPED_OVERLAP if refusal.overlap else SKIPPED_CLAIMED
            return history.skipped(name, trigger, status, refusal.reason)
        record = history.start(name, trigger, slot_name)
        try:
            _crawl(config, name, timeout, record, history)
        except Exception as exc:  # never let one run take the scheduler down
            logger.exception("the run of %s failed", name)
            record.status, record.errors = FAILED, f"armswatch could not run the crawl: {exc}"
        finally:
            history.finish(record)
            claims.release(name, slot_name)
        return record
    finally:
        engine.dispose()


def _crawl(
    config: Config, name: str, timeout: float, record: RunRecord, history: RunHistory
) -> None:
    """`armswatch crawl NAME` in a child process, within `timeout` seconds."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    logs = config.data_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    log = logs / f"schedule-{name}-{stamp}-{record.id}.log"
    report = log.with_suffix(".json")
    record.log = str(log)
    history.save(record)  # where to look while it runs
    command = [
        sys.executable, "-m", "armswatch",
        "--config", str(config.directory), "--data-dir", str(config.data_dir),
        "crawl", name, "--report", str(report),
    ]  # fmt: skip
    with log.open("w", encoding="utf-8") as output:
        child = subprocess.Popen(
            command,
            stdout=output,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env={**os.environ, "COLUMNS": "120"},
            # Its own session: a Ctrl-C meant for the daemon does not reach the
            # crawl, which the daemon stops itself at the deadline.
            start_new_session=True,
        )
        ended_by = _wait(child, time.monotonic() + timeout)
    figures = _figures(report)
    record.pages, record.new, record.changed, record.flagged = (
        figures.get(key, 0) for key in ("pages", "new", "changed", "flagged")
    )
    if ended_by == "timeout":
        record.status = TIMED_OUT
        record.errors = f"stopped after the timeout of {timeout:g} s (run_timeout)"
    elif ended_by == "stop":
        record.status = STOPPED
        record.errors = "the scheduler was told to stop before the crawl finished"
    elif child.returncode == 0:
        record.status = OK
        if linking_error := figures.get("linking_error"):  # the crawl itself is fine
            record.errors = f"linking vendors and near-duplicates failed: {linking_error}"
    else:
        record.status = FAILED
        record.errors = figures.get("problems") or _first_lines(_tail(log), last=True)
        if child.returncode < 0:
            record.errors = f"the crawl was killed by signal {-child.returncode}\n{record.errors}"


def _wait(child: subprocess.Popen[bytes], deadline: float) -> str | None:
    """Wait for the child; stop it at the deadline or when the daemon stops.
    Returns what ended it early ("timeout" or "stop"), or None."""
    while child.poll() is None:
        now = time.monotonic()
        if now >= deadline:
            _stop(child)
            return "timeout"
        if _daemon.stop_at is not None and now >= _daemon.stop_at:
            _stop(child)
            return "stop"
        time.sleep(0.2)
    return None


def _stop(child: subprocess.Popen[bytes]) -> None:
    child.send_signal(signal.SIGTERM)
    try:
        child.wait(KILL_AFTER_SECONDS)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()


def _figures(report: Path) -> dict[str, Any]:
    """Totals from the crawl's JSON summary, the lines of sources that failed, and why
    linking failed (if it did)."""
    try:
        summary = json.loads(report.read_text(encoding="utf-8"))
        sources = summary["sources"]
    except (OSError, ValueError, KeyError):
        return {}
    totals: dict[str, Any] = {
        key: sum(int(s.get(key, 0)) for s in sources)
        for key in ("pages", "new", "changed", "flagged")
    }
    totals["problems"] = "\n".join(f"{s['source']}: {s['status']}" for s in sources if not s["ok"])
    totals["linking_error"] = (summary.get("linking") or {}).get("error")
    return totals


def _tail(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def _first_lines(text: str, last: bool = False) -> str:
    lines = [line.rstrip() for line in text.splitlines() if line.strip()]
    return "\n".join(lines[-ERROR_LINES:] if last else lines[:ERROR_LINES])
