"""statsforecast's distributed backend (fugue on Spark) gives the forecast the local run
gives, at small size (R-OPS-9, issue 27: beyond one machine)."""

from __future__ import annotations

import pandas as pd
import pytest

from tierwise.engines.spark import spark_session
from tierwise.ops.supply.forecast import ForecastConfig, distributed_stat_forecasts, stat_forecasts
from tierwise.ops.supply.hierarchy import build


@pytest.mark.slow
def test_the_spark_forecast_equals_the_local_one(demand: pd.DataFrame) -> None:
    y, _, _ = build(demand[demand["sku"] == demand["sku"].iloc[0]])
    y = y.loc[:, ["unique_id", "ds", "y"]]
    cfg = ForecastConfig()
    spark = spark_session("local[2]")
    # plain Python strings for Spark (pandas 3's Arrow-backed strings do not convert)
    rows = y.astype({"unique_id": object})
    got = distributed_stat_forecasts(spark.createDataFrame(rows), 4, cfg)
    local, _ = stat_forecasts(y, 4, cfg)
    m = got.merge(local, on=["unique_id", "ds"], suffixes=("_spark", ""))
    assert len(m) == len(local) == 4 * y["unique_id"].nunique()
    for model in ("AutoETS", "AutoTheta", "TSB"):
        assert (m[f"{model}_spark"] - m[model]).abs().max() < 1e-3 * (1 + m[model].abs().max())
