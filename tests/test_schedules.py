"""Schedules (R-GRD-9): due runs come from the run history; caught up once; never overlapping."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError

from tierwise.schedules import Schedule, Ticker, due
from tierwise.store.db import make_engine, sqlite_url
from tierwise.store.migrate import upgrade
from tierwise.store.runs import Assignment, Cutoff, RunStore
from tierwise.tierstate.decide import StabilityRule

DAILY = Schedule(name="daily", cron="0 3 * * *")  # 03:00 Beijing time = 19:00 UTC the day before
MONTHLY = Schedule(name="monthly", cron="0 5 1 * *")


def test_next_fire_is_read_in_beijing_time() -> None:
    assert DAILY.first_fire_after(datetime(2026, 3, 1, 12, 0)) == datetime(2026, 3, 1, 19, 0)
    assert DAILY.as_of_for(datetime(2026, 3, 1, 19, 0)) == date(2026, 3, 1)  # run at 03:00 on 3-2


def test_a_long_outage_is_caught_up_once() -> None:
    last = datetime(2026, 3, 1, 19, 0)
    now = last + timedelta(days=5, hours=1)  # five fire times were missed
    fire = due(DAILY, last, service_started=now, now=now)
    assert fire == datetime(2026, 3, 2, 19, 0)
    # once that run has started, nothing is owed until the next fire time
    assert due(DAILY, now, service_started=now, now=now + timedelta(hours=1)) is None
    assert due(DAILY, now, service_started=now, now=now + timedelta(days=1)) is not None


def test_a_schedule_that_never_ran_waits_for_its_first_fire_after_start() -> None:
    start = datetime(2026, 3, 10, 12, 0)
    assert due(MONTHLY, None, service_started=start, now=start + timedelta(days=1)) is None
    assert due(MONTHLY, None, service_started=start, now=datetime(2026, 3, 31, 21, 0)) == datetime(
        2026, 3, 31, 21, 0
    )


def test_bad_cron_is_a_clear_settings_error() -> None:
    with pytest.raises(ValidationError, match="not a crontab expression"):
        Schedule(name="x", cron="every day at 3")


def test_ticker_starts_each_due_run_once_and_skips_while_another_runs(tmp_path: Path) -> None:
    engine = make_engine(sqlite_url(tmp_path / "s.db"))
    upgrade(engine)
    store = RunStore(engine)
    calls: list[tuple[str, date]] = []
    hold_open = {"yes": False}

    def job(schedule: Schedule, as_of: date, now: datetime) -> None:
        run_id = f"{schedule.name}-{as_of}"
        store.begin(
            run_id,
            policy_name="p",
            policy_hash="h",
            as_of=as_of,
            data_fingerprint="f",
            started_at=now,
            trigger=schedule.trigger_name,
        )
        calls.append((schedule.name, as_of))
        if not hold_open["yes"]:
            store.publish(
                run_id,
                [Assignment("a", "gold", 1.0)],
                [Cutoff("gold", 0, None)],
                rule=StabilityRule(),
                now=now,
            )

    start = datetime(2026, 3, 1, 12, 0)
    ticker = Ticker(engine, [DAILY], job, service_started=start)
    assert ticker.tick(start) == []
    # the service then sleeps through four fire times: one catch-up run, not four
    now = datetime(2026, 3, 5, 20, 0)
    assert ticker.tick(now) == ["daily"]
    assert ticker.tick(now + timedelta(minutes=1)) == []
    assert calls == [("daily", date(2026, 3, 1))]
    # a run still in progress blocks the next one; it starts once the first is done
    hold_open["yes"] = True
    assert ticker.tick(datetime(2026, 3, 6, 19, 1)) == ["daily"]
    hourly = Schedule(name="hourly", cron="0 * * * *")
    other = Ticker(engine, [hourly], job, service_started=datetime(2026, 3, 6, 19, 30))
    assert other.tick(datetime(2026, 3, 6, 20, 0, 30)) == []  # refused: the daily run is running
    assert calls[-1] == ("daily", date(2026, 3, 6))  # fired 03:00 on 3-7 in Beijing
