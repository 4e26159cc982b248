"""The day's supply plan (R-OPS-9): lake tables + policy + day → forecasts, levels by tier,
stock positions, the replenishment proposal and what was left out, with the reasons. Pure:
the caller reads the lake (:mod:`tierwise.ops.supply.service`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from tierwise.ops.supply.forecast import RECONCILED, ForecastConfig, forecast
from tierwise.ops.supply.hierarchy import BOTTOM, LEVELS, build
from tierwise.ops.supply.policy import SupplyPolicy
from tierwise.ops.supply.replenish import levels, proposal
from tierwise.ops.supply.series import held_tiers_from_grants, top_skus, weekly_demand
from tierwise.ops.supply.stock import stock_positions

LAKE_TABLES = (
    "order_lines", "orders", "customers", "products", "benefit_grants",
    "inventory_snapshots", "receipts", "purchase_orders",
)  # fmt: skip


@dataclass(frozen=True)
class SupplyPlan:
    """``demand``: the weekly history; ``forecasts``: level, unique_id, ds, forecast
    (reconciled) and the base models; ``levels``/``flagged``/``proposal``: see
    :mod:`.replenish`; ``positions``/``quarantine``: see :mod:`.stock`."""

    as_of: dt.date
    demand: pd.DataFrame
    forecasts: pd.DataFrame
    levels: pd.DataFrame
    flagged: pd.DataFrame
    positions: pd.DataFrame
    quarantine: pd.DataFrame
    proposal: pd.DataFrame


def make_plan(
    lake: dict[str, pd.DataFrame],
    policy: SupplyPolicy,
    *,
    as_of: dt.date,
    cfg: ForecastConfig | None = None,
    held: pd.DataFrame | None = None,
) -> SupplyPlan:
    """Forecast, size the levels and propose the day's orders.

    ``held`` (customer_id, tier, valid_from, valid_until) overrides the tiers the lake's
    ``benefit_grants`` show (e.g. the store's tier history)."""
    lines = lake["order_lines"]
    fw = policy.forecast
    skus = top_skus(lines, fw.top_skus) if fw.top_skus else None
    held = held if held is not None else held_tiers_from_grants(lake["benefit_grants"])
    demand = weekly_demand(
        lines, lake["orders"], lake["customers"], held,
        as_of=as_of, weeks=fw.history_weeks, default_tier=policy.default_tier, skus=skus,
    )  # fmt: skip
    y, s, tags = build(demand)
    fc = forecast(y, s, tags, fw.horizon_weeks, cfg or ForecastConfig())
    level = {uid: name for name, ids in tags.items() for uid in ids}
    frame = fc.frame.assign(level=fc.frame["unique_id"].map(level))
    frame = frame.rename(columns={RECONCILED: "forecast"})

    bottom = frame[frame["level"] == BOTTOM]
    mean = bottom.groupby("unique_id")["forecast"].mean().rename("mean_week")
    keys = demand.loc[:, ["category", "sku", "warehouse_id", "tier"]].drop_duplicates()
    keys["unique_id"] = keys[LEVELS[BOTTOM][1:]].astype(str).agg("/".join, axis=1)
    keys["unique_id"] = "total/" + keys["unique_id"]
    td = keys.join(mean, on="unique_id").join(fc.sigma.rename("sigma_week"), on="unique_id")
    td = td.fillna({"mean_week": 0.0, "sigma_week": 0.0})

    lv, flagged = levels(td, lake["products"], policy)
    positions, quarantine = stock_positions(
        lake["inventory_snapshots"], lake["receipts"], lake["purchase_orders"],
        lines, lake["orders"], lake["customers"], as_of=as_of,
    )  # fmt: skip
    prop = proposal(lv, positions, lake["products"], as_of=as_of)
    return SupplyPlan(
        as_of=as_of, demand=demand, forecasts=frame, levels=lv, flagged=flagged,
        positions=positions, quarantine=quarantine, proposal=prop,
    )  # fmt: skip
