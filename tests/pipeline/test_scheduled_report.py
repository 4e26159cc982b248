"""A schedule can write the analysis report of each run it publishes (R-ANA-8)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pydantic
import pytest

from tierwise.pipeline.scheduler import grading_job
from tierwise.schedules import Schedule, Ticker
from tierwise.settings import Settings
from tierwise.store.db import make_engine, sqlite_url
from tierwise.store.migrate import upgrade
from tierwise.store.runs import RunStore
from tinylake import small_book


def test_a_scheduled_run_writes_its_reports(tmp_path: Path) -> None:
    small_book(tmp_path / "lake")
    engine = make_engine(sqlite_url(tmp_path / "s.db"))
    upgrade(engine)
    daily = Schedule(name="daily", cron="0 3 * * *", report=("zh", "en"))
    settings = Settings(home=tmp_path, schedules=[daily])
    ticker = Ticker(
        engine, [daily], grading_job(settings, engine), service_started=dt.datetime(2025, 6, 30, 12)
    )
    assert ticker.tick(dt.datetime(2025, 6, 30, 19, 5)) == ["daily"]
    run = RunStore(engine).current_run()
    assert run is not None
    zh = (tmp_path / "reports" / f"{run.id}.zh.html").read_text(encoding="utf-8")
    en = (tmp_path / "reports" / f"{run.id}.en.html").read_text(encoding="utf-8")
    assert "各等级评估指标" in zh and "这是第一次发布的运行" in zh
    assert "Evaluation metrics per tier" in en


def test_report_languages_are_checked() -> None:
    with pytest.raises(pydantic.ValidationError, match="report"):
        Schedule(name="x", cron="0 3 * * *", report=("fr",))  # type: ignore[arg-type]
    assert Schedule(name="x", cron="0 3 * * *").report == ()
