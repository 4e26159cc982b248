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
from datetime import date, datetime

from sqlalchemy import Engine, func, select

from tierwise.errors import UsageError
from tierwise.settings import Schedule as Schedule  # declared with the settings; re-exported
from tierwise.store.schema import Run


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
