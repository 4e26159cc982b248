"""Differentiated service: reading grants, tickets and orders, and storing tickets (R-OPS-1).

Tickets come from the lake's ``tickets`` table and from the CRM through the API
(``service_tickets``); a stored ticket with the id of a lake ticket is its latest state (the
CRM closed it after the lake was loaded). Orders of a day come from the lake's ``orders``.
Every function here does I/O; the decisions are in :mod:`tierwise.ops.service.decide`.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, insert, select, update

from tierwise.errors import ConflictError, NotFoundError
from tierwise.lake import LakeLocation, has_table, parquet_glob
from tierwise.ops.benefits.decide import Grant
from tierwise.ops.benefits.ledger import current_plan
from tierwise.ops.service.decide import SERVICE_KINDS, DayOrders, Ticket
from tierwise.store.schema import BenefitGrant, CustomerProfile, CustomerTier, ServiceTicket

_CHUNK = 5000
_TICKET_COLS = (
    "ticket_id", "customer_id", "created_time", "kind", "severity", "topic", "resolved_time",
    "resolution",
)  # fmt: skip


def _chunks(ids: Sequence[str]) -> Iterable[Sequence[str]]:
    for i in range(0, len(ids), _CHUNK):
        yield ids[i : i + _CHUNK]


def service_grants(conn: Connection, ids: Sequence[str] | None) -> dict[str, list[Grant]]:
    """Every grant (any status: their validity says when they applied) of the service kinds,
    by customer (of ``ids``, or of everybody)."""
    cols = (
        BenefitGrant.customer_id, BenefitGrant.id, BenefitGrant.code, BenefitGrant.kind,
        BenefitGrant.params, BenefitGrant.tier, BenefitGrant.valid_from,
        BenefitGrant.valid_until, BenefitGrant.status,
    )  # fmt: skip
    base = select(*cols).where(BenefitGrant.kind.in_(SERVICE_KINDS))
    stmts = (
        [base]
        if ids is None
        else [base.where(BenefitGrant.customer_id.in_(c)) for c in _chunks(ids)]
    )
    out: dict[str, list[Grant]] = defaultdict(list)
    for stmt in stmts:
        for r in conn.execute(stmt):
            out[r.customer_id].append(
                Grant(r.id, r.code, r.kind, r.params, r.tier, r.valid_from, r.valid_until, r.status)
            )
    return out


def tiers_of(conn: Connection, ids: Sequence[str]) -> dict[str, str | None]:
    """Published tiers by customer."""
    out: dict[str, str | None] = {}
    for c in _chunks(ids):
        q = select(CustomerTier.customer_id, CustomerTier.tier).where(
            CustomerTier.customer_id.in_(c)
        )
        out.update({r.customer_id: r.tier for r in conn.execute(q)})
    return out


def tier_order(conn: Connection) -> tuple[str, ...]:
    """The published plan's tiers from the top down (empty when no plan is saved)."""
    return current_plan(conn).order


def profiles(conn: Connection, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Name, district, address, contact and account manager of customers (for the lists)."""
    p = CustomerProfile
    cols = (p.customer_id, p.name, p.city, p.district, p.address, p.contact_name, p.phone,
            p.account_manager)  # fmt: skip
    out: dict[str, dict[str, Any]] = {}
    for c in _chunks(ids):
        for r in conn.execute(select(*cols).where(p.customer_id.in_(c))).mappings():
            out[r["customer_id"]] = dict(r)
    return out


def _ticket(r: Any) -> Ticket:
    return Ticket(
        str(r[0]), str(r[1]), r[2], str(r[3]), int(r[4]), str(r[5]), r[6],
        None if r[7] is None else str(r[7]),
    )  # fmt: skip


def lake_tickets(
    lake: LakeLocation | None,
    *,
    open_at: dt.datetime | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
) -> list[Ticket]:
    """The lake's tickets: open at ``open_at``, and/or raised in ``[since, until)``."""
    if lake is None or not has_table(lake, "tickets"):
        return []
    import duckdb  # only when the lake is read

    where: list[str] = ["true"]
    args: list[Any] = [parquet_glob(lake, "tickets")]
    if open_at is not None:
        where.append("created_time <= ? AND (resolved_time IS NULL OR resolved_time > ?)")
        args += [open_at, open_at]
    if since is not None:
        where.append("created_time >= ?")
        args.append(since)
    if until is not None:
        where.append("created_time < ?")
        args.append(until)
    con = duckdb.connect()
    try:
        rows = con.execute(
            f"SELECT {', '.join(_TICKET_COLS)} FROM read_parquet(?, hive_partitioning = false) "
            f"WHERE {' AND '.join(where)}",
            args,
        ).fetchall()
    finally:
        con.close()
    return [_ticket(r) for r in rows]


def stored_tickets(conn: Connection, ids: Sequence[str] | None = None) -> dict[str, Ticket]:
    """The API's tickets by ticket id (of ``ids``, or all)."""
    cols = [getattr(ServiceTicket, c) for c in _TICKET_COLS]
    stmts = (
        [select(*cols)]
        if ids is None
        else [select(*cols).where(ServiceTicket.ticket_id.in_(c)) for c in _chunks(ids)]
    )
    return {r[0]: _ticket(r) for s in stmts for r in conn.execute(s)}


def tickets(
    conn: Connection,
    lake: LakeLocation | None,
    *,
    open_at: dt.datetime | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
) -> list[Ticket]:
    """Lake and API tickets (the API's state wins for a ticket in both) that are open at
    ``open_at`` and/or raised in ``[since, until)``."""
    stored = stored_tickets(conn)
    out = [
        t
        for t in lake_tickets(lake, open_at=open_at, since=since, until=until)
        if t.ticket_id not in stored  # the API's state of it wins
    ]
    for t in stored.values():
        if open_at is not None and not t.open_at(open_at):
            continue
        if since is not None and t.created_time < since:
            continue
        if until is not None and t.created_time >= until:
            continue
        out.append(t)
    return out


def _customer_known(conn: Connection, customer_id: str) -> bool:
    for model in (CustomerProfile, CustomerTier):
        q = select(model.customer_id).where(model.customer_id == customer_id)
        if conn.execute(q).first() is not None:
            return True
    return False


def save_ticket(
    conn: Connection, t: Ticket, lake: LakeLocation | None, *, source: str, now: dt.datetime
) -> bool:
    """Store a new ticket or a ticket's new state (the CRM sends the whole ticket each time);
    ``True`` when it is new. An unknown customer is NotFoundError; a ticket id already used
    for another customer, or raised at another time, is ConflictError (nothing written)."""
    if not _customer_known(conn, t.customer_id):
        raise NotFoundError(f"no customer {t.customer_id!r}", customer_id=t.customer_id)
    before = stored_tickets(conn, [t.ticket_id]).get(t.ticket_id)
    if before is None:
        before = next((x for x in _lake_ticket(lake, t.ticket_id)), None)
    if before is not None and (
        before.customer_id != t.customer_id or before.created_time != t.created_time
    ):
        raise ConflictError(
            f"ticket {t.ticket_id} is of customer {before.customer_id}, raised "
            f"{before.created_time:%Y-%m-%d %H:%M:%S}: a status change keeps both",
            field="ticket_id", ticket_id=t.ticket_id,
        )  # fmt: skip
    values = {c: getattr(t, c) for c in _TICKET_COLS} | {"source": source, "updated_at": now}
    exists = conn.execute(
        select(ServiceTicket.ticket_id).where(ServiceTicket.ticket_id == t.ticket_id)
    ).first()
    if exists is None:
        conn.execute(insert(ServiceTicket).values(**values))
    else:
        conn.execute(
            update(ServiceTicket).where(ServiceTicket.ticket_id == t.ticket_id).values(**values)
        )
    return before is None


def _lake_ticket(lake: LakeLocation | None, ticket_id: str) -> list[Ticket]:
    if lake is None or not has_table(lake, "tickets"):
        return []
    import duckdb

    con = duckdb.connect()
    try:
        rows = con.execute(
            f"SELECT {', '.join(_TICKET_COLS)} FROM read_parquet(?, hive_partitioning = false) "
            "WHERE ticket_id = ?",
            [parquet_glob(lake, "tickets"), ticket_id],
        ).fetchall()
    finally:
        con.close()
    return [_ticket(r) for r in rows]


def day_orders(lake: LakeLocation | None, day: dt.date) -> list[DayOrders]:
    """Orders placed on ``day`` per customer, from the lake (none when it has no orders)."""
    if lake is None or not has_table(lake, "orders"):
        return []
    import duckdb

    start = dt.datetime.combine(day, dt.time())
    con = duckdb.connect()
    try:
        rows = con.execute(
            "SELECT customer_id, count(*), sum(amount), min(order_time) "
            "FROM read_parquet(?, hive_partitioning = false) "
            "WHERE order_time >= ? AND order_time < ? GROUP BY customer_id",
            [parquet_glob(lake, "orders"), start, start + dt.timedelta(days=1)],
        ).fetchall()
    finally:
        con.close()
    return [
        DayOrders(str(c), int(n), Decimal(str(a or 0)).quantize(Decimal("0.01")), first)
        for c, n, a, first in rows
    ]
