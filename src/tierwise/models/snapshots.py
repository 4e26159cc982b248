"""Training snapshots: features as of past cut dates, labels from the window after each cut.

For each cut date c the features come from orders dated ≤ c only
(:func:`tierwise.models.pit_features.point_in_time_features`) and the labels from orders dated
in (c, c + window]:

* ``churned``: 1 when the customer placed no order in the churn window (default 60 days);
* ``future_spend``: spend in the value window (default 90 days).

Stacking several cut dates gives the models many seasons (including past 春节 closures) to
learn from. Every window must end on or before ``as_of``, the last day of known data.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

import duckdb
import pandas as pd

from tierwise.errors import UsageError
from tierwise.models.pit_features import point_in_time_features
from tierwise.models.rfm import as_relation, require_columns

LABEL_COLUMNS = ("churned", "future_spend")


def training_cut_dates(
    as_of: date, *, horizon_days: int, n_cuts: int, every_days: int = 14
) -> list[date]:
    """``n_cuts`` cut dates, ``every_days`` apart, the latest ``horizon_days`` before ``as_of``."""
    if n_cuts < 1 or every_days < 1 or horizon_days < 1:
        raise UsageError("n_cuts, every_days and horizon_days must be at least 1")
    last = as_of - timedelta(days=horizon_days)
    return sorted(last - timedelta(days=every_days * k) for k in range(n_cuts))


def labels_after(
    orders: Any,
    cut: date,
    *,
    churn_window_days: int,
    value_window_days: int,
    con: duckdb.DuckDBPyConnection,
) -> pd.DataFrame:
    """Orders and spend of each customer in the windows after ``cut`` (customers with any)."""
    rel = as_relation(orders, con)
    end = cut + timedelta(days=max(churn_window_days, value_window_days))
    churn_end = cut + timedelta(days=churn_window_days)
    value_end = cut + timedelta(days=value_window_days)
    sql = f"""
        SELECT customer_id,
               COUNT(*) FILTER (WHERE CAST(order_time AS DATE) <= DATE '{churn_end}')
                   AS orders_in_churn_window,
               COALESCE(SUM(CAST(amount AS DOUBLE))
                   FILTER (WHERE CAST(order_time AS DATE) <= DATE '{value_end}'), 0)
                   AS future_spend
        FROM orders_in
        WHERE CAST(order_time AS DATE) > DATE '{cut}' AND CAST(order_time AS DATE) <= DATE '{end}'
        GROUP BY customer_id
    """
    return rel.query("orders_in", sql).df().set_index("customer_id")


def build_snapshots(
    orders: Any,
    cut_dates: Sequence[date],
    as_of: date,
    *,
    churn_window_days: int = 60,
    value_window_days: int = 90,
    active_days: int = 120,
    con: duckdb.DuckDBPyConnection | None = None,
) -> pd.DataFrame:
    """Stacked (cut date, customer) rows of point-in-time features and next-window labels.

    Parameters
    ----------
    orders
        Canonical orders (DuckDB relation, Arrow table or DataFrame).
    cut_dates
        Dates the features are computed as of.
    as_of
        Last day of known data; every label window must end on or before it.
    churn_window_days, value_window_days
        Lengths of the label windows.
    active_days
        Customers without an order in the ``active_days`` before a cut are left out of it.
    con
        DuckDB connection.

    Returns
    -------
    pandas.DataFrame
        Columns ``cut_date``, ``customer_id``, the feature columns, ``churned`` (0/1) and
        ``future_spend``.
    """
    horizon = max(churn_window_days, value_window_days)
    late = [c for c in cut_dates if c + timedelta(days=horizon) > as_of]
    if late:
        raise UsageError(
            f"cut date {late[-1]} + {horizon} days of labels goes past as_of {as_of}",
            hint=f"use cut dates on or before {as_of - timedelta(days=horizon)}",
        )
    con = con if con is not None else duckdb.connect()
    source = as_relation(orders, con)
    require_columns(source, ("customer_id", "order_time", "amount"), "the orders table")
    # Every cut scans the orders twice: copy the three columns used into a DuckDB table once
    # (three times faster than re-scanning a pandas frame, and Parquet files are read once).
    temp = f"snapshot_orders_{uuid.uuid4().hex}"
    source.select("customer_id, order_time, amount").create(temp)
    try:
        rel = con.table(temp)
        return _stack(rel, cut_dates, churn_window_days, value_window_days, active_days, con)
    finally:
        con.execute(f"DROP TABLE IF EXISTS {temp}")


def _stack(
    rel: duckdb.DuckDBPyRelation,
    cut_dates: Sequence[date],
    churn_window_days: int,
    value_window_days: int,
    active_days: int,
    con: duckdb.DuckDBPyConnection,
) -> pd.DataFrame:
    frames = []
    for cut in sorted(cut_dates):
        feats = point_in_time_features(rel, cut, active_days=active_days, con=con)
        labels = labels_after(
            rel,
            cut,
            churn_window_days=churn_window_days,
            value_window_days=value_window_days,
            con=con,
        )
        joined = feats.join(labels, how="left")
        joined["churned"] = (joined["orders_in_churn_window"].fillna(0) == 0).astype("int8")
        joined["future_spend"] = joined["future_spend"].fillna(0.0)
        joined = joined.drop(columns="orders_in_churn_window").reset_index()
        joined.insert(0, "cut_date", cut)
        frames.append(joined)
    return pd.concat(frames, ignore_index=True)
