"""``tierwise experiment``, ``pilot``, ``spotcheck``: A/B tests of tier strategies with ROI
(R-ANA-5), city pilots and spot checks (R-GRD-11); docs/experiments.md.

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

from tierwise.cli.checks import print_check
from tierwise.cli.main import app
from tierwise.experiments import service
from tierwise.experiments.design import load_design
from tierwise.experiments.report import result_lines
from tierwise.settings import get_settings
from tierwise.store.db import make_engine
from tierwise.store.migrate import upgrade
from tierwise.tags.targets import AudienceSource

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
        audiences=AudienceSource(get_settings().home, get_settings().runs_dir),
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


pilot_app = typer.Typer(
    help="City pilots (灰度, R-GRD-11) of a policy change.", no_args_is_help=True
)
app.add_typer(pilot_app, name="pilot")
spot_app = typer.Typer(
    help="Manual spot checks (人工抽检, R-GRD-11) of a run's changes.", no_args_is_help=True
)
app.add_typer(spot_app, name="spotcheck")


@pilot_app.command("create")
def pilot_create_command(
    code: Code,
    policy: Annotated[str, typer.Option(help="The policy piloted.")],
    city: Annotated[list[str], typer.Option(help="A pilot city (once or twice).")],
    start: Annotated[str, typer.Option(help="First day, YYYY-MM-DD.")],
    control: Annotated[
        list[str] | None, typer.Option(help="A control city (default: matched by trend).")
    ] = None,
    days: Annotated[int, typer.Option(help="Window and pre-period length.")] = 28,
    lake: LakeOpt = None,
) -> None:
    """Start a pilot in one or two cities; control cities matched by pre-period trend."""
    from tierwise.experiments import pilots

    row = pilots.create(
        engine(),
        lake or get_settings().lake_dir,
        code=code,
        policy=policy,
        pilot_cities=city,
        control_cities=control or None,
        start=dt.date.fromisoformat(start),
        days=days,
        actor=actor(),
        now=now(),
    )
    _out.print(
        f"pilot {code}: {', '.join(row['pilot_cities'])} against {', '.join(row['control_cities'])}"
    )


@pilot_app.command("analyze")
def pilot_analyze_command(
    code: Code,
    lake: LakeOpt = None,
    as_of: Annotated[str | None, typer.Option("--as-of")] = None,
) -> None:
    """Difference in differences (pilot vs control cities) with its placebo check."""
    from tierwise.experiments import pilots

    day = dt.date.fromisoformat(as_of) if as_of else now().date()
    r = pilots.analyse(engine(), code, lake or get_settings().lake_dir, as_of=day)
    e, p = r["effect"], r["placebo"]
    _out.print(
        f"effect {e['effect']:+.2f} yuan net margin per outlet, 95% CI "
        f"[{e['ci_low']:.2f}, {e['ci_high']:.2f}] ({e['pilot_outlets']} pilot, "
        f"{e['control_outlets']} control outlets)"
    )
    _out.print(
        f"placebo {p['effect']:+.2f} [{p['ci_low']:.2f}, {p['ci_high']:.2f}]: "
        + ("passed" if p["passed"] else "FAILED: the cities' trends differed before")
    )


@pilot_app.command("decide")
def pilot_decide_command(
    code: Code,
    decision: Annotated[str, typer.Argument(help="promote or rollback")],
    note: Annotated[str, typer.Option(help="Why (recorded).")],
) -> None:
    """Promote the piloted policy to all cities or roll it back (one audited action)."""
    from tierwise.experiments import pilots

    row = pilots.decide(engine(), code, decision, actor=actor(), now=now(), note=note)
    _out.print(f"pilot {code} is now {row['status']}")


@spot_app.command("open")
def spot_open_command(
    run_id: Annotated[str, typer.Argument(help="The published run to check.")],
    per_stratum: Annotated[int, typer.Option(help="Customers per (direction, tier).")] = 10,
) -> None:
    """Sample a run's changed customers into a review queue."""
    from tierwise.experiments import spotcheck

    c = spotcheck.open_check(engine(), run_id, per_stratum=per_stratum, actor=actor(), now=now())
    _out.print(f"spot check {c['id']} of {run_id}: {c['sampled']} customers to review")


@spot_app.command("show")
def spot_show_command(check_id: Annotated[int, typer.Argument(min=1)]) -> None:
    """The queue of one check and its agreement so far."""
    from tierwise.experiments import spotcheck

    c = spotcheck.get_check(engine(), check_id)
    print_check(_out, c, f"spot check {check_id} of {c['run_id']} ({c['status']})")


@spot_app.command("review")
def spot_review_command(
    item_id: Annotated[int, typer.Argument(min=1)],
    verdict: Annotated[str, typer.Argument(help="agree or disagree")],
    reason: Annotated[str | None, typer.Option(help="Required for disagree.")] = None,
) -> None:
    """Agree or disagree with one sampled customer's new tier."""
    from tierwise.experiments import spotcheck

    c = spotcheck.review(engine(), item_id, verdict, reason=reason, reviewer=actor(), now=now())
    _out.print(f"item {item_id}: {verdict}; check {c['id']} is {c['status']}")


@spot_app.command("agreement")
def spot_agreement_command(
    by: Annotated[str, typer.Option(help="run or policy")] = "run",
) -> None:
    """Agreement per run or per policy, with its 95 % interval."""
    from tierwise.experiments import spotcheck

    for r in spotcheck.agreement_by(engine(), by):
        rate = (
            "—" if r["rate"] is None else f"{r['rate']:.1%} [{r['ci_low']:.1%}, {r['ci_high']:.1%}]"
        )
        _out.print(f"{r[by]}: {rate} of {r['reviewed']}")
