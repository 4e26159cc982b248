"""``tierwise backfill``: grade as of each past date (R-GRD-11); mix and migrations per date."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from tierwise.cli.main import app
from tierwise.errors import UsageError
from tierwise.grading import layout
from tierwise.pipeline.backfill import NONE, BackfillStep, backfill, backfill_dates
from tierwise.policy import DEFAULT_POLICY, load_policy
from tierwise.settings import get_settings
from tierwise.store.db import make_engine
from tierwise.store.migrate import upgrade

_out = Console(highlight=False)


def _date(text: str, option: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as err:
        raise UsageError(f"{option} {text!r} is not a date", hint="use YYYY-MM-DD") from err


def _show(step: BackfillStep, order: list[str]) -> None:
    cols = [t for t in order if t in step.mix] + [t for t in step.mix if t not in order]
    total = sum(step.mix.values()) or 1
    mix = ", ".join(f"{t} {step.mix[t]:,} ({step.mix[t] / total:.1%})" for t in cols)
    _out.print(f"[bold]{step.as_of}[/]  {step.run_id}\n  mix: {mix}")
    if step.published is not None:
        ch = ", ".join(f"{k} {v:,}" for k, v in sorted(step.published.changes.items()))
        _out.print(f"  published: {ch or 'no changes'}")
    if step.migration is not None:
        tiers = [*order, NONE]
        table = Table(
            title=f"migration to {step.as_of} (rows: previous date)", title_justify="left"
        )
        table.add_column("from \\ to")
        for t in tiers:
            table.add_column(t, justify="right")
        for a in tiers:
            table.add_row(a, *[f"{step.migration.get((a, b), 0):,}" for b in tiers])
        _out.print(table)


@app.command("backfill")
def backfill_command(
    start: Annotated[str, typer.Option("--from", help="First as_of date (YYYY-MM-DD).")],
    end: Annotated[str, typer.Option("--to", help="Last as_of date (YYYY-MM-DD).")],
    every: Annotated[str, typer.Option(help="month (month ends) or week.")] = "month",
    policy: Annotated[Path, typer.Option(help="Policy YAML file.")] = DEFAULT_POLICY,
    publish: Annotated[
        bool, typer.Option("--publish", help="Publish each date in order (stability plays out).")
    ] = False,
    lake: Annotated[
        Path | None, typer.Option(help="Lake folder (default $TIERWISE_HOME/lake).")
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            help="Runs folder (default $TIERWISE_HOME/runs, or .../backfill without --publish)."
        ),
    ] = None,
) -> None:
    """Replay grading as of each date: the tier mix per date and the migrations between dates."""
    if every not in ("month", "week"):
        raise UsageError(f"--every {every!r}", hint="month or week")
    dates = backfill_dates(_date(start, "--from"), _date(end, "--to"), every)  # type: ignore[arg-type]
    pol = load_policy(policy)
    settings = get_settings()
    engine = None
    if publish:
        engine = make_engine(settings.state_url)
        upgrade(engine)
    runs = out or (layout.runs_dir(settings.home) if publish else settings.home / "backfill")
    order = [lv.code for lv in pol.tiers.levels]
    _out.print(f"backfill of {pol.name}: {len(dates)} dates, {dates[0]} … {dates[-1]}")
    backfill(
        pol, dates, lake=lake or settings.lake_dir, runs=runs, engine=engine, publish=publish,
        policy_dir=policy.parent, on_step=lambda s: _show(s, order),
    )  # fmt: skip
