"""Differentiated service on the store and the lake (R-OPS-1, issue 21 item 3), on SQLite and
PostgreSQL: tickets from the lake and the CRM merged (the CRM's state wins), a ticket's
customer and raise time never change, the queue and the delivery list read the grants."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from sqlalchemy import Engine, insert, select

from tierwise.errors import ConflictError, NotFoundError
from tierwise.lake import write_parquet_atomic
from tierwise.model.arrow import arrow_schema
from tierwise.model.tables import ORDERS, TICKETS
from tierwise.ops.service import service, store
from tierwise.ops.service.decide import Ticket
from tierwise.store.migrate import upgrade
from tierwise.store.schema import BenefitGrant, CustomerTier, ServiceTicket

T = dt.datetime
NOW = T(2026, 3, 10, 12)


def _grant(cid: str, kind: str, tier: str, **params: Any) -> dict[str, Any]:
    return {
        "customer_id": cid, "code": kind, "kind": kind, "params": params, "tier": tier,
        "status": "active", "valid_from": dt.date(2026, 1, 1), "valid_until": None,
        "cause": "run:r1", "reason": {}, "ended_reason": None, "created_at": NOW,
        "updated_at": NOW,
    }  # fmt: skip


def _lake(tmp: Path) -> Path:
    lake = tmp / "lake"
    tickets = [
        ("L1", "std", T(2026, 3, 10, 2), "complaint", 3, "quality", None, None),
        ("L2", "vip", T(2026, 3, 10, 9), "complaint", 1, "delivery", None, None),
        ("L3", "vip", T(2026, 3, 1, 9), "inquiry", 1, "price", T(2026, 3, 1, 10), "resolved"),
    ]
    cols = list(zip(*tickets, strict=True))
    schema = arrow_schema(TICKETS)
    write_parquet_atomic(
        pa.table({f.name: pa.array(c, f.type) for f, c in zip(schema, cols, strict=True)},
                 schema=schema),
        lake / "tickets" / "part-0.parquet",
    )  # fmt: skip
    orders = [
        ("O1", "std", T(2026, 3, 10, 7), "app", Decimal("100.0")),
        ("O2", "vip", T(2026, 3, 10, 9), "app", Decimal("50.5")),
        ("O3", "vip", T(2026, 3, 10, 10), "app", Decimal("20.0")),
        ("O4", "std", T(2026, 3, 11, 0), "app", Decimal("99.0")),  # the next day
    ]
    schema = pa.schema([arrow_schema(ORDERS).field(n) for n in
                        ("order_id", "customer_id", "order_time", "channel", "amount")])  # fmt: skip
    cols = list(zip(*orders, strict=True))
    write_parquet_atomic(
        pa.table({f.name: pa.array(c, f.type) for f, c in zip(schema, cols, strict=True)}),
        lake / "orders" / "part-0.parquet",
    )
    return lake


@pytest.fixture
def book(engine: Engine, tmp_path: Path) -> tuple[Engine, Path]:
    upgrade(engine)
    with engine.begin() as conn:
        conn.execute(insert(CustomerTier), [
            {"customer_id": c, "tier": t, "score": 1.0, "run_id": "r1",
             "since": dt.date(2026, 1, 1), "runs_below": 0, "updated_at": NOW}
            for c, t in (("vip", "platinum"), ("std", "silver"))
        ])  # fmt: skip
        conn.execute(insert(BenefitGrant), [
            _grant("vip", "service_level", "platinum", level="dedicated", response_hours=2),
            _grant("vip", "delivery_priority", "platinum", priority=1, slot="morning"),
            _grant("std", "service_level", "silver", level="standard", response_hours=24),
        ])  # fmt: skip
    return engine, _lake(tmp_path)


def test_the_queue_merges_lake_and_crm_tickets_the_crm_state_winning(
    book: tuple[Engine, Path],
) -> None:
    engine, lake = book
    with engine.connect() as conn:
        q = service.queue(conn, lake, NOW)
    assert [e.ticket.ticket_id for e in q] == ["L2", "L1"]  # dedicated before standard
    with engine.begin() as conn:  # the CRM closes L2 and opens a new one for std
        closed = Ticket("L2", "vip", T(2026, 3, 10, 9), "complaint", 1, "delivery",
                        T(2026, 3, 10, 10), "resolved")  # fmt: skip
        assert store.save_ticket(conn, closed, lake, source="api:crm", now=NOW) is False
        new = Ticket("N1", "std", T(2026, 3, 10, 11), "complaint", 2, "service")
        assert store.save_ticket(conn, new, lake, source="api:crm", now=NOW) is True
    with engine.connect() as conn:
        q = service.queue(conn, lake, NOW)
        assert [e.ticket.ticket_id for e in q] == ["L1", "N1"]  # L1 has 14 h left, N1 23 h
        assert [e.ticket.ticket_id for e in service.queue(conn, lake, NOW, kind="inquiry")] == []
        b = service.breach_report(conn, lake, NOW, dt.date(2026, 3, 1), dt.date(2026, 4, 1))
    got = {r.tier: (r.tickets, r.resolved, r.breached) for r in b.totals}
    assert got == {"platinum": (2, 2, 0), "silver": (2, 0, 0)}


def test_a_ticket_keeps_its_customer_and_time_and_needs_a_known_customer(
    book: tuple[Engine, Path],
) -> None:
    engine, lake = book
    moved = Ticket("L1", "vip", T(2026, 3, 10, 2), "complaint", 3, "quality")
    with pytest.raises(ConflictError, match="ticket L1 is of customer std"), engine.begin() as c:
        store.save_ticket(c, moved, lake, source="api:crm", now=NOW)
    with pytest.raises(NotFoundError), engine.begin() as c:
        store.save_ticket(c, Ticket("X", "ghost", NOW, "complaint", 1, "other"), lake,
                          source="api:crm", now=NOW)  # fmt: skip
    with engine.connect() as conn:
        assert conn.execute(select(ServiceTicket.ticket_id)).all() == []  # nothing written


def test_the_delivery_list_of_a_day_and_a_customers_service_level(
    book: tuple[Engine, Path],
) -> None:
    engine, lake = book
    with engine.connect() as conn:
        rows = service.deliveries(conn, lake, dt.date(2026, 3, 10))
        t = service.service_level(conn, "vip", dt.date(2026, 3, 10))
        none = service.service_level(conn, "std", dt.date(2025, 12, 1))
    assert [(r.customer_id, r.orders, str(r.amount), r.priority) for r in rows] == [
        ("vip", 2, "70.50", 1), ("std", 1, "100.00", None),
    ]  # fmt: skip
    assert (t.level, t.response_hours, t.priority, t.slot, t.tier) == (
        "dedicated", 2, 1, "morning", "platinum",
    )  # fmt: skip
    assert none.granted is False and none.level == "basic"
