"""Apply a customer's events since the latest run to that run's features (pure).

The regrade starts from the run's feature row of the customer (as of the run's ``as_of``) and
adds what the events change. Windows are **not** slid forward: an event after ``as_of`` counts
as if it happened on ``as_of`` (recency 0, inside every window), a late event with an older
time counts in the windows its date falls in. The next batch run recomputes every feature
exactly from the lake.

Updated incrementally (when the policy reads them):

- orders: ``orders_30d/90d/365d/lookback``, ``spend_30d/90d/365d/lookback``,
  ``recency_days``, ``days_since_last_order``, ``days_since_first_order``,
  ``orders_per_week/month/quarter``, ``avg_order_value``;
- returns: a return of an order received since the run is netted against that order (a fully
  returned order does not count at all: this is what lets a return undo an upgrade); a return
  of an older order adds to ``return_amount`` and ``return_rate``;
- payments: ``overdue_amount`` goes down by the amount paid (not below 0).

Everything else (repurchase rate, order gaps, category shares, spend growth, margins, service,
credit) keeps the run's value until the next batch run.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

MONTH_DAYS = 30.4375  # as tierwise.features.purchase
MIN_OBSERVED_DAYS = 30

INCREMENTAL = (
    "orders_30d",
    "orders_90d",
    "orders_365d",
    "orders_lookback",
    "spend_30d",
    "spend_90d",
    "spend_365d",
    "spend_lookback",
    "recency_days",
    "days_since_last_order",
    "days_since_first_order",
    "orders_per_week",
    "orders_per_month",
    "orders_per_quarter",
    "avg_order_value",
    "return_amount",
    "return_rate",
    "overdue_amount",
)


@dataclass(frozen=True)
class EventRow:
    """One stored event, as the regrade reads it."""

    key: str
    kind: str  # order | return | payment
    source_id: str
    order_id: str | None
    event_time: dt.datetime
    amount: float


def _num(v: Any) -> float:
    return 0.0 if v is None or (isinstance(v, float) and math.isnan(v)) else float(v)


def net_orders(events: Iterable[EventRow]) -> dict[str, tuple[EventRow, float]]:
    """Orders among ``events`` with their amount net of their returns among ``events``."""
    evs = list(events)
    orders = {e.source_id: e for e in evs if e.kind == "order"}
    returned: dict[str, float] = {}
    for e in evs:
        if e.kind == "return" and e.order_id in orders:
            returned[e.order_id] = returned.get(e.order_id, 0.0) + e.amount
    return {k: (o, o.amount - returned.get(k, 0.0)) for k, o in orders.items()}


def apply_events(
    base: Mapping[str, Any] | None,
    events: Iterable[EventRow],
    *,
    as_of: dt.date,
    lookback_days: int,
    columns: Iterable[str],
) -> dict[str, Any]:
    """The feature row ``base`` (``None``: a customer the run did not know) after ``events``.

    Only ``columns`` are returned (the run's feature columns, without ``entity_id``); columns
    not listed in :data:`INCREMENTAL` keep their value from ``base``.
    """
    cols = list(columns)
    row: dict[str, Any] = {c: (None if base is None else base.get(c)) for c in cols}
    evs = list(events)
    all_orders = net_orders(evs)
    counted = {k: v for k, v in all_orders.items() if v[1] > 0.005}
    windows = {"30d": 30, "90d": 90, "365d": 365, "lookback": lookback_days}
    orders = {w: _num(row.get(f"orders_{w}")) for w in windows}
    spend = {w: _num(row.get(f"spend_{w}")) for w in windows}
    recency = row.get("recency_days", row.get("days_since_last_order"))
    first = row.get("days_since_first_order")
    recency = None if recency is None or _num(recency) != recency else int(recency)
    first = None if first is None or _num(first) != first else int(first)
    for order, amount in counted.values():
        age = max(0, (as_of - order.event_time.date()).days)
        for w, days in windows.items():
            if age < days:
                orders[w] += 1
                spend[w] += amount
        recency = age if recency is None else min(recency, age)
        first = age if first is None else max(first, age)
    returns = _num(row.get("return_amount"))
    for e in evs:
        in_window = max(0, (as_of - e.event_time.date()).days) < lookback_days
        if e.kind == "return" and e.order_id not in all_orders and in_window:
            returns += e.amount
    paid = sum(e.amount for e in evs if e.kind == "payment")

    out: dict[str, Any] = {}
    for w in windows:
        out[f"orders_{w}"] = int(orders[w])
        out[f"spend_{w}"] = round(spend[w], 2)
    out["recency_days"] = out["days_since_last_order"] = recency
    out["days_since_first_order"] = first
    if first is not None:
        observed = max(min(first + 1, lookback_days), MIN_OBSERVED_DAYS)
        per_day = orders["lookback"] / observed
        out["orders_per_week"] = per_day * 7
        out["orders_per_month"] = per_day * MONTH_DAYS
        out["orders_per_quarter"] = per_day * MONTH_DAYS * 3
    n = orders["lookback"]
    out["avg_order_value"] = spend["lookback"] / n if n > 0 else 0.0
    out["return_amount"] = round(returns, 2)
    out["return_rate"] = returns / spend["lookback"] if spend["lookback"] > 0 else 0.0
    if row.get("overdue_amount") is not None or paid:
        out["overdue_amount"] = max(0.0, _num(row.get("overdue_amount")) - paid)
    for c in cols:
        if c in out and (c in INCREMENTAL):
            row[c] = out[c]
    return row
