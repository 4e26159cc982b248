"""``tierwise report``: the periodic analysis report of a run as one HTML file (R-ANA-8)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from tierwise.analytics.report import write_run_report
from tierwise.analytics.source import latest_run_id, require_days
from tierwise.cli.analyze import LakeOpt, LangOpt, RunOpt, check_lang
from tierwise.cli.main import app
from tierwise.pipeline.report_sections import report_sections
from tierwise.settings import get_settings
from tierwise.store.db import make_engine
from tierwise.store.migrate import upgrade

_out = Console(highlight=False)


@app.command("report")
def report_command(
    run: RunOpt = None,
    days: Annotated[int, typer.Option(help="Days before and after for the effect table.")] = 30,
    out: Annotated[
        Path | None,
        typer.Option(
            help="HTML file to write (default: $TIERWISE_HOME/reports/<run>.<lang>.html)."
        ),
    ] = None,
    lake: LakeOpt = None,
    lang: LangOpt = "zh",
) -> None:
    """Write a run's analysis report: tier distribution, migration from the previous run,
    metrics per tier and the effect of its tier changes, as one self-contained HTML file."""
    check_lang(lang)
    require_days(days)
    s = get_settings()
    engine = make_engine(s.state_url)
    upgrade(engine)
    run_id = run or latest_run_id(engine)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    lake_dir = lake or s.lake_dir
    path = write_run_report(
        engine,
        lake_dir,
        run_id,
        home=s.home,
        lang=lang,
        days=days,
        now=now,
        out=out,
        # the experiments' results (R-ANA-5) and the benefits' use and cost (R-OPS-2)
        extra_sections=report_sections(engine, lake_dir, run_id, s.home / "runs", lang),
    )
    _out.print(f"report of {run_id} ({lang}) written to {path}")
