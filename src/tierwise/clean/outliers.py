"""Outlier flags: abnormal refunds and order brushing (刷单) (R-DAT-3).

Flags never delete: each flag is a row naming the flagged entity, its customer, a score and
the reason, and the grading policy decides what flagged rows count for. Both detectors are
queries over the cleaned tables registered in a DuckDB connection (views ``orders``,
``returns``, ``customers`` and ``customer_links``), so they run wherever the lake is.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pyarrow as pa

FLAG_SCHEMA = pa.schema(
    [
        pa.field("flag", pa.string(), nullable=False),
        pa.field("rule", pa.string(), nullable=False),  # which rule of the detector fired
        pa.field("entity", pa.string(), nullable=False),  # table of the flagged row
        pa.field("entity_id", pa.string(), nullable=False),  # its key (return_id, order_id)
        pa.field("customer_id", pa.string(), nullable=False),
        pa.field("event_time", pa.timestamp("us")),
        pa.field("score", pa.float64()),
        pa.field("reason", pa.string(), nullable=False),
    ]
)


@dataclass(frozen=True)
class RefundParams:
    """Abnormal-refund detector: robust z-scores (median and MAD) overall and per customer.

    Parameters
    ----------
    z:
        Robust z-score above which a refund is abnormal (3.5 is Iglewicz and Hoaglin's cut).
    min_returns:
        Fewest refunds a customer needs before its own median/MAD is used.
    spike_ratio, spike_count, spike_days:
        A refund spike: at least ``spike_count`` refunds of at least ``spike_ratio`` of their
        order within ``spike_days`` days.
    """

    z: float = 3.5
    min_returns: int = 4
    spike_ratio: float = 0.8
    spike_count: int = 3
    spike_days: int = 21


@dataclass(frozen=True)
class BrushingParams:
    """Order-brushing detector: bursts of small orders from new or linked accounts.

    Parameters
    ----------
    window_hours:
        Length of the burst window.
    min_orders:
        Small orders of one customer within the window that make a burst for any account.
    min_orders_suspect:
        The same for a new or linked account.
    small_quantile:
        An order is small when its amount is below this quantile of all orders.
    new_days:
        An account is new for this many days after signing up.
    """

    window_hours: int = 24
    min_orders: int = 10
    min_orders_suspect: int = 5
    small_quantile: float = 0.25
    new_days: int = 60


def refund_outliers(
    con: duckdb.DuckDBPyConnection, params: RefundParams = RefundParams()
) -> pa.Table:
    """Abnormal refunds: spikes of near-total refunds, or amounts far above the usual refund.

    A refund is flagged when it belongs to a spike (several orders refunded almost in full
    within a few weeks), when it exceeds its order, or when its robust z-score (median and
    MAD) is above ``z`` both against all refunds and against the customer's own refunds.
    """
    k = 0.6745
    sql = f"""
    WITH r AS (
        SELECT r.return_id, r.customer_id, r.return_time, CAST(r.amount AS DOUBLE) AS amount,
               CAST(o.amount AS DOUBLE) AS order_amount
        FROM returns r LEFT JOIN orders o USING (order_id)
    ),
    g AS (SELECT median(amount) AS med FROM r),
    gm AS (SELECT median(abs(amount - g.med)) AS mad, any_value(g.med) AS med FROM r, g),
    c AS (SELECT customer_id, median(amount) AS med, count(*) AS n FROM r GROUP BY 1),
    cm AS (
        SELECT r.customer_id, median(abs(r.amount - c.med)) AS mad, any_value(c.med) AS med,
               any_value(c.n) AS n
        FROM r JOIN c USING (customer_id) GROUP BY 1
    ),
    sp AS (
        SELECT r.*,
               count(*) FILTER (WHERE amount >= {params.spike_ratio} * order_amount) OVER (
                   PARTITION BY customer_id ORDER BY return_time
                   RANGE BETWEEN INTERVAL {params.spike_days} DAYS PRECEDING
                             AND INTERVAL {params.spike_days} DAYS FOLLOWING
               ) AS near_total
        FROM r
    ),
    s AS (
        SELECT r.*,
               {k} * (r.amount - gm.med) / nullif(gm.mad, 0) AS z_all,
               CASE WHEN cm.n >= {params.min_returns}
                    THEN {k} * (r.amount - cm.med) / nullif(cm.mad, 0) END AS z_cust,
               cm.n
        FROM sp r CROSS JOIN gm JOIN cm USING (customer_id)
    )
    SELECT 'refund_outlier' AS flag,
           CASE WHEN near_total >= {params.spike_count}
                     AND amount >= {params.spike_ratio} * order_amount THEN 'spike'
                WHEN order_amount IS NOT NULL AND amount > order_amount THEN 'above_order'
                ELSE 'robust_z' END AS rule,
           'returns' AS entity, return_id AS entity_id, customer_id,
           CAST(return_time AS TIMESTAMP) AS event_time,
           greatest(coalesce(z_all, 0), coalesce(z_cust, 0)) AS score,
           concat_ws('; ',
             CASE WHEN near_total >= {params.spike_count}
                       AND amount >= {params.spike_ratio} * order_amount
                  THEN printf('spike: %d refunds of at least %.0f%% of their order within %d days',
                              near_total, {params.spike_ratio * 100}, {params.spike_days}) END,
             CASE WHEN order_amount IS NOT NULL AND amount > order_amount
                  THEN printf('refund %.2f above its order %.2f', amount, order_amount) END,
             CASE WHEN z_all > {params.z}
                  THEN printf('robust z %.1f against all refunds', z_all) END,
             CASE WHEN z_cust > {params.z}
                  THEN printf('robust z %.1f against the customer''s %d refunds', z_cust, n) END
           ) AS reason
    FROM s
    WHERE (order_amount IS NOT NULL AND amount > order_amount)
       OR (near_total >= {params.spike_count} AND amount >= {params.spike_ratio} * order_amount)
       OR (z_all > {params.z} AND z_cust > {params.z})
    ORDER BY score DESC
    """
    return con.execute(sql).fetch_arrow_table().cast(FLAG_SCHEMA)


def order_brushing(
    con: duckdb.DuckDBPyConnection, params: BrushingParams = BrushingParams()
) -> pa.Table:
    """Small orders in bursts: many from any account, fewer from a new or linked one.

    A linked account is a merged duplicate, or one sharing its phone with another customer.
    """
    sql = f"""
    WITH small AS (
        SELECT quantile_cont(CAST(amount AS DOUBLE), {params.small_quantile}) AS cut FROM orders
    ),
    linked AS (
        SELECT customer_id FROM customer_links WHERE cluster_size > 1
        UNION
        SELECT customer_id FROM customers
        WHERE phone IN (SELECT phone FROM customers WHERE phone IS NOT NULL
                        GROUP BY phone HAVING count(*) > 1)
    ),
    o AS (
        SELECT o.order_id, o.customer_id, o.order_time, CAST(o.amount AS DOUBLE) AS amount,
               c.signup_date,
               o.customer_id IN (SELECT customer_id FROM linked) AS is_linked
        FROM orders o JOIN customers c USING (customer_id)
    ),
    w AS (
        SELECT o.*,
               count(*) FILTER (WHERE amount <= (SELECT cut FROM small)) OVER (
                   PARTITION BY customer_id ORDER BY order_time
                   RANGE BETWEEN INTERVAL {params.window_hours} HOURS PRECEDING
                             AND INTERVAL {params.window_hours} HOURS FOLLOWING
               ) AS burst,
               datediff('day', signup_date, CAST(order_time AS DATE)) AS age_days
        FROM o
    )
    SELECT 'order_brushing' AS flag,
           CASE WHEN burst >= {params.min_orders} THEN 'burst' ELSE 'burst_new_or_linked' END
               AS rule,
           'orders' AS entity, order_id AS entity_id, customer_id,
           order_time AS event_time, CAST(burst AS DOUBLE) AS score,
           printf('%d small orders within %d h of each other%s', burst, {params.window_hours},
                  CASE WHEN age_days <= {params.new_days}
                       THEN printf('; account %d days old', age_days)
                       WHEN is_linked THEN '; account linked to another' ELSE '' END) AS reason
    FROM w
    WHERE amount <= (SELECT cut FROM small)
      AND (burst >= {params.min_orders}
           OR (burst >= {params.min_orders_suspect}
               AND (age_days <= {params.new_days} OR is_linked)))
    ORDER BY customer_id, order_time
    """
    return con.execute(sql).fetch_arrow_table().cast(FLAG_SCHEMA)
