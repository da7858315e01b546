"""Cron schedules read the way `config check` validates them (croniter), for APScheduler.

APScheduler's own cron trigger numbers weekdays from Monday and knows no
seconds field in crontab strings; reading every schedule with croniter keeps
one meaning of a cron line everywhere (0 = Sunday, an optional sixth field for
seconds).
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from apscheduler.triggers.base import BaseTrigger
from croniter import croniter


class CronSchedule(BaseTrigger):
    """Fire times of one cron expression in one time zone (picklable: it is kept
    in the job store)."""

    def __init__(self, expression: str, timezone: str) -> None:
        self.expression = expression
        self.timezone = timezone

    def get_next_fire_time(
        self, previous_fire_time: datetime | None, now: datetime
    ) -> datetime | None:
        start = previous_fire_time or now
        moment = croniter(self.expression, start.astimezone(ZoneInfo(self.timezone)))
        return moment.get_next(datetime)

    def latest(self, now: datetime) -> datetime:
        """The last fire time at or before `now`: the slot a run belongs to."""
        moment = croniter(self.expression, now.astimezone(ZoneInfo(self.timezone)))
        return moment.get_prev(datetime)

    def __getstate__(self) -> dict[str, str]:
        return {"expression": self.expression, "timezone": self.timezone}

    def __setstate__(self, state: dict[str, str]) -> None:
        self.expression = state["expression"]
        self.timezone = state["timezone"]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CronSchedule) and self.__getstate__() == other.__getstate__()

    def __hash__(self) -> int:
        return hash((self.expression, self.timezone))

    def __str__(self) -> str:
        return f"cron {self.expression} ({self.timezone})"

    def __repr__(self) -> str:
        return f"CronSchedule({self.expression!r}, {self.timezone!r})"
