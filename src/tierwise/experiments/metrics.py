"""Per-outlet outcome metrics over a window, read from the lake (Ibis on DuckDB).

One row per outlet that had anything in the window; outlets without rows get zeros when the
analysis joins its members. Returns, complaints and overdue invoices are the guardrails;
gross margin (line amount minus line cost) minus refunds is the base of the primary metric,
from which the analysis subtracts the treatment's rebates and coupons (``net_margin``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import ibis
import ibis.expr.types as ir
import pandas as pd

from tierwise.features.sources import connect, open_lake
from tierwise.lake import LakeLocation, has_table

COLUMNS = ("spend", "orders", "margin", "returns", "complaints", "overdue")


def window_metrics(lake: LakeLocation, first: dt.date, last: dt.date) -> pd.DataFrame:
    """Outlet metrics for days ``first`` .. ``last`` (inclusive), indexed by customer_id."""
    names = [
        t
        for t in ("orders", "order_lines", "returns", "tickets", "invoices", "payments")
        if has_table(lake, t)
    ]
    con = connect()
    t = open_lake(con, lake, names)
    inside = _inside(first, last)
    parts: list[ibis.Table] = []
    if "orders" in t:
        o = t["orders"]
        o = o.filter(inside(o.order_time.date()))
        parts.append(
            o.group_by("customer_id").aggregate(
                spend=o.amount.sum().cast("float64"), orders=o.count().cast("float64")
            )
        )
        if "order_lines" in t:
            j = t["order_lines"].join(o.select("order_id", "customer_id"), "order_id")
            parts.append(
                j.group_by("customer_id").aggregate(
                    margin=(j.amount - j.cost).sum().cast("float64")
                )
            )
    if "returns" in t:
        r = t["returns"]
        r = r.filter(inside(r.return_time.date()))
        parts.append(r.group_by("customer_id").aggregate(returns=r.amount.sum().cast("float64")))
    if "tickets" in t:
        k = t["tickets"]
        k = k.filter((k.kind == "complaint") & inside(k.created_time.date()))
        parts.append(k.group_by("customer_id").aggregate(complaints=k.count().cast("float64")))
    if "invoices" in t:
        parts.append(_overdue(t, inside))
    frames: list[pd.DataFrame] = [p.to_pandas().set_index("customer_id") for p in parts]
    out = pd.concat(frames, axis=1) if frames else pd.DataFrame()
    for c in COLUMNS:
        if c not in out.columns:
            out[c] = 0.0
    out.index.name = "customer_id"
    return out[list(COLUMNS)].fillna(0.0)


def _inside(first: dt.date, last: dt.date) -> Callable[[ir.Value], ir.BooleanValue]:
    lo, hi = ibis.literal(first), ibis.literal(last)
    return lambda day: (day >= lo) & (day <= hi)


def _overdue(t: dict[str, ibis.Table], inside: Callable[[ir.Value], ir.BooleanValue]) -> ibis.Table:
    """Amount of invoices due in the window not paid by their due date."""
    inv = t["invoices"]
    inv = inv.filter(inside(inv.due_date))
    if "payments" in t:
        p = t["payments"]
        j = p.join(inv.select("invoice_id", "due_date"), "invoice_id")
        paid = (
            j.filter(j.paid_date <= j.due_date)
            .group_by("invoice_id")
            .aggregate(paid=j.amount.sum().cast("float64"))
        )
        inv = inv.left_join(paid, "invoice_id").select(
            "customer_id", "amount", paid=ibis.coalesce(ibis._.paid, 0.0)
        )
    else:
        inv = inv.mutate(paid=ibis.literal(0.0))
    short = (inv.amount.cast("float64") - inv.paid).clip(lower=0)
    return inv.group_by("customer_id").aggregate(overdue=short.sum())
