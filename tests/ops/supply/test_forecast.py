"""Forecasts on a tiny generated book (R-OPS-9, issue 27 items 1-2): the libraries' models,
reconciled so every level adds up, and the rolling-origin backtest's table."""

from __future__ import annotations

import numpy as np
import pandas as pd

from tierwise.ops.supply.backtest import MODELS, backtest
from tierwise.ops.supply.forecast import BASELINE, RECONCILED, ForecastConfig, forecast
from tierwise.ops.supply.hierarchy import LEVELS, build

FAST = ForecastConfig(n_estimators=30)


def test_reconciled_forecasts_add_up_at_every_level(demand: pd.DataFrame) -> None:
    y, s, tags = build(demand)
    assert set(tags) == set(LEVELS)
    assert len(tags["total"]) == 1 and len(tags["sku"]) == 3
    fc = forecast(y, s, tags, 4, FAST)
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
