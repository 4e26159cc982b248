"""Forecasts on a tiny generated book (R-OPS-9, issue 27 items 1-2): the libraries' models,
reconciled so every level adds up, and the rolling-origin backtest's table."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from tierwise.ops.supply.backtest import MODELS, backtest
from tierwise.ops.supply.forecast import BASELINE, RECONCILED, ForecastConfig, forecast
from tierwise.ops.supply.hierarchy import LEVELS, build
from tierwise.ops.supply.plan import LAKE_TABLES, make_plan
from tierwise.ops.supply.policy import load_supply_policy
from tierwise.ops.supply.series import top_skus

from .conftest import END, read

FAST = ForecastConfig(n_estimators=30)
POLICY = load_supply_policy()


def test_reconciled_forecasts_add_up_at_every_level(demand: pd.DataFrame) -> None:
    y, s, tags = build(demand)
    assert set(tags) == set(LEVELS)
    assert len(tags["total"]) == 1 and len(tags["sku"]) == 3
    result = forecast(y, s, tags, 4, FAST)
    fc = result.frame
    assert (result.sigma >= 0).all() and set(result.sigma.index) == set(y["unique_id"])
    assert len(fc) == 4 * y["unique_id"].nunique()
    bottom = fc[fc["unique_id"].isin(tags["sku_warehouse_tier"])]
    total = fc[fc["unique_id"].isin(tags["total"])].set_index("ds")
    for col in (BASELINE, RECONCILED):
        assert (fc[col] >= 0).all()
        summed = bottom.groupby("ds")[col].sum()
        # MinT adds up exactly; the floor at 0 may only lower the bottom's sum
        assert np.allclose(summed, total[col], rtol=0.02), col
        per_tier = fc[fc["unique_id"].isin(tags["tier"])].groupby("ds")[col].sum()
        assert np.allclose(per_tier, total[col], rtol=0.02), col


def test_the_backtest_scores_every_model_at_every_level(demand: pd.DataFrame) -> None:
    b = backtest(demand, h=4, origins=1, min_train_weeks=20, cfg=FAST)
    t = b.table
    assert set(t["model"]) == set(MODELS)
    assert set(t["level"]) == {*LEVELS, "overall"}
    assert np.isfinite(t["wrmsse"]).all() and (t["wrmsse"] > 0).all()
    assert b.origins == [demand["ds"].max() - pd.Timedelta(weeks=3)]
    assert np.isfinite(b.gain)


def test_the_day_s_plan_on_the_book(supply_book: Path) -> None:
    lake = {t: read(supply_book, t) for t in LAKE_TABLES}
    # a SKU of the plan loses its lead time: flagged, and no proposal line for it
    best = top_skus(lake["order_lines"], 3)
    prod = lake["products"]
    lake["products"] = prod.assign(
        lead_time_days=prod["lead_time_days"].where(prod["sku"] != best[0], None)
    )
    policy = POLICY.model_copy(
        update={"forecast": POLICY.forecast.model_copy(update={"top_skus": 3, "history_weeks": 30})}
    )
    plan = make_plan(lake, policy, as_of=END, cfg=FAST)
    assert set(plan.flagged["sku"]) == {best[0]}
    assert set(plan.levels["sku"]) == set(best[1:])
    assert best[0] not in set(plan.proposal["sku"])
    assert (plan.levels["order_up_to"] >= plan.levels["reorder_point"]).all()
    assert set(plan.levels["binding_tier"]) <= set(POLICY.tiers)
    # every proposal line is below its reorder point and brings it up to the level
    m = plan.proposal.merge(plan.levels, on=["sku", "warehouse_id"]).merge(
        plan.positions, on=["sku", "warehouse_id"]
    )
    assert (m["position"] <= m["reorder_point"]).all()
    assert (m["position"] + m["quantity"] >= m["order_up_to"] - 1e-9).all()
