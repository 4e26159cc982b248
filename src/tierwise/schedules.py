"""Scheduled grading runs (R-GRD-9): daily, weekly, monthly, caught up once, never overlapping.

What is due is derived from the run history, not from a scheduler's memory: a schedule owes a
run for the first fire time after its last scheduled run started (or after the service started,
for a schedule that never ran). However long the service was down, that is **one** run, and a
restart cannot make it run twice. Overlap is refused by the store itself (one running run at
most, :meth:`tierwise.store.runs.RunStore.begin`). APScheduler only wakes the service up.

All datetimes stored are naive UTC; cron expressions are read in the schedule's time zone
(Asia/Shanghai by default). A run fired at ``T`` grades ``as_of`` = the day before ``T`` in that
time zone, the last complete day of data.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import Engine, func, select

from tierwise.errors import ConfigError, UsageError
from tierwise.store.schema import Run


class Schedule(BaseModel):
    """One schedule of the settings (``TIERWISE_SCHEDULES``, a JSON list)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    cron: str
    timezone: str = "Asia/Shanghai"
    policy: str | None = None
    #: languages of the analysis report written after each published run (R-ANA-8), e.g.
    #: ["zh", "en"]: $TIERWISE_HOME/reports/<run_id>.<lang>.html; none by default
    report: tuple[Literal["zh", "en"], ...] = ()
    report_days: int = Field(default=30, ge=1, le=365)

    @field_validator("cron")
    @classmethod
    def _valid_cron(cls, v: str) -> str:
        try:
            CronTrigger.from_crontab(v)
        except ValueError as err:
            raise ValueError(
                f"not a crontab expression (minute hour day month weekday): {v!r}: {err}"
            ) from err
        return v

    @property
    def trigger_name(self) -> str:
        """What runs started by this schedule record as their trigger."""
        return f"schedule:{self.name}"

    def first_fire_after(self, after: datetime) -> datetime:
        """The first fire time strictly after ``after`` (naive UTC in, naive UTC out)."""
        try:
            trigger = CronTrigger.from_crontab(self.cron, timezone=ZoneInfo(self.timezone))
        except (ValueError, KeyError) as err:
            raise ConfigError(f"schedule {self.name!r}: {err}", schedule=self.name) from err
        aware = after.replace(tzinfo=UTC) + timedelta(microseconds=1)
        fire: datetime | None = trigger.get_next_fire_time(None, aware)
        if fire is None:  # cron expressions always fire again; kept for the type checker
            raise ConfigError(f"schedule {self.name!r} never fires again", schedule=self.name)
        return fire.astimezone(UTC).replace(tzinfo=None)

    def as_of_for(self, fire: datetime) -> date:
        """The as_of date a run fired at ``fire`` (naive UTC) grades: the previous local day."""
        local = fire.replace(tzinfo=UTC).astimezone(ZoneInfo(self.timezone))
        return local.date() - timedelta(days=1)


def due(
    schedule: Schedule, last_started: datetime | None, service_started: datetime, now: datetime
) -> datetime | None:
    """The fire time a run is owed for at ``now``, or ``None`` if nothing is due.

    Parameters
    ----------
    last_started:
        When this schedule's latest run started (any outcome), or ``None``.
    service_started:
        When the service started; the anchor for a schedule that never ran.
    """
    fire = schedule.first_fire_after(last_started or service_started)
    return fire if fire <= now else None


def last_started(engine: Engine, schedule: Schedule) -> datetime | None:
    """Start time of the schedule's latest run, from the run history."""
    with engine.connect() as conn:
        value = conn.execute(
            select(func.max(Run.started_at)).where(Run.trigger == schedule.trigger_name)
        ).scalar()
    return value if isinstance(value, datetime) else None


RunJob = Callable[[Schedule, date, datetime], None]
"""Starts one grading run: (schedule, as_of, now). Must record the run with the schedule's trigger."""


@dataclass
class Ticker:
    """Called every minute by the service: starts what is due, one run at a time."""

    engine: Engine
    schedules: list[Schedule]
    job: RunJob
    service_started: datetime

    def tick(self, now: datetime) -> list[str]:
        """Start every due schedule's run; returns the names started."""
        started = []
        for schedule in self.schedules:
            fire = due(schedule, last_started(self.engine, schedule), self.service_started, now)
            if fire is None:
                continue
            try:
                self.job(schedule, schedule.as_of_for(fire), now)
            except UsageError:
                continue  # another run is in progress: the next tick tries again
            started.append(schedule.name)
        return started
