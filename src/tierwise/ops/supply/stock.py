"""Stock position of each SKU × warehouse at the start of a day (R-OPS-9), from the lake.

``positions`` (grain sku × warehouse_id): count_date (the last count before the day), counted
(on hand at that count), on_hand (the count rolled forward with the receipts and the
shipments — order lines of the warehouse's outlets — of the days after it), on_order (ordered
before the day and not yet received), position = on_hand + on_order.

A count with negative stock cannot be rolled forward: the pair is quarantined (``quarantine``:
sku, warehouse_id, count_date, on_hand, reason) and gets no proposal until a sound count.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from tierwise.ops.supply.series import WAREHOUSE_OF_CITY

KEYS = ["sku", "warehouse_id"]


def _day(s: pd.Series) -> pd.Series:
    return pd.to_datetime(s).dt.normalize().astype("datetime64[ns]")


def stock_positions(
    snapshots: pd.DataFrame,
    receipts: pd.DataFrame,
    purchase_orders: pd.DataFrame,
    lines: pd.DataFrame,
    orders: pd.DataFrame,
    customers: pd.DataFrame,
    *,
    as_of: dt.date,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(positions, quarantine)`` at the start of ``as_of`` (nothing of that day counted)."""
    day = pd.Timestamp(as_of)
    snap = snapshots.assign(count_date=_day(snapshots["snapshot_date"]))
    snap = snap[snap["count_date"] < day]
    last = snap.sort_values("count_date").groupby(KEYS, as_index=False).last()
    bad = last["on_hand"] < 0
    quarantine = last.loc[bad, [*KEYS, "count_date", "on_hand"]].assign(
        reason=lambda q: (
            "negative stock in the count of "
            + q["count_date"].dt.strftime("%Y-%m-%d")
            + ": quarantined until a sound count"
        )
    )
    pos = last.loc[~bad, [*KEYS, "count_date", "on_hand"]].rename(columns={"on_hand": "counted"})

    rec = receipts.assign(d=_day(receipts["received_date"]))
    rec = rec[rec["d"] < day]
    r = rec.merge(pos.loc[:, [*KEYS, "count_date"]], on=KEYS)
    received = r[r["d"] > r["count_date"]].groupby(KEYS)["quantity"].sum().rename("received")

    o = orders.loc[:, ["order_id", "customer_id", "order_time"]].assign(
        d=_day(orders["order_time"])
    )
    o = o[o["d"] < day]
    city = customers.set_index("customer_id")["city"]
    o["warehouse_id"] = o["customer_id"].map(city).map(WAREHOUSE_OF_CITY)
    sh = lines.loc[:, ["order_id", "sku", "quantity"]].merge(o, on="order_id")
    sh = sh.merge(pos.loc[:, [*KEYS, "count_date"]], on=KEYS)
    shipped = sh[sh["d"] > sh["count_date"]].groupby(KEYS)["quantity"].sum().rename("shipped")

    po = purchase_orders[_day(purchase_orders["order_date"]) < day]
    got = rec.groupby("po_id")["quantity"].sum()
    open_qty = (po["quantity"] - po["po_id"].map(got).fillna(0.0)).clip(lower=0.0)
    on_order = po.assign(open=open_qty).groupby(KEYS)["open"].sum().rename("on_order")

    pos = (
        pos.set_index(KEYS)
        .join([received, shipped, on_order])
        .fillna({"received": 0.0, "shipped": 0.0, "on_order": 0.0})
    )
    pos["on_hand"] = pos["counted"] + pos["received"] - pos["shipped"]
    pos["position"] = pos["on_hand"] + pos["on_order"]
    cols = ["count_date", "counted", "on_hand", "on_order", "position"]
    return pos.reset_index().loc[:, [*KEYS, *cols]], quarantine.reset_index(drop=True)
