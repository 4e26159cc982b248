"""``tierwise experiment``: A/B tests of tier strategies with ROI (R-ANA-5, docs/experiments.md).

The operator's tool: it records changes as ``cli:<login name>``. Every command calls the
same functions as the API (:mod:`tierwise.experiments.service`).
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine

from tierwise.cli.main import app
from tierwise.experiments import service
from tierwise.experiments.design import load_design
from tierwise.experiments.report import result_lines
from tierwise.settings import get_settings
from tierwise.store.db import make_engine
from tierwise.store.migrate import upgrade

experiment_app = typer.Typer(
    help="A/B tests of tier strategies (R-ANA-5): design, start, analyse, export.",
    no_args_is_help=True,
)
app.add_typer(experiment_app, name="experiment")
_out = Console(highlight=False)
LakeOpt = Annotated[Path | None, typer.Option(help="Lake folder (default: $TIERWISE_HOME/lake).")]
Code = Annotated[str, typer.Argument(help="The experiment's code.")]


def engine() -> Engine:
    e = make_engine(get_settings().state_url)
    upgrade(e)
    return e


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no login name (some containers)
        return "cli"


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2, default=str)


@experiment_app.command("create")
def create_command(
    design: Annotated[Path, typer.Argument(help="The design as YAML (docs/experiments.md).")],
) -> None:
    """Save an experiment's design as a draft (validated; every error at once)."""
    row = service.create(engine(), load_design(design), actor=actor(), now=now())
    _out.print(
        f"experiment {row['code']} saved as a draft; start it with "
        f"`tierwise experiment start {row['code']}`"
    )


@experiment_app.command("list")
def list_command() -> None:
    """Every experiment, newest first."""
    rows = service.list_experiments(engine())
    if not rows:
        _out.print("no experiments yet")
        return
    table = Table(title=f"experiments ({len(rows)})")
    for col in ("code", "name", "status", "metric", "layer", "start", "end", "started by"):
        table.add_column(col)
    for r in rows:
        d = r["design"]
        table.add_row(
            r["code"],
            r["name"],
            r["status"],
            r["metric"],
            r["layer"] or "—",
            d["start"],
            d["end"],
            r["started_by"] or "—",
        )
    _out.print(table)


@experiment_app.command("show")
def show_command(code: Code, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """One experiment: design, power check, arms, log."""
    row = service.get(engine(), code)
    if as_json:
        _out.print(_json(row), soft_wrap=True)
        return
    _out.print(f"[bold]{row['code']}[/] {row['name']} — {row['status']}")
    for arm, n in row["arms"].items():
        _out.print(f"  arm {arm}: {n['accounts']} accounts, {n['outlets']} outlets")
    if p := row["power"]:
        _out.print(
            f"  power check: MDE {p['mde']:.2f} yuan/account, with CUPED "
            f"{p['mde_cuped']:.2f} (rho {p['rho']:.2f}); target {p['target_effect']:.2f}"
        )
    if row["forced_reason"]:
        _out.print(f"  started although underpowered: {row['forced_reason']}")
    for e in row["log"]:
        _out.print(f"  {e['at']:%Y-%m-%d %H:%M} {e['actor']} {e['action']}")


@experiment_app.command("start")
def start_command(
    code: Code,
    lake: LakeOpt = None,
    force: Annotated[
        str | None, typer.Option(help="Start although underpowered; the reason is recorded.")
    ] = None,
) -> None:
    """Check the power, fix the assignment (salted hash) and start."""
    row = service.start(
        engine(),
        code,
        lake or get_settings().lake_dir,
        actor=actor(),
        now=now(),
        force_reason=force,
    )
    p = row["power"]
    _out.print(
        f"experiment {code} started: "
        + ", ".join(f"{a} {n['accounts']} accounts" for a, n in row["arms"].items())
    )
    _out.print(
        f"minimum detectable effect {p['mde_cuped']:.2f} yuan per account with CUPED "
        f"({p['mde']:.2f} without)"
    )


@experiment_app.command("stop")
def stop_command(
    code: Code, reason: Annotated[str, typer.Option(help="Why it stops (recorded).")]
) -> None:
    """Stop a running experiment (its assignment stays for the analysis)."""
    service.stop(engine(), code, actor=actor(), now=now(), reason=reason)
    _out.print(f"experiment {code} stopped")


@experiment_app.command("analyze")
def analyze_command(
    code: Code,
    lake: LakeOpt = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Look as of this day (default: today).")
    ] = None,
    lang: Annotated[str, typer.Option(help="zh or en.")] = "zh",
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Effect with CUPED and 95 % interval, always-valid interval, SRM, ROI, guardrails."""
    day = dt.date.fromisoformat(as_of) if as_of else now().date()
    result = service.analyse_experiment(engine(), code, lake or get_settings().lake_dir, as_of=day)
    if as_json:
        _out.print(_json(result), soft_wrap=True)
        return
    for line in result_lines(result, lang):
        _out.print(line, soft_wrap=True)


@experiment_app.command("export")
def export_command(
    code: Code,
    out: Annotated[Path, typer.Option(help="CSV file to write (customer, account, arm).")],
) -> None:
    """Write the fixed assignment for the systems that apply the treatments."""
    members = service.members_of(engine(), code)
    members.to_csv(out, index=False, encoding="utf-8")
    _out.print(f"{len(members)} outlets of {code} written to {out}")
