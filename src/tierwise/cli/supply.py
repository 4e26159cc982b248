"""``tierwise supply``: demand forecasts by tier, the day's replenishment proposal and the
allocation of short stock (R-OPS-9, docs/supply.md). Thin commands over
:mod:`tierwise.ops.supply`; the forecasting libraries load only when a command forecasts."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from tierwise.cli.common import actor, parse_date, store_engine, utcnow
from tierwise.cli.main import app
from tierwise.errors import UsageError
from tierwise.ops.supply import service
from tierwise.ops.supply.policy import load_supply_policy
from tierwise.settings import get_settings

supply_app = typer.Typer(
    help="Supply chain by tier (R-OPS-9): forecasts, replenishment proposal, allocation.",
    no_args_is_help=True,
)
app.add_typer(supply_app, name="supply")
_out = Console(highlight=False)
PolicyOpt = Annotated[
    Path | None,
    typer.Option("--policy", help="Supply policy YAML (default: policies/operations/supply.yaml)."),
]
LakeOpt = Annotated[
    Path | None, typer.Option("--lake", help="The lake (default: the settings' lake).")
]
AsOf = Annotated[str, typer.Option("--as-of", help="The day planned (YYYY-MM-DD).")]
TopOpt = Annotated[
    int | None, typer.Option("--top-skus", help="Forecast the N best-selling SKUs (0 = all).")
]


def _policy(path: Path | None, top: int | None) -> object:
    pol = load_supply_policy(path)
    if top is not None:
        pol = pol.model_copy(update={"forecast": pol.forecast.model_copy(update={"top_skus": top})})
    return pol


@supply_app.command("plan")
def plan_command(
    as_of: AsOf,
    lake: LakeOpt = None,
    policy: PolicyOpt = None,
    top_skus: TopOpt = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write the proposal to this .csv or .xlsx.")
    ] = None,
    tiers: Annotated[
        str,
        typer.Option(
            help="Held tiers from the lake's benefit grants (lake) or the store's tier history "
            "(store)."
        ),
    ] = "lake",
) -> None:
    """Forecast demand by tier, size the levels, propose the day's purchase orders, allocate
    the day's order lines, and keep the run in the store."""
    from tierwise.ops.supply.policy import SupplyPolicy

    day = parse_date(as_of)
    assert day is not None
    pol = _policy(policy, top_skus)
    assert isinstance(pol, SupplyPolicy)
    if tiers not in ("lake", "store"):
        raise UsageError(f"--tiers {tiers!r}", hint="lake or store")
    frames = service.read_lake(lake or get_settings().lake_dir)
    engine = store_engine()
    held = service.held_tiers_from_store(engine) if tiers == "store" else None
    with _out.status("forecasting (statsforecast, LightGBM, MinT) …"):
        run_id, plan, alloc = service.run_plan(
            engine, frames, pol, as_of=day, actor=actor(), now=utcnow(), held=held
        )
    _out.print(
        f"supply run {run_id} ({day}): {plan.demand['sku'].nunique()} SKUs, "
        f"{len(plan.levels)} SKU × warehouse levels, {len(plan.proposal)} order lines in "
        f"{plan.proposal['po_id'].nunique() if len(plan.proposal) else 0} purchase orders, "
        f"{len(alloc)} order lines allocated ({int((alloc['short'] > 1e-9).sum()) if len(alloc) else 0} short)"
    )
    for frame, what in ((plan.flagged, "left out"), (plan.quarantine, "quarantined")):
        for r in frame.head(10).itertuples():
            _out.print(f"{what}: {r.sku} @ {r.warehouse_id}: {r.reason}")
    if out is not None:
        _out.print(f"proposal written to {service.write_proposal(plan.proposal, out)}")


@supply_app.command("backtest")
def backtest_command(
    as_of: AsOf,
    lake: LakeOpt = None,
    policy: PolicyOpt = None,
    top_skus: TopOpt = None,
    horizon: Annotated[int, typer.Option(help="Weeks ahead.")] = 4,
    origins: Annotated[int, typer.Option(help="Rolling origins, 4 weeks apart.")] = 3,
) -> None:
    """WRMSSE and MASE per level of the reconciled ensemble vs bottom-up AutoETS."""
    from tierwise.ops.supply.backtest import backtest
    from tierwise.ops.supply.forecast import BASELINE, RECONCILED
    from tierwise.ops.supply.policy import SupplyPolicy
    from tierwise.ops.supply.series import held_tiers_from_grants, weekly_demand
    from tierwise.ops.supply.series import top_skus as best

    day = parse_date(as_of)
    assert day is not None
    pol = _policy(policy, top_skus)
    assert isinstance(pol, SupplyPolicy)
    f = service.read_lake(lake or get_settings().lake_dir)
    n = pol.forecast.top_skus
    demand = weekly_demand(
        f["order_lines"], f["orders"], f["customers"], held_tiers_from_grants(f["benefit_grants"]),
        as_of=day, weeks=pol.forecast.history_weeks, default_tier=pol.default_tier,
        skus=best(f["order_lines"], n) if n else None,
    )  # fmt: skip
    with _out.status("backtesting …"):
        bt = backtest(
            demand,
            h=horizon,
            origins=origins,
            min_train_weeks=min(26, len(demand["ds"].unique()) // 2),
        )
    t = Table("level", "WRMSSE bottom-up AutoETS", "WRMSSE ensemble + MinT", "MASE BU", "MASE MinT")
    tab = bt.table
    for level in tab["level"].unique():
        g = tab[tab["level"] == level].set_index("model")
        t.add_row(
            level, f"{g.at[BASELINE, 'wrmsse']:.3f}", f"{g.at[RECONCILED, 'wrmsse']:.3f}",
            f"{g.at[BASELINE, 'mase']:.3f}", f"{g.at[RECONCILED, 'mase']:.3f}",
        )  # fmt: skip
    _out.print(t)
    _out.print(f"WRMSSE {bt.gain:+.1%} lower than bottom-up AutoETS (goal: at least 10 %)")


@supply_app.command("runs")
def runs_command() -> None:
    """The latest supply runs."""
    df = service.runs(store_engine())
    if df.empty:
        _out.print("no supply runs yet (tierwise supply plan --as-of …)")
        return
    t = Table("run", "as of", "policy", "SKUs", "order lines", "amount (yuan)", "by")
    for r in df.to_dict("records"):
        t.add_row(str(r["run_id"]), str(r["as_of"]), str(r["policy"]), str(r["skus"]),
                  str(r["order_lines"]), f"{float(r['amount']):,.2f}", str(r["created_by"]))  # fmt: skip
    _out.print(t)


@supply_app.command("show")
def show_command(
    run: Annotated[int, typer.Argument(help="Run id (see `tierwise supply runs`).")],
    table: Annotated[
        str, typer.Option(help="proposal, levels, allocations, forecasts or exclusions.")
    ] = "proposal",
    out: Annotated[
        Path | None, typer.Option("--out", help="Write it to this .csv / .xlsx.")
    ] = None,
    limit: Annotated[int, typer.Option(help="Rows shown.")] = 30,
) -> None:
    """One table of a kept run (the proposal by default)."""
    df = service.run_table(store_engine(), run, table)
    if out is not None:
        _out.print(f"written to {service.write_proposal(df, out)}")
        return
    t = Table(*map(str, df.columns))
    for r in df.head(limit).itertuples(index=False):
        t.add_row(*(str(v) for v in r))
    _out.print(t)
    if len(df) > limit:
        _out.print(f"… {len(df) - limit} more rows (--limit, --out)")
