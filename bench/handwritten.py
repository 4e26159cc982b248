"""The baseline: one hand-written DuckDB SQL query computing the default policy's features.

It computes exactly the features ``policies/kuailv.yaml`` reads, with the same definitions
as :mod:`tierwise.features` (the bench checks both give the same numbers on a small lake).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

D = dt.timedelta


def feature_sql(lake: Path, as_of: dt.date) -> str:
    """The query; one row per customer existing at ``as_of``."""
    asof = f"DATE '{as_of}'"
    end = f"TIMESTAMP '{as_of + D(days=1)} 00:00:00'"
    s365 = f"TIMESTAMP '{as_of - D(days=364)} 00:00:00'"
    s90 = f"TIMESTAMP '{as_of - D(days=89)} 00:00:00'"
    s180 = f"TIMESTAMP '{as_of - D(days=179)} 00:00:00'"
    d365 = f"DATE '{as_of - D(days=364)}'"

    def src(t: str) -> str:
        return f"read_parquet('{lake}/{t}/**/*.parquet')"

    return f"""
WITH c AS (
  SELECT customer_id, account_id, signup_date FROM {src("customers")} WHERE signup_date <= {asof}
), o AS (
  SELECT customer_id, order_id, order_time, CAST(amount AS DOUBLE) AS amt
  FROM {src("orders")} WHERE order_time < {end}
), oa AS (
  SELECT customer_id,
         CAST(max(order_time) AS DATE) AS last_day, CAST(min(order_time) AS DATE) AS first_day,
         count(*) FILTER (WHERE order_time >= {s90}) AS orders_90d,
         count(*) FILTER (WHERE order_time >= {s365}) AS orders_365d,
         sum(amt) FILTER (WHERE order_time >= {s365}) AS spend_365d,
         sum(amt) FILTER (WHERE order_time >= {s90}) AS s90,
         sum(amt) FILTER (WHERE order_time >= {s180} AND order_time < {s90}) AS p90
  FROM o GROUP BY customer_id
), g AS (
  -- sorted order days, repeated days kept: the positive differences are the gaps between
  -- consecutive distinct days (cheaper than a DISTINCT first; the grading does the same)
  SELECT customer_id, median(gap) FILTER (WHERE gap > 0) AS median_order_gap_days FROM (
    SELECT customer_id, CAST(d - lag(d) OVER (PARTITION BY customer_id ORDER BY d) AS DOUBLE) AS gap
    FROM (SELECT customer_id, CAST(order_time AS DATE) AS d FROM o WHERE order_time >= {s365})
  ) GROUP BY customer_id
), la AS (
  SELECT o.customer_id, sum(CAST(l.amount AS DOUBLE)) AS total,
         sum(CAST(l.amount AS DOUBLE)) FILTER (WHERE l.category = '鲜肉') AS meat,
         sum(CAST(l.amount AS DOUBLE)) FILTER (WHERE l.category = '蔬菜') AS veg,
         sum(CAST(l.amount AS DOUBLE)) FILTER (WHERE l.category = '水产') AS sea,
         sum(CAST(l.amount AS DOUBLE)) FILTER (WHERE l.category = '粮油') AS grain
  FROM {src("order_lines")} l JOIN o ON l.order_id = o.order_id
  WHERE o.order_time >= {s365} GROUP BY o.customer_id
), inv AS (
  SELECT i.customer_id, i.issue_date, i.due_date, CAST(i.amount AS DOUBLE) AS amount,
         coalesce(p.paid_total, 0) AS paid_total, coalesce(p.paid_on_time, 0) AS paid_on_time
  FROM {src("invoices")} i LEFT JOIN (
    SELECT p.invoice_id, sum(CAST(p.amount AS DOUBLE)) AS paid_total,
           sum(CAST(p.amount AS DOUBLE)) FILTER (WHERE p.paid_date <= iv.due_date) AS paid_on_time
    FROM {src("payments")} p JOIN {src("invoices")} iv ON p.invoice_id = iv.invoice_id
    WHERE p.paid_date <= {asof} AND iv.issue_date <= {asof} GROUP BY p.invoice_id
  ) p ON i.invoice_id = p.invoice_id
  WHERE i.issue_date <= {asof}
), fa AS (
  SELECT customer_id,
         count(*) FILTER (WHERE due_date <= {asof} AND issue_date >= {d365}) AS due,
         count(*) FILTER (WHERE due_date <= {asof} AND issue_date >= {d365}
                          AND paid_on_time >= amount - 0.005) AS on_time,
         sum(greatest(amount - paid_total, 0)) FILTER (WHERE due_date < {asof}) AS overdue
  FROM inv GROUP BY customer_id
), cr AS (
  SELECT customer_id, legal_disputes FROM (
    SELECT customer_id, legal_disputes,
           row_number() OVER (PARTITION BY customer_id ORDER BY report_date DESC) AS rn
    FROM {src("credit")} WHERE report_date <= {asof}
  ) WHERE rn = 1
)
SELECT c.customer_id AS entity_id, c.account_id,
       date_diff('day', c.signup_date, {asof}) AS tenure_days,
       date_diff('day', oa.last_day, {asof}) AS recency_days,
       date_diff('day', oa.last_day, {asof}) AS days_since_last_order,
       date_diff('day', oa.first_day, {asof}) AS days_since_first_order,
       coalesce(oa.orders_90d, 0) AS orders_90d,
       coalesce(oa.orders_365d, 0) AS orders_365d,
       coalesce(oa.orders_365d, 0) AS orders_lookback,
       coalesce(oa.spend_365d, 0) AS spend_365d,
       CASE WHEN coalesce(oa.s90, 0) + coalesce(oa.p90, 0) > 0
            THEN (coalesce(oa.s90, 0) - coalesce(oa.p90, 0)) / (coalesce(oa.s90, 0) + coalesce(oa.p90, 0))
            ELSE 0 END AS spend_growth,
       g.median_order_gap_days,
       CASE WHEN la.total > 0 THEN coalesce(la.meat, 0) / la.total ELSE 0 END AS share_meat,
       CASE WHEN la.total > 0 THEN coalesce(la.veg, 0) / la.total ELSE 0 END AS share_vegetable,
       CASE WHEN la.total > 0 THEN coalesce(la.sea, 0) / la.total ELSE 0 END AS share_seafood,
       CASE WHEN la.total > 0 THEN coalesce(la.grain, 0) / la.total ELSE 0 END AS share_grain_oil,
       CASE WHEN coalesce(fa.due, 0) > 0 THEN fa.on_time / fa.due ELSE 1.0 END AS on_time_payment_rate,
       coalesce(fa.overdue, 0) AS overdue_amount,
       coalesce(cr.legal_disputes, 0) AS legal_disputes
FROM c
LEFT JOIN oa ON c.customer_id = oa.customer_id
LEFT JOIN g ON c.customer_id = g.customer_id
LEFT JOIN la ON c.customer_id = la.customer_id
LEFT JOIN fa ON c.customer_id = fa.customer_id
LEFT JOIN cr ON c.customer_id = cr.customer_id
"""
