"""Point-in-time order features for the churn and value models (R-FEA-8), in DuckDB.

Every feature uses orders dated on or before ``as_of`` only. Besides the usual recency /
frequency / spend windows they carry the customer's own rhythm and season, so that a regular
weekly buyer who pauses for 春节 is not mistaken for a churner:

* ``median_order_gap_days`` and ``recency_gap_ratio`` (days since the last order over the
  customer's own median gap);
* ``order_rate_ratio``: orders in the last 90 days over the customer's own 90-day average of
  the past year (a fading customer drops below 1);
* ``days_since_last_order_excl_cny`` and ``recency_gap_ratio_excl_cny``: the same, not
  counting the days of the usual festival closure (7 days before to 21 days after 春节);
* ``days_from_cny`` (signed days from the nearest Chinese New Year) and, aligned on last
  year's festival, ``cny_pause_last_year_days`` (the longest gap around it) and
  ``orders_same_cny_offset_last_year`` (orders in the 14 days before the same position
  relative to last year's festival: 0 means the same weeks were quiet last year);
* ``orders_next_60d_last_year`` (did the customer order in the 60 days after this date last
  year, 52 weeks back).

Overlap: the canonical feature set (Ibis, ``tierwise.features`` on branch ``grade``) computes
``days_since_last_order``, ``days_since_first_order``, ``orders_30d/90d/365d``,
``spend_30d/90d/365d``, ``avg_order_value``, ``median_order_gap_days`` and ``spend_growth``
under the same names; the seasonal and rhythm features here are new. This module should become
a feature group of that catalog once both are merged.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import duckdb
import pandas as pd

from tierwise.generate.calendar import covered, nearest_cny
from tierwise.models.rfm import as_relation, require_columns

FEATURE_COLUMNS: tuple[str, ...] = (
    "days_since_last_order",
    "days_since_first_order",
    "orders_30d",
    "orders_90d",
    "orders_365d",
    "spend_30d",
    "spend_90d",
    "spend_365d",
    "avg_order_value",
    "spend_growth",
    "orders_growth",
    "median_order_gap_days",
    "mean_order_gap_days",
    "order_gap_cv",
    "max_order_gap_365d",
    "recency_gap_ratio",
    "order_rate_ratio",
    "days_since_last_order_excl_cny",
    "recency_gap_ratio_excl_cny",
    "days_from_cny",
    "cny_pause_last_year_days",
    "orders_same_cny_offset_last_year",
    "orders_next_60d_last_year",
)


#: The usual 春节 closure of restaurants, around the festival's first day.
CLOSURE_BEFORE_DAYS = 7
CLOSURE_AFTER_DAYS = 21


def _lit(d: date) -> str:
    return f"DATE '{d.isoformat()}'"


def point_in_time_features(
    orders: Any,
    as_of: date,
    *,
    active_days: int = 120,
    con: duckdb.DuckDBPyConnection | None = None,
) -> pd.DataFrame:
    """Order features of each customer as of a date, from orders on or before it only.

    Parameters
    ----------
    orders
        Canonical orders (``customer_id``, ``order_time``, ``amount``) as a DuckDB relation,
        Arrow table or pandas DataFrame.
    as_of
        The cut date: orders dated after it are never read.
    active_days
        Only customers with an order in the last ``active_days`` days are returned (older
        ones are churned already, not at risk).
    con
        DuckDB connection (a new in-memory one if not given).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``customer_id`` (sorted), columns :data:`FEATURE_COLUMNS` (floats; NaN where
        a feature is undefined, e.g. a gap with a single order).
    """
    con = con if con is not None else duckdb.connect()
    rel = as_relation(orders, con)
    require_columns(rel, ("customer_id", "order_time", "amount"), "the orders table")
    if covered(as_of):
        cny, cny_prev = nearest_cny(as_of)
        offset_sql = f"{float((as_of - cny).days)!r}"
    else:
        # Outside the festival calendar (e.g. the 1997 CDNOW data): the festival features are
        # empty and the closure adjustment is off (a window in the far past).
        cny, cny_prev = date(1900, 1, 31), date(1899, 2, 10)
        offset_sql = "CAST(NULL AS DOUBLE)"
    closed_from = _lit(cny - timedelta(days=CLOSURE_BEFORE_DAYS))
    closed_to = _lit(cny + timedelta(days=CLOSURE_AFTER_DAYS))
    offset = (as_of - cny).days
    same_point_ly = cny_prev + timedelta(days=offset)
    cut = _lit(as_of)
    sql = f"""
        WITH days AS (
            SELECT customer_id, CAST(order_time AS DATE) AS day,
                   SUM(CAST(amount AS DOUBLE)) AS v, COUNT(*) AS n
            FROM orders_in
            WHERE CAST(order_time AS DATE) <= {cut}
            GROUP BY ALL
        ),
        gaps AS (
            SELECT *, date_diff('day', lag(day) OVER (PARTITION BY customer_id ORDER BY day), day)
                      AS gap
            FROM days
        ),
        agg AS (
            SELECT customer_id,
                MIN(day) AS first_day, MAX(day) AS last_day,
                SUM(n) FILTER (WHERE day > {cut} - 30) AS orders_30d,
                SUM(n) FILTER (WHERE day > {cut} - 90) AS orders_90d,
                SUM(n) FILTER (WHERE day > {cut} - 180 AND day <= {cut} - 90) AS orders_prev_90d,
                SUM(n) FILTER (WHERE day > {cut} - 365) AS orders_365d,
                SUM(v) FILTER (WHERE day > {cut} - 30) AS spend_30d,
                SUM(v) FILTER (WHERE day > {cut} - 90) AS spend_90d,
                SUM(v) FILTER (WHERE day > {cut} - 180 AND day <= {cut} - 90) AS spend_prev_90d,
                SUM(v) FILTER (WHERE day > {cut} - 365) AS spend_365d,
                MEDIAN(gap) FILTER (WHERE day > {cut} - 365) AS median_gap,
                AVG(gap) FILTER (WHERE day > {cut} - 365) AS mean_gap,
                STDDEV_SAMP(gap) FILTER (WHERE day > {cut} - 365) AS sd_gap,
                MAX(gap) FILTER (WHERE day > {cut} - 365) AS max_gap,
                MAX(gap) FILTER (WHERE day BETWEEN {_lit(cny_prev - timedelta(days=14))}
                                            AND {_lit(cny_prev + timedelta(days=42))})
                    AS cny_pause_ly,
                SUM(n) FILTER (WHERE day > {_lit(same_point_ly - timedelta(days=14))}
                                 AND day <= {_lit(same_point_ly)}) AS orders_cny_offset_ly,
                SUM(n) FILTER (WHERE day > {cut} - 364 AND day <= {cut} - 304)
                    AS orders_next_60d_ly
            FROM gaps GROUP BY customer_id
        ),
        rec AS (
            SELECT *,
                date_diff('day', last_day, {cut}) - GREATEST(0, date_diff('day',
                    GREATEST(last_day, {closed_from}), LEAST({cut}, {closed_to}))) AS rec_excl
            FROM agg
        )
        SELECT customer_id,
            CAST(date_diff('day', last_day, {cut}) AS DOUBLE) AS days_since_last_order,
            CAST(date_diff('day', first_day, {cut}) AS DOUBLE) AS days_since_first_order,
            COALESCE(orders_30d, 0)::DOUBLE AS orders_30d,
            COALESCE(orders_90d, 0)::DOUBLE AS orders_90d,
            COALESCE(orders_365d, 0)::DOUBLE AS orders_365d,
            COALESCE(spend_30d, 0) AS spend_30d,
            COALESCE(spend_90d, 0) AS spend_90d,
            COALESCE(spend_365d, 0) AS spend_365d,
            spend_365d / NULLIF(orders_365d, 0) AS avg_order_value,
            (COALESCE(spend_90d, 0) + 1) / (COALESCE(spend_prev_90d, 0) + 1) AS spend_growth,
            (COALESCE(orders_90d, 0) + 1) / (COALESCE(orders_prev_90d, 0) + 1) AS orders_growth,
            median_gap::DOUBLE AS median_order_gap_days,
            mean_gap AS mean_order_gap_days,
            sd_gap / NULLIF(mean_gap, 0) AS order_gap_cv,
            max_gap::DOUBLE AS max_order_gap_365d,
            date_diff('day', last_day, {cut}) / NULLIF(median_gap, 0) AS recency_gap_ratio,
            orders_90d / NULLIF(orders_365d * 90.0 / LEAST(365, GREATEST(90,
                date_diff('day', first_day, {cut}))), 0) AS order_rate_ratio,
            rec_excl::DOUBLE AS days_since_last_order_excl_cny,
            rec_excl / NULLIF(median_gap, 0) AS recency_gap_ratio_excl_cny,
            {offset_sql} AS days_from_cny,
            cny_pause_ly::DOUBLE AS cny_pause_last_year_days,
            CASE WHEN first_day <= {_lit(same_point_ly - timedelta(days=14))}
                 THEN COALESCE(orders_cny_offset_ly, 0)::DOUBLE END
                AS orders_same_cny_offset_last_year,
            CASE WHEN first_day <= {cut} - 364
                 THEN COALESCE(orders_next_60d_ly, 0)::DOUBLE END AS orders_next_60d_last_year
        FROM rec
        WHERE last_day > {cut} - {int(active_days)}
        ORDER BY customer_id
    """
    out = rel.query("orders_in", sql).df().set_index("customer_id")
    if not covered(as_of):
        out[["cny_pause_last_year_days", "orders_same_cny_offset_last_year"]] = float("nan")
    return out
