"""The scheduler as operators run it: the real APScheduler daemon (`armswatch
schedule run`) in a child process, real crawls of the demo sites, the run
history it records, and the commands around it."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

import pytest
import yaml

from armswatch.demo import DemoSites
from armswatch.scheduling.claims import RunClaims, engine_for
from armswatch.scheduling.history import (
    FAILED,
    INTERRUPTED,
    OK,
    SKIPPED_CLAIMED,
    SKIPPED_MISSED,
    SKIPPED_OVERLAP,
    STOPPED,
    TIMED_OUT,
    RunHistory,
    RunRecord,
)
from armswatch.scheduling.trigger import CronSchedule
from tests.alert_receivers import WebhookReceiver
from tests.conftest import DEMO_CONFIG, REPO, run_cli
from tests.noida import free_port

EVERY_SECOND = "* * * * * *"
NIGHTLY = "0 2 * * *"


def make_config(directory: Path, sources: dict[str, dict[str, Any]], **schedule: Any) -> Path:
    """A config directory crawling the demo sites: `sources` maps a demo source
    file (e.g. demo-market) to keys that override it (`name`, `schedule`, ...)."""
    directory.mkdir(parents=True)
    settings = yaml.safe_load((DEMO_CONFIG / "armswatch.yaml").read_text())
    settings["classifier"] = {"kind": "rules", "watchlist": "watchlist.yaml"}
    settings["schedule"] = {"jitter": 0, "stop_deadline": 60, **schedule}
    (directory / "armswatch.yaml").write_text(yaml.safe_dump(settings))
    shutil.copy(REPO / "config" / "watchlist.yaml", directory / "watchlist.yaml")
    (directory / "sources").mkdir()
    for name, overrides in sources.items():
        base = yaml.safe_load(
            (DEMO_CONFIG / "sources" / f"{overrides.get('file', name)}.yaml").read_text()
        )
        base.update({k: v for k, v in overrides.items() if k != "file"})
        (directory / "sources" / f"{name}.yaml").write_text(yaml.safe_dump(base))
    return directory


class Daemon:
    """`armswatch schedule run` in a child process, as a service manager runs it."""

    started: ClassVar[list[Daemon]] = []
    """Killed after each test, whatever its outcome (see `no_daemon_left`)."""

    def __init__(self, config: Path, data: Path, sites: DemoSites) -> None:
        self.data = data
        self.output = data.parent / f"daemon-{time.monotonic_ns()}.log"
        data.mkdir(parents=True, exist_ok=True)
        with self.output.open("w") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "armswatch", "--config", config, "--data-dir", data,
                 "schedule", "run"],
                stdout=out,
                stderr=subprocess.STDOUT,
                env={**os.environ, **sites.env(), "COLUMNS": "200"},
                cwd=REPO,
            )  # fmt: skip
        Daemon.started.append(self)
        wait_for(lambda: "Resumed scheduler" in self.log(), what="the scheduler to start")

    def log(self) -> str:
        return self.output.read_text()

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 120) -> int:
        self.process.send_signal(sig)
        return self.process.wait(timeout)


def wait_for(check: Callable[[], Any], what: str, timeout: float = 90) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := check():
            return result
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def history(data: Path) -> list[RunRecord]:
    """Oldest first."""
    return list(reversed(RunHistory(data).runs(limit=1000)))


def with_status(data: Path, *statuses: str, source: str | None = None) -> list[RunRecord]:
    return [r for r in history(data) if r.status in statuses and source in (None, r.source)]


@pytest.fixture(autouse=True)
def no_daemon_left() -> Iterator[None]:
    yield
    while Daemon.started:
        daemon = Daemon.started.pop()
        if daemon.process.poll() is None:
            daemon.process.kill()
            daemon.process.wait()


@pytest.fixture
def sites() -> Iterator[DemoSites]:
    with DemoSites() as sites:
        yield sites


# -- the daemon ---------------------------------------------------------------------


def test_runs_on_its_schedule_records_history_and_skips_overlapping_triggers(
    tmp_path: Path, sites: DemoSites
) -> None:
    """Fired every second while one crawl takes seconds: the first run crawls and is
    recorded; triggers during it are skipped and recorded as such."""
    config = make_config(tmp_path / "config", {"demo-market": {"schedule": EVERY_SECOND}})
    data = tmp_path / "data"
    daemon = Daemon(config, data, sites)
    wait_for(lambda: with_status(data, OK), what="a finished run")
    wait_for(lambda: with_status(data, SKIPPED_OVERLAP), what="a skipped trigger")
    assert daemon.stop() == 0

    first = with_status(data, OK)[0]
    assert first.source == "demo-market" and first.trigger == "schedule"
    assert first.pages > 20 and first.new > 20 and first.flagged > 0
    assert first.finished_at is not None and first.finished_at >= first.started_at
    assert first.log is not None and "crawl summary" in Path(first.log).read_text()
    skipped = with_status(data, SKIPPED_OVERLAP)[0]
    assert "still going" in skipped.errors
    assert "scheduler stopped" in daemon.log()
    # Every run ended: none is left "running" after a clean stop, and a crawl
    # running at the stop was let finish (stop_deadline: 60 s).
    assert all(r.finished_at for r in history(data))
    assert not with_status(data, STOPPED)

    table = run_cli("--data-dir", data, "runs", "--source", "demo-market")
    assert table.returncode == 0
    assert "skipped-overlap" in table.stdout and " ok " in table.stdout
    rows = [
        json.loads(line)
        for line in run_cli("--data-dir", data, "runs", "--json").stdout.splitlines()
    ]
    assert rows[-1]["id"] == 1 and rows[-1]["status"] in (OK, SKIPPED_OVERLAP, STOPPED)


def test_a_failing_crawl_is_recorded_and_the_other_source_still_runs(
    tmp_path: Path, sites: DemoSites
) -> None:
    config = make_config(
        tmp_path / "config",
        {
            "down-market": {
                "file": "demo-market",
                "name": "down-market",
                "start_urls": [f"http://127.0.0.1:{free_port()}/"],
                "schedule": "* * * * * */2",
            },
            "demo-market": {"schedule": "* * * * * */2"},
        },
    )
    data = tmp_path / "data"
    daemon = Daemon(config, data, sites)
    wait_for(lambda: with_status(data, FAILED, source="down-market"), what="a failed run")
    wait_for(lambda: with_status(data, OK, source="demo-market"), what="the other source's run")
    assert daemon.stop() == 0

    failed = with_status(data, FAILED, source="down-market")[0]
    assert "down-market: unreachable" in failed.errors
    assert failed.pages == 0
    assert daemon.process.returncode == 0  # the daemon went on after the failure


def test_sigterm_stops_a_running_crawl_at_the_deadline(tmp_path: Path, sites: DemoSites) -> None:
    config = make_config(
        tmp_path / "config", {"demo-market": {"schedule": EVERY_SECOND}}, stop_deadline=0
    )
    data = tmp_path / "data"
    daemon = Daemon(config, data, sites)
    wait_for(lambda: with_status(data, "running"), what="a running crawl")

    assert daemon.stop() == 0

    stopped = with_status(data, STOPPED, OK)
    assert stopped and stopped[-1].status == STOPPED
    assert "told to stop" in stopped[-1].errors
    assert not with_status(data, "running")


def test_a_killed_scheduler_leaves_its_run_interrupted(tmp_path: Path, sites: DemoSites) -> None:
    config = make_config(tmp_path / "config", {"demo-market": {"schedule": EVERY_SECOND}})
    data = tmp_path / "data"
    daemon = Daemon(config, data, sites)
    running = wait_for(lambda: with_status(data, "running"), what="a running crawl")[0]
    daemon.stop(signal.SIGKILL)
    # The crawl, in a session of its own, runs to its end; wait for its summary.
    assert running.log is not None
    wait_for(lambda: Path(running.log).with_suffix(".json").exists(), what="the orphan crawl")

    nightly = make_config(tmp_path / "nightly", {"demo-market": {"schedule": NIGHTLY}})
    again = Daemon(nightly, data, sites)
    assert again.stop() == 0

    [record] = [r for r in history(data) if r.id == running.id]
    assert record.status == INTERRUPTED and "stopped while this crawl ran" in record.errors
    assert f"the run of demo-market started {running.started_at} was interrupted" in again.log()


def test_two_hosts_sharing_a_job_store_never_run_a_slot_twice(
    tmp_path: Path, sites: DemoSites
) -> None:
    store = f"sqlite:///{tmp_path / 'shared-jobs.sqlite3'}"
    config = make_config(
        tmp_path / "config", {"demo-market": {"schedule": "* * * * * */2"}}, job_store=store
    )
    first = Daemon(config, tmp_path / "host-a", sites)
    second = Daemon(config, tmp_path / "host-b", sites)

    def decided() -> bool:
        runs = history(tmp_path / "host-a") + history(tmp_path / "host-b")
        return sum(r.status == OK for r in runs) >= 2 and any(
            r.status in (SKIPPED_CLAIMED, SKIPPED_OVERLAP) for r in runs
        )

    wait_for(decided, what="runs on both hosts")
    assert first.stop() == 0 and second.stop() == 0

    runs = history(tmp_path / "host-a") + history(tmp_path / "host-b")
    crawled = [r.slot for r in runs if r.status in (OK, FAILED, TIMED_OUT, STOPPED)]
    assert len(crawled) == len(set(crawled)) >= 2


# -- the job store and the commands ---------------------------------------------------


def test_the_job_store_survives_a_scheduler_restart(tmp_path: Path, sites: DemoSites) -> None:
    config = make_config(
        tmp_path / "config",
        {"demo-market": {"schedule": NIGHTLY}, "demo-forum": {"schedule": "30 3 * * 0"}},
        timezone="Europe/Berlin",
    )
    data = tmp_path / "data"
    common = ("--config", config, "--data-dir", data)

    before = run_cli(*common, "schedule", "list")
    assert before.returncode == 0 and "not scheduled yet" in before.stdout
    synced = run_cli(*common, "schedule", "sync")
    assert "added: demo-forum, demo-market" in synced.stdout
    listed = run_cli(*common, "schedule", "list")
    assert "T02:00:00+01:00" in listed.stdout  # 02:00 in Berlin, in November
    assert "T03:30:00+01:00" in listed.stdout and "differs" not in listed.stdout

    Daemon(config, data, sites).stop()
    again = run_cli(*common, "schedule", "list")
    assert again.stdout == listed.stdout
    assert "kept: demo-forum, demo-market" in run_cli(*common, "schedule", "sync").stdout


def test_a_changed_config_is_picked_up_by_sync(tmp_path: Path) -> None:
    config = make_config(
        tmp_path / "config",
        {"demo-market": {"schedule": NIGHTLY}, "demo-forum": {"schedule": NIGHTLY}},
    )
    common = ("--config", config, "--data-dir", tmp_path / "data")
    run_cli(*common, "schedule", "sync")
    (config / "sources" / "demo-forum.yaml").unlink()
    market = config / "sources" / "demo-market.yaml"
    market.write_text(market.read_text().replace(NIGHTLY, "15 4 * * *"))

    assert "differs from the configuration" in run_cli(*common, "schedule", "list").stdout
    synced = run_cli(*common, "schedule", "sync").stdout
    assert "changed: demo-market" in synced and "removed: demo-forum" in synced
    listed = run_cli(*common, "schedule", "list").stdout
    assert "15 4 * * *" in listed and "demo-forum" not in listed


def test_run_now_records_a_manual_run_and_stops_at_the_timeout(
    tmp_path: Path, sites: DemoSites
) -> None:
    config = make_config(
        tmp_path / "config",
        {
            "demo-market": {},
            "slow-market": {"file": "demo-market", "name": "slow-market", "run_timeout": 0.5},
        },
    )
    common = ("--config", config, "--data-dir", tmp_path / "data")

    done = run_cli(*common, "run-now", "demo-market", sites=sites)
    assert done.returncode == 0, done.stderr
    assert "ok: demo-market" in done.stdout
    slow = run_cli(*common, "run-now", "slow-market", sites=sites)
    assert slow.returncode == 1
    assert "timed out" in slow.stdout and "timeout of 0.5 s" in slow.stderr
    unknown = run_cli(*common, "run-now", "nowhere")
    assert unknown.returncode == 2 and "unknown source nowhere" in unknown.stderr

    records = history(tmp_path / "data")
    assert [(r.source, r.trigger, r.status) for r in records] == [
        ("demo-market", "manual", OK),
        ("slow-market", "manual", TIMED_OUT),
    ]
    assert records[0].new > 20


def test_every_schedule_command_explains_itself() -> None:
    for command in (
        ("schedule", "run"),
        ("schedule", "list"),
        ("schedule", "sync"),
        ("runs",),
        ("run-now",),
    ):
        result = run_cli(*command, "--help")
        assert result.returncode == 0 and "Usage:" in result.stdout


def test_a_bad_schedule_is_a_config_error(tmp_path: Path) -> None:
    config = make_config(
        tmp_path / "config", {"demo-market": {"schedule": "every night"}}, timezone="Mars/Olympus"
    )
    result = run_cli("--config", config, "schedule", "list")
    assert result.returncode == 2
    assert "a cron expression with five fields" in result.stderr
    assert "'Mars/Olympus' is not a time zone name" in result.stderr


# -- the pieces -------------------------------------------------------------------------


def test_cron_schedules_read_weekdays_and_seconds_as_croniter_does() -> None:
    sunday = CronSchedule("0 2 * * 0", "Europe/Berlin")
    monday_noon = datetime(2026, 11, 23, 12, tzinfo=UTC)
    assert sunday.get_next_fire_time(None, monday_noon).isoformat() == "2026-11-29T02:00:00+01:00"
    assert sunday.latest(monday_noon).isoformat() == "2026-11-22T02:00:00+01:00"
    every_two = CronSchedule("* * * * * */2", "UTC")
    fired = every_two.get_next_fire_time(None, monday_noon)
    assert (fired - monday_noon).total_seconds() == 2
    assert every_two.get_next_fire_time(fired, fired).second == 4


def test_a_claimed_slot_is_refused_to_a_second_claimant(tmp_path: Path) -> None:
    engine = engine_for(f"sqlite:///{tmp_path / 'jobs.sqlite3'}")
    claims = RunClaims(engine)
    assert claims.claim("forum-a", "2026-11-23T02:00:00+00:00", running_for=60) is None

    busy = claims.claim("forum-a", "2026-11-24T02:00:00+00:00", running_for=60)
    assert busy is not None and busy.overlap and "still running" in busy.reason
    claims.release("forum-a", "2026-11-23T02:00:00+00:00")
    again = claims.claim("forum-a", "2026-11-23T02:00:00+00:00", running_for=60)
    assert again is not None and not again.overlap and "was taken by" in again.reason
    assert claims.claim("forum-b", "2026-11-23T02:00:00+00:00", running_for=60) is None
    engine.dispose()


def test_a_run_missed_beyond_the_grace_time_is_recorded_not_run(
    tmp_path: Path, sites: DemoSites
) -> None:
    """The scheduler was down when a run was due: past `misfire_grace` it is
    recorded as missed instead of starting late."""
    config = make_config(
        tmp_path / "config", {"demo-market": {"schedule": "* * * * * */10"}}, misfire_grace=1
    )
    data = tmp_path / "data"
    run_cli("--config", config, "--data-dir", data, "schedule", "sync")
    due = CronSchedule("* * * * * */10", "UTC").get_next_fire_time(None, datetime.now(UTC))
    time.sleep(max(0.0, (due - datetime.now(UTC)).total_seconds()) + 2)

    daemon = Daemon(config, data, sites)
    missed = wait_for(lambda: with_status(data, SKIPPED_MISSED), what="a missed run")
    assert daemon.stop() == 0

    assert "misfire_grace" in missed[0].errors and due.isoformat()[:19] in missed[0].errors.replace(
        " ", "T"
    )


def test_scheduled_runs_alert_and_a_receiver_that_was_down_gets_them_next_run(
    tmp_path: Path, sites: DemoSites, monkeypatch: pytest.MonkeyPatch
) -> None:
    port, secret = free_port(), "s3cret"
    monkeypatch.setenv("ARMSWATCH_TEST_HOOK_SECRET", secret)
    config = make_config(tmp_path / "config", {"demo-market": {"schedule": "* * * * * */3"}})
    alerts = {
        "channels": {
            "hook": {
                "type": "webhook",
                "url": WebhookReceiver(b"", port).url,
                "secret_env": "ARMSWATCH_TEST_HOOK_SECRET",
                "retries": 0,
            }
        },
        "rules": [{"name": "flagged", "channels": ["hook"], "mode": "digest"}],
    }
    (config / "alerts.yaml").write_text(yaml.safe_dump(alerts))
    data = tmp_path / "data"
    daemon = Daemon(config, data, sites)
    first = wait_for(lambda: with_status(data, OK), what="a finished run")[0]
    assert first.flagged > 0
    pending = run_cli("--config", config, "--data-dir", data, "alerts", "status")
    assert "connection refused" in pending.stdout.lower() + pending.stderr.lower()

    with WebhookReceiver(secret.encode(), port) as hook:
        wait_for(lambda: hook.messages, what="the alerts, at a later run")
        daemon.stop()
    assert len(hook.alert_ids("flagged")) == len(set(hook.alert_ids("flagged"))) == first.flagged
