"""The CF model on Spark (MLlib ALS) goes through the same backtest as the embedded one
(R-OPS-7; docs/recommendations.md): at small size, it too beats popularity on new items, and
its figures are close to implicit's."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from recommend.synthbook import make_book
from tierwise.recommend.evaluate import backtest, ship_decision
from tierwise.recommend.models import ALS
from tierwise.recommend.spark_als import SparkALS

pytestmark = pytest.mark.slow


def test_spark_als_same_evaluation_as_implicit(spark_con: Any) -> None:
    book, _ = make_book(n_customers=120, days=160)
    spark = spark_con._session
    bt = backtest(book, dt.date(2026, 6, 10), horizon_days=14, models=[SparkALS(spark), ALS()])
    mllib = bt.figure("new", "spark_als")
    local = bt.figure("new", "als")
    for base in ("popularity", "segment_popularity"):
        assert mllib[1] > bt.figure("new", base)[1], (base, mllib)
    assert abs(mllib[0] - local[0]) < 0.2, (mllib, local)
    assert ship_decision(bt).cf_ships
