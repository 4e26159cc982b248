"""One prediction table per grading date, with the entity_id a model-score policy reads."""

from __future__ import annotations

import pandas as pd
from cny_history import CUT_IN_CLOSURE, CnyHistory

from tierwise.models.churn import ChurnModel
from tierwise.models.clv import ClvModel
from tierwise.models.predict import predict_customers
from tierwise.models.rfm import rfm_summary


def test_models_are_joined_per_customer(
    cny_history: CnyHistory, cny_snapshots: pd.DataFrame
) -> None:
    orders = cny_history.orders
    clv = ClvModel(unit_days=7).fit(rfm_summary(orders, CUT_IN_CLOSURE, unit_days=7))
    churn = ChurnModel(max_iter=50).fit(cny_snapshots, cny_snapshots["churned"])
    pred = predict_customers(orders, CUT_IN_CLOSURE, clv=clv, churn=churn, horizon_days=90)
    assert pred["entity_id"].is_unique
    everyone = orders.loc[orders["order_time"].dt.date <= CUT_IN_CLOSURE, "customer_id"].nunique()
    assert len(pred) == everyone
    kind = pred["entity_id"].map(cny_history.kind)
    weekly = pred[kind == "weekly"]
    # Both models agree the weekly buyers pausing for the festival are alive and staying.
    assert weekly["p_alive"].mean() > 0.9
    assert not weekly["churn_warning"].astype(bool).any()
    assert "predicted_spend" not in pred
