"""The service's scheduler: wakes every minute and starts the grading runs that are due.

APScheduler only provides the wake-up (one job, ``max_instances=1``, ``coalesce=True``);
what is due, catching up once, and never overlapping are decided by
:class:`tierwise.schedules.Ticker` from the run history and by the store.
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import Engine

from tierwise.analytics.report import write_run_report
from tierwise.grading.layout import runs_dir
from tierwise.pipeline.publish import grade_and_publish
from tierwise.pipeline.report_sections import report_sections
from tierwise.policy import DEFAULT_POLICY, load_policy
from tierwise.schedules import RunJob, Schedule, Ticker
from tierwise.settings import Settings

log = logging.getLogger(__name__)


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def grading_job(settings: Settings, engine: Engine) -> RunJob:
    """The job a schedule runs: grade the lake with the schedule's policy and publish."""

    def job(schedule: Schedule, as_of: dt.date, now: dt.datetime) -> None:
        path = Path(schedule.policy) if schedule.policy else DEFAULT_POLICY
        log.info("schedule %s: grading as of %s with %s", schedule.name, as_of, path)
        published = grade_and_publish(
            load_policy(path),
            as_of=as_of,
            lake=settings.lake_dir,
            runs=runs_dir(settings.home),
            engine=engine,
            trigger=schedule.trigger_name,
            policy_dir=path.parent,
        )
        for lang in schedule.report:  # R-ANA-8: the run is published whatever happens here
            try:
                out = write_run_report(
                    engine,
                    settings.lake_dir,
                    published.output.run_id,
                    home=settings.home,
                    lang=lang,
                    days=schedule.report_days,
                    now=_utcnow(),
                    # the experiments' results (R-ANA-5) and the benefits' use and cost
                    # (R-OPS-2) as of the run's day
                    extra_sections=report_sections(
                        engine,
                        settings.lake_dir,
                        published.output.run_id,
                        runs_dir(settings.home),
                        lang,
                    ),
                )
                log.info("schedule %s: report written to %s", schedule.name, out)
            except Exception:
                log.exception("schedule %s: the %s report failed", schedule.name, lang)

    return job


def start_scheduler(
    settings: Settings, engine: Engine, *, job: RunJob | None = None
) -> BackgroundScheduler | None:
    """Start the wake-up job for ``settings.schedules``; ``None`` when no schedule is set."""
    if not settings.schedules:
        return None
    ticker = Ticker(
        engine,
        list(settings.schedules),
        job or grading_job(settings, engine),
        service_started=_utcnow(),
    )

    def tick() -> None:
        try:
            started = ticker.tick(_utcnow())
            if started:
                log.info("started scheduled runs: %s", ", ".join(started))
        except Exception:  # a failed run is recorded in the store; keep the scheduler alive
            log.exception("scheduled grading failed")

    scheduler = BackgroundScheduler(timezone="UTC")
    scheduler.add_job(
        tick,
        "interval",
        minutes=1,
        max_instances=1,
        coalesce=True,
        id="tierwise-schedules",
        next_run_time=dt.datetime.now(dt.UTC),
    )
    scheduler.start()
    return scheduler
