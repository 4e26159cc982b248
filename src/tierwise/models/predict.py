"""Per-customer predictions of the fitted models as of a date, one table for grading.

The output has an ``entity_id`` column (the customer id), so a policy's ``model`` score
(``score: {method: model, column: ..., path: ...}``) can read it, and the churn-warning tag
(流失预警, R-GRD-6) can be set from ``churn_warning``.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import duckdb
import pandas as pd

from tierwise.models.churn import ChurnModel, churn_warning
from tierwise.models.clv import ClvModel
from tierwise.models.pit_features import point_in_time_features
from tierwise.models.rfm import rfm_summary
from tierwise.models.value import ValueModel
from tierwise.models.weights import RankWeights


def predict_customers(
    orders: Any,
    as_of: date,
    *,
    clv: ClvModel | None = None,
    churn: ChurnModel | None = None,
    value: ValueModel | None = None,
    weights: RankWeights | None = None,
    horizon_days: float = 365.0,
    churn_threshold: float = 0.5,
    con: duckdb.DuckDBPyConnection | None = None,
    summary: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Predictions of every given model for the customers known as of ``as_of``.

    Parameters
    ----------
    orders
        Canonical orders (DuckDB relation, Arrow table or DataFrame).
    as_of
        Grading date: only orders on or before it are read.
    clv, churn, value, weights
        Fitted models; the columns of a model not given are left out.
    horizon_days
        Horizon of the CLV expectations.
    churn_threshold
        Calibrated churn probability from which ``churn_warning`` is set.
    con
        DuckDB connection.
    summary
        The RFM summary of ``orders`` up to ``as_of`` in ``clv``'s time unit, when the caller
        has it (:func:`tierwise.models.rfm.rfm_summary`); computed here otherwise.

    Returns
    -------
    pandas.DataFrame
        One row per customer with an order on or before ``as_of``: ``entity_id`` and, per
        model, ``p_alive``, ``expected_orders``, ``expected_order_value``, ``expected_spend``
        (CLV), ``churn_probability``, ``churn_warning``, ``predicted_spend`` (value model),
        ``learned_score``. Churn, value and learned-weight columns are empty for customers
        without an order in the last 120 days (they are churned already).
    """
    con = con if con is not None else duckdb.connect()
    out = pd.DataFrame(index=pd.Index([], name="customer_id"))
    if clv is not None:
        if summary is None:
            summary = rfm_summary(orders, as_of, unit_days=float(clv.unit_days), con=con)
        out = clv.predict_frame(summary, horizon_days=horizon_days)
    if churn is not None or value is not None or weights is not None:
        feats = point_in_time_features(orders, as_of, con=con)
        parts = []
        if churn is not None:
            parts.append(churn_warning(churn, feats, churn_threshold))
        if value is not None:
            parts.append(pd.DataFrame({"predicted_spend": value.predict(feats)}, feats.index))
        if weights is not None:
            parts.append(pd.DataFrame({"learned_score": weights.score(feats)}, feats.index))
        out = out.join(pd.concat(parts, axis=1), how="outer")
    out.index.name = "customer_id"
    return out.reset_index().rename(columns={"customer_id": "entity_id"})
