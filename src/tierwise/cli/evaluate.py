"""``tierwise evaluate``: backtest of the grading scores against next-period spend (R-ANA-7)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import duckdb
import typer
from rich.console import Console
from rich.table import Table

from tierwise.cli.main import app
from tierwise.lake import parquet_glob, require_table
from tierwise.models.backtest import backtest, default_scorers, improvement_over
from tierwise.policy import load_policy
from tierwise.settings import get_settings

_out = Console(highlight=False, width=200)
_METRICS = (
    "spearman",
    "top5_size",
    "top5_precision",
    "top5_recall",
    "top20_size",
    "top20_precision",
    "top20_recall",
    "top20_f1",
    "top20_lift",
)


@app.command("evaluate")
def evaluate_command(
    as_of: Annotated[
        list[datetime],
        typer.Option(
            "--as-of", formats=["%Y-%m-%d"], help="Past grading date (repeat for several)."
        ),
    ],
    lake: Annotated[
        Path | None, typer.Option(help="Lake folder (default: $TIERWISE_HOME/lake).")
    ] = None,
    period_days: Annotated[
        int, typer.Option(help="Next period whose spend is the truth, in days.")
    ] = 90,
    out: Annotated[
        Path | None, typer.Option(help="Also write the per-date results as CSV here.")
    ] = None,
    policy: Annotated[
        Path | None,
        typer.Option(
            help="Policy whose eligibility and tiers every score is graded with "
            "(default: the seed policy, policies/kuailv.yaml)."
        ),
    ] = None,
) -> None:
    """Grade as of past dates with each policy and score it against next-period spend.

    Every policy is graded through the policy engine (seed RFM formula, quantile RFM,
    weighted, learned weights, model scores from CLV and the value model). Its first tier
    (Platinum) and first two tiers (Platinum + Gold) are compared with the top 5 % / 20 % by
    spend in the next --period-days: size, precision, recall, F1, lift; and Spearman of the
    score over all customers known at the date. The last column is the "identification
    accuracy" gain: top-20 % F1 relative to the seed RFM formula (docs/models.md).
    """
    lake = lake if lake is not None else get_settings().lake_dir
    require_table(lake, "orders")
    base = load_policy(policy) if policy is not None else None
    con = duckdb.connect()
    orders = con.read_parquet(parquet_glob(lake, "orders"))
    dates = sorted(d.date() for d in as_of)
    with _out.status(f"replaying {len(dates)} grading date(s)"):
        results = backtest(
            orders,
            dates,
            default_scorers(lake, period_days, base),
            period_days=period_days,
            con=con,
        )
    mean = results.groupby("scorer", sort=False)[list(_METRICS)].mean()
    gain = improvement_over(results, "rfm_seed_formula")
    table = Table("policy", *_METRICS, "top20 F1 vs seed RFM")
    for name in mean.index:
        row = mean.loc[name]
        table.add_row(str(name), *(f"{row[m]:.3f}" for m in _METRICS), f"{gain.loc[name]:+.0%}")
    _out.print(
        f"{len(dates)} date(s) {', '.join(map(str, dates))}; "
        f"{int(results['customers'].mean()):,} customers per date; next {period_days} days"
    )
    _out.print(table)
    if out is not None:
        results.to_csv(out, index=False)
        _out.print(f"wrote {out}")
