"""RFM summaries for the CLV models, computed in DuckDB as of a date.

The semantics are those of ``lifetimes.utils.summary_data_from_transaction_data`` with
``freq="D"`` (checked against it in the tests), so figures fitted here can be compared with the
literature and with the reference library:

* orders are bucketed by calendar day; several orders on one day count as one purchase whose
  value is their sum;
* only days on or before ``as_of`` are used;
* ``frequency`` is the number of *repeat* purchase days (purchase days minus one);
* ``recency`` is the time from the first to the last purchase day, ``T`` from the first purchase
  day to ``as_of``, both in units of ``unit_days`` days (7 gives weeks, as in the CDNOW papers);
* ``monetary_value`` is the mean value of the repeat purchase days (the first is left out, as
  the Gamma-Gamma model requires), 0 for customers without repeat purchases.

DuckDB does the aggregation because a distributor's order history (100 M rows) does not fit
comfortably in pandas, and DuckDB scans Parquet, Arrow and pandas inputs alike.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import duckdb
import pandas as pd

from tierwise.errors import DataError, UsageError

SUMMARY_COLUMNS = ("frequency", "recency", "T", "monetary_value")


def as_relation(data: Any, con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyRelation:
    """A DuckDB relation over ``data`` (a relation, an Arrow table or a pandas DataFrame)."""
    if isinstance(data, duckdb.DuckDBPyRelation):
        return data
    if isinstance(data, pd.DataFrame):
        try:
            return con.from_df(data)
        except duckdb.Error:
            # DuckDB cannot scan columns that are negative-stride views (df.iloc[::-1]);
            # a copy lays them out plainly.
            return con.from_df(data.copy())
    try:
        return con.from_arrow(data)
    except Exception as err:  # duckdb raises several types for "not a table"
        raise UsageError(
            f"cannot read a table from {type(data).__name__}",
            hint="pass a DuckDB relation, a pyarrow Table or a pandas DataFrame",
        ) from err


def require_columns(rel: duckdb.DuckDBPyRelation, needed: tuple[str, ...], what: str) -> None:
    """Raise a :class:`DataError` naming the missing and the available columns."""
    missing = [c for c in needed if c not in rel.columns]
    if missing:
        raise DataError(
            f"{what} has no column(s) {', '.join(missing)}",
            hint="available columns are: " + ", ".join(rel.columns),
            missing=missing,
        )


def rfm_summary(
    orders: Any,
    as_of: date | datetime,
    *,
    unit_days: float = 1.0,
    customer_col: str = "customer_id",
    time_col: str = "order_time",
    amount_col: str = "amount",
    con: duckdb.DuckDBPyConnection | None = None,
) -> pd.DataFrame:
    """Per-customer frequency, recency, T and monetary value as of a date.

    Parameters
    ----------
    orders
        Orders: a DuckDB relation (e.g. over the lake's Parquet files), an Arrow table or a
        pandas DataFrame with a customer, a date/timestamp and an amount column.
    as_of
        Last day of the observation period (inclusive); later orders are ignored.
    unit_days
        Length of the time unit of ``recency`` and ``T`` in days (1 days, 7 weeks).
    customer_col, time_col, amount_col
        Column names in ``orders``.
    con
        DuckDB connection to use (an in-memory one if not given).

    Returns
    -------
    pandas.DataFrame
        Indexed by customer id (sorted), columns ``frequency``, ``recency``, ``T`` and
        ``monetary_value`` (floats). Customers whose first order is after ``as_of`` are absent.
    """
    if unit_days <= 0:
        raise UsageError(f"unit_days must be positive, got {unit_days}")
    con = con if con is not None else duckdb.connect()
    rel = as_relation(orders, con)
    require_columns(rel, (customer_col, time_col, amount_col), "the orders table")
    day = date(as_of.year, as_of.month, as_of.day)
    # Identifiers are quoted so Chinese or mixed-case column names work.
    sql = f"""
        WITH days AS (
            SELECT "{customer_col}" AS customer_id,
                   CAST("{time_col}" AS DATE) AS d,
                   SUM(CAST("{amount_col}" AS DOUBLE)) AS v
            FROM orders_in
            WHERE CAST("{time_col}" AS DATE) <= DATE '{day.isoformat()}'
            GROUP BY ALL
        ),
        per AS (
            SELECT customer_id, MIN(d) AS first_d, MAX(d) AS last_d, COUNT(*) AS n_days,
                   SUM(v) AS total, ARG_MIN(v, d) AS first_v
            FROM days GROUP BY customer_id
        )
        SELECT customer_id,
               CAST(n_days - 1 AS DOUBLE) AS frequency,
               date_diff('day', first_d, last_d) / {float(unit_days)!r} AS recency,
               date_diff('day', first_d, DATE '{day.isoformat()}') / {float(unit_days)!r} AS "T",
               CASE WHEN n_days > 1 THEN (total - first_v) / (n_days - 1) ELSE 0.0 END
                   AS monetary_value
        FROM per ORDER BY customer_id
    """
    out = rel.query("orders_in", sql).df()
    return out.set_index("customer_id")
