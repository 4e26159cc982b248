"""Differentiated service: what the API, the console and the CLI call (R-OPS-1).

Each function reads what its decision needs on the caller's connection and the lake, and
returns the pure decision's result (:mod:`tierwise.ops.service.decide`).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Connection

from tierwise.lake import LakeLocation
from tierwise.ops.service import store
from tierwise.ops.service.decide import (
    Breaches,
    DeliveryRow,
    QueueEntry,
    ServiceTerms,
    breaches,
    delivery_list,
    order_queue,
    terms_of,
    terms_reader,
)

KINDS = ("complaint", "inquiry")


def queue(
    conn: Connection, lake: LakeLocation | None, now: dt.datetime, *, kind: str | None = None
) -> list[QueueEntry]:
    """The tickets open at ``now`` (of ``kind``, or all), in the order to handle them."""
    open_ = [t for t in store.tickets(conn, lake, open_at=now) if kind is None or t.kind == kind]
    grants = store.service_grants(conn, sorted({t.customer_id for t in open_}))
    return order_queue(open_, terms_reader(grants), now)


def breach_report(
    conn: Connection,
    lake: LakeLocation | None,
    now: dt.datetime,
    start: dt.date,
    end: dt.date,
    *,
    kind: str | None = None,
) -> Breaches:
    """Response-target breaches per month and tier of the tickets raised in ``[start, end)``
    (of ``kind``, or all), as known at ``now``."""
    since, until = (dt.datetime.combine(d, dt.time()) for d in (start, end))
    found = store.tickets(conn, lake, since=since, until=until)
    rows = [t for t in found if kind is None or t.kind == kind]
    ids = sorted({t.customer_id for t in rows})
    grants = store.service_grants(conn, ids)
    return breaches(
        rows, terms_reader(grants), now, store.tiers_of(conn, ids), store.tier_order(conn)
    )


def deliveries(conn: Connection, lake: LakeLocation | None, day: dt.date) -> list[DeliveryRow]:
    """The warehouse's delivery-priority list of ``day`` (customers with orders that day)."""
    orders = store.day_orders(lake, day)
    ids = sorted(o.customer_id for o in orders)
    order = store.tier_order(conn)

    def rank(tier: str | None) -> int:
        return order.index(tier) if tier in order else len(order)

    grants = store.service_grants(conn, ids)
    return delivery_list(orders, terms_reader(grants), day, store.tiers_of(conn, ids), rank)


def service_level(conn: Connection, customer_id: str, day: dt.date) -> ServiceTerms:
    """The customer's service terms on ``day`` (the caller checked the customer exists)."""
    return terms_of(store.service_grants(conn, [customer_id]).get(customer_id, ()), day)
