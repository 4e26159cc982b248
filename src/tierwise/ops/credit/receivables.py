"""Receivables of each customer as of a date, from the lake's invoices and payments.

Per customer: ``unsettled`` (billed, not yet paid), ``overdue_amount`` (past its due date),
the overdue ageing buckets 1–30 / 31–60 / 61–90 / over 90 days past due, the oldest unpaid
bill's days past due, and ``prepaid_balance`` (paid beyond what was billed). Only rows on or
before ``as_of`` count. DuckDB does the grouping: one scan of each table.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from tierwise.features.sources import connect, open_lake
from tierwise.lake import LakeLocation

COLUMNS = (
    "customer_id", "billed", "paid", "unsettled", "prepaid_balance", "overdue_amount",
    "overdue_1_30", "overdue_31_60", "overdue_61_90", "overdue_over_90", "max_days_overdue",
)  # fmt: skip


def receivables(lake: LakeLocation, as_of: dt.date) -> pd.DataFrame:
    """One row per customer with an invoice or a payment on or before ``as_of`` (yuan)."""
    con = connect()
    tables = open_lake(con, lake, ("invoices", "payments"))
    d = as_of.isoformat()
    inv = tables["invoices"]
    pay = tables["payments"]
    inv_f = inv.filter(inv.issue_date <= as_of)
    inv_f = inv_f.select("invoice_id", "customer_id", "due_date", "amount")
    pay_f = pay.filter(pay.paid_date <= as_of).select("invoice_id", "customer_id", "amount")
    sql = f"""
    WITH inv AS ({con.compile(inv_f)}),
         pay AS ({con.compile(pay_f)}),
         per_inv AS (
           SELECT i.customer_id, i.amount::DOUBLE AS amount, i.due_date,
                  greatest(i.amount::DOUBLE - coalesce(p.paid, 0), 0) AS open,
                  date_diff('day', i.due_date, DATE '{d}') AS late
           FROM inv i LEFT JOIN (SELECT invoice_id, sum(amount::DOUBLE) AS paid
                                 FROM pay GROUP BY invoice_id) p USING (invoice_id)),
         by_inv AS (
           SELECT customer_id, sum(amount) AS billed,
             sum(open) AS unsettled,
             sum(open) FILTER (WHERE late > 0) AS overdue_amount,
             sum(open) FILTER (WHERE late BETWEEN 1 AND 30) AS overdue_1_30,
             sum(open) FILTER (WHERE late BETWEEN 31 AND 60) AS overdue_31_60,
             sum(open) FILTER (WHERE late BETWEEN 61 AND 90) AS overdue_61_90,
             sum(open) FILTER (WHERE late > 90) AS overdue_over_90,
             max(late) FILTER (WHERE open > 0.005) AS max_days_overdue
           FROM per_inv GROUP BY customer_id),
         by_pay AS (SELECT customer_id, sum(amount::DOUBLE) AS paid FROM pay GROUP BY customer_id)
    SELECT coalesce(b.customer_id, p.customer_id) AS customer_id,
           coalesce(billed, 0) AS billed, coalesce(paid, 0) AS paid,
           coalesce(unsettled, 0) AS unsettled,
           greatest(coalesce(paid, 0) - coalesce(billed, 0), 0) AS prepaid_balance,
           coalesce(overdue_amount, 0) AS overdue_amount,
           coalesce(overdue_1_30, 0) AS overdue_1_30, coalesce(overdue_31_60, 0) AS overdue_31_60,
           coalesce(overdue_61_90, 0) AS overdue_61_90,
           coalesce(overdue_over_90, 0) AS overdue_over_90,
           greatest(coalesce(max_days_overdue, 0), 0)::BIGINT AS max_days_overdue
    FROM by_inv b FULL JOIN by_pay p USING (customer_id)
    ORDER BY customer_id
    """
    con.raw_sql("SET enable_progress_bar = false")
    out: pd.DataFrame = con.raw_sql(sql).df()
    money = [c for c in COLUMNS if c not in ("customer_id", "max_days_overdue")]
    out[money] = out[money].round(2)
    return out.loc[:, list(COLUMNS)]
