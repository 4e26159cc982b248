"""Supply forecasts by tier on a generated book (R-OPS-9, issue 27): the rolling-origin
backtest (WRMSSE and MASE per level) of the reconciled ensemble against bottom-up AutoETS,
and the forecast's throughput.

The book: ``TIERWISE_BENCH_SUPPLY_CUSTOMERS`` outlets (default 2 000), 24 months to
2026-10-31, its held tiers from the book's benefit grants (default tier bronze). The
hierarchy is the ``TIERWISE_BENCH_SUPPLY_SKUS`` best-selling SKUs (default 40) × 14
warehouses × 4 tiers: total → category → SKU, by warehouse and tier. Backtest: 52 weeks of
history, 3 origins 4 weeks apart, 4 weeks ahead.

Throughput: one forecast (statsforecast + LightGBM + MinT) of that hierarchy, timed, and the
series per second extrapolated linearly to 1 000 SKUs × 50 regions × 4 tiers (200 000
bottom series). Linear is optimistic for MinT (its covariance grows with the square of the
series): the figure says so.

    flock /work/bench.lock uv run --frozen python -m bench.bench_supply
"""

from __future__ import annotations

import datetime as dt
import os
import time
from pathlib import Path

import pandas as pd

from bench.common import cached_dir, figure, machine_facts, record, source_hash
from tierwise.generate import GenerateConfig, generate
from tierwise.ops.supply.backtest import backtest
from tierwise.ops.supply.forecast import BASELINE, RECONCILED, ForecastConfig, forecast
from tierwise.ops.supply.hierarchy import BOTTOM, build
from tierwise.ops.supply.series import held_tiers_from_grants, top_skus, weekly_demand

END = dt.date(2026, 10, 31)
CUSTOMERS = int(os.environ.get("TIERWISE_BENCH_SUPPLY_CUSTOMERS", "2000"))
SKUS = int(os.environ.get("TIERWISE_BENCH_SUPPLY_SKUS", "40"))
TARGET_BOTTOM = 1000 * 50 * 4


def _book() -> Path:
    key = f"supply-book-{CUSTOMERS}-24m-{source_hash('src/tierwise/generate')}"

    def make(out: Path) -> None:
        generate(GenerateConfig(customers=CUSTOMERS, months=24, seed=0, end_date=END,
                                exports=False), out)  # fmt: skip

    return cached_dir(key, make)


def main() -> None:
    lake = _book() / "lake"
    read = lambda t: pd.read_parquet(lake / t)  # noqa: E731
    lines = read("order_lines")
    demand = weekly_demand(
        lines, read("orders"), read("customers"),
        held_tiers_from_grants(read("benefit_grants")),
        as_of=END, weeks=64, default_tier="bronze", skus=top_skus(lines, SKUS),
    )  # fmt: skip
    cfg = ForecastConfig()
    t0 = time.perf_counter()
    bt = backtest(demand, h=4, origins=3, step=4, min_train_weeks=52, cfg=cfg)
    bt_secs = time.perf_counter() - t0

    y, s, tags = build(demand[demand["ds"] >= demand["ds"].max() - pd.Timedelta(weeks=51)])
    t0 = time.perf_counter()
    forecast(y, s, tags, 4, cfg)
    fc_secs = time.perf_counter() - t0
    n_all, n_bottom = y["unique_id"].nunique(), len(tags[BOTTOM])
    extrapolated_min = fc_secs * TARGET_BOTTOM / n_bottom / 60

    t = bt.table
    piv = t.pivot(index="level", columns="model", values="wrmsse")
    mase = t.pivot(index="level", columns="model", values="mase")
    order = ["total", "category", "tier", "warehouse", "category_tier", "sku", BOTTOM, "overall"]
    rows = "\n".join(
        f"| {lv} | {piv.at[lv, BASELINE]:.3f} | {piv.at[lv, RECONCILED]:.3f} | "
        f"{piv.at[lv, 'Ensemble']:.3f} | {piv.at[lv, 'LightGBM']:.3f} | "
        f"{mase.at[lv, BASELINE]:.3f} | {mase.at[lv, RECONCILED]:.3f} |"
        for lv in order
    )
    gain = bt.gain
    body = f"""## Supply forecasts by tier (`bench/bench_supply.py`, issue 27)

{machine_facts()}

Book: {CUSTOMERS} outlets, 24 months to {END}; the {SKUS} best-selling SKUs × warehouse ×
tier: {n_bottom} bottom series, {n_all} in the hierarchy. Backtest: 3 rolling origins
({", ".join(str(o.date()) for o in bt.origins)}), 4 weeks ahead, 52 weeks of history;
{bt_secs:.0f} s.

| level | WRMSSE bottom-up AutoETS | WRMSSE ensemble + MinT | ensemble (unreconciled) | LightGBM | MASE bottom-up AutoETS | MASE ensemble + MinT |
|---|---|---|---|---|---|---|
{rows}

WRMSSE of the reconciled ensemble vs bottom-up AutoETS: {gain:+.1%} lower (goal: at least
10 % lower) — {"met" if gain >= 0.10 else "**not met**"}.

One forecast of the hierarchy ({n_all} series, 4 weeks): {fc_secs:.1f} s, {n_all / fc_secs:.0f}
series/s. Extrapolated linearly to 1 000 SKUs × 50 regions × 4 tiers ({TARGET_BOTTOM} bottom
series): {extrapolated_min:.0f} min on this machine (goal < 10 min on 2 cores) — not run at
that size; MinT's covariance grows with the square of the series, so the full size needs MinT
per category (not yet).

{figure("supply: WRMSSE of ensemble + MinT vs bottom-up AutoETS", round(1 - gain, 3), "bottom-up AutoETS", "<= 0.90", gain >= 0.10, f"{gain:+.1%} lower")}
{figure("supply: forecast of 200 000 bottom series (extrapolated)", None, "-", "< 10 min", extrapolated_min < 10, f"{extrapolated_min:.0f} min")}
"""
    print(body)
    record("supply", body)


if __name__ == "__main__":
    main()
