"""The service scheduler: one wake-up job, and scheduled runs graded and published (R-GRD-9)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from tierwise.pipeline.scheduler import grading_job, start_scheduler
from tierwise.schedules import Schedule, Ticker
from tierwise.settings import Settings
from tierwise.store.db import make_engine, sqlite_url
from tierwise.store.migrate import upgrade
from tierwise.store.runs import RunStore
from tinylake import small_book


def test_no_schedules_no_scheduler(tmp_path: Path) -> None:
    engine = make_engine(sqlite_url(tmp_path / "s.db"))
    assert start_scheduler(Settings(home=tmp_path, schedules=[]), engine) is None


def test_one_wake_up_job_that_never_overlaps_itself(tmp_path: Path) -> None:
    engine = make_engine(sqlite_url(tmp_path / "s.db"))
    upgrade(engine)
    settings = Settings(home=tmp_path, schedules=[Schedule(name="daily", cron="0 3 * * *")])
    scheduler = start_scheduler(settings, engine, job=lambda *_: None)
    assert scheduler is not None
    try:
        (job,) = scheduler.get_jobs()
        assert (job.max_instances, job.coalesce) == (1, True)
    finally:
        scheduler.shutdown(wait=True)


def test_a_due_schedule_grades_the_lake_and_publishes(tmp_path: Path) -> None:
    small_book(tmp_path / "lake")
    engine = make_engine(sqlite_url(tmp_path / "s.db"))
    upgrade(engine)
    daily = Schedule(name="daily", cron="0 3 * * *")
    settings = Settings(home=tmp_path, schedules=[daily])
    ticker = Ticker(
        engine, [daily], grading_job(settings, engine), service_started=dt.datetime(2025, 6, 30, 12)
    )
    # 03:00 Beijing on 7-1 is 19:00 UTC on 6-30: due, grading as of 6-30
    assert ticker.tick(dt.datetime(2025, 6, 30, 19, 5)) == ["daily"]
    run = RunStore(engine).current_run()
    assert run is not None
    assert (run.trigger, run.as_of, run.status) == (
        "schedule:daily",
        dt.date(2025, 6, 30),
        "published",
    )
    assert ticker.tick(dt.datetime(2025, 6, 30, 19, 6)) == []
