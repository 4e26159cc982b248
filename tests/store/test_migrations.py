"""Migrations create exactly the declared tables, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect, select

from tierwise.errors import ConfigError
from tierwise.store.db import make_engine
from tierwise.store.migrate import alembic_config, upgrade
from tierwise.store.schema import Base, Event


def test_upgrade_matches_the_declared_schema_and_is_idempotent(engine: Engine) -> None:
    upgrade(engine)
    upgrade(engine)  # a second call changes nothing
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == [], f"models and migrations disagree: {diff}"
    assert {"runs", "customer_tiers", "tier_changes", "overrides"} <= set(
        inspect(engine).get_table_names()
    )


def test_sqlite_uses_wal(tmp_path: Path) -> None:
    eng = make_engine(f"sqlite:///{tmp_path}/s.db")
    with eng.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


@pytest.mark.parametrize("url", ["mysql://x@y/z", "not a url"])
def test_unsupported_urls_are_refused_clearly(url: str) -> None:
    with pytest.raises(ConfigError):
        make_engine(url)


def _intake_row(key: str, kind: str, payload: dict[str, Any], actor: str) -> dict[str, Any]:
    return {
        "idempotency_key": key,
        "kind": kind,
        "customer_id": "C0000001",
        "payload": payload,
        "received_at": dt.datetime(2026, 11, 20, 3, 0),
        "actor": actor,
        "status": "received",
    }


def test_0007_moves_intake_events_into_the_one_event_table(engine: Engine) -> None:
    """Issue 5/6 follow-up: the API's intake_events rows end in events; the table is gone."""
    upgrade(engine, "0006")
    intake = sa.table(
        "intake_events",
        *(sa.column(c) for c in ("idempotency_key", "kind", "customer_id", "actor", "status")),
        sa.column("payload", sa.JSON()),
        sa.column("received_at", sa.DateTime()),
    )
    events = sa.table(
        "events",
        *(sa.column(c) for c in ("key", "kind", "customer_id", "source_id")),
        sa.column("payload", sa.JSON()),
        sa.column("event_time", sa.DateTime()),
        sa.column("amount", sa.Numeric(14, 2)),
        sa.column("received_at", sa.DateTime()),
        sa.column("applied_at", sa.DateTime()),
    )
    order = {"occurred_at": "2026-11-20T10:00:00+08:00", "amount": "1280.50",
             "reference": "SO-1", "lines": [{"sku": "S1", "quantity": 2, "unit_price": "640.25"}]}  # fmt: skip
    ret = {"occurred_at": "2026-11-21T09:30:00+08:00", "amount": "100.00",
           "reference": "RT-1", "order_id": "SO-1", "lines": []}  # fmt: skip
    pay = {"occurred_at": "2026-11-22T23:30:00+08:00", "amount": "50.00", "lines": []}
    with engine.begin() as conn:
        conn.execute(
            sa.insert(intake),
            [
                _intake_row("order-key-0001", "order", order, "key:crm"),
                _intake_row("return-key-0001", "return", ret, "user:wang"),
                _intake_row("payment-key-0001", "payment", pay, "key:erp"),
                _intake_row("both-key-0001", "order", order, "key:crm"),
            ],
        )
        # written twice by the old route: only its actor moves over
        conn.execute(
            sa.insert(events),
            [{"key": "both-key-0001", "kind": "order", "customer_id": "C0000001",
              "source_id": "SO-9", "payload": {}, "event_time": dt.datetime(2026, 11, 20, 2),
              "amount": Decimal("9.00"), "received_at": dt.datetime(2026, 11, 20, 3),
              "applied_at": dt.datetime(2026, 11, 20, 3)}],
        )  # fmt: skip
    upgrade(engine)
    assert "intake_events" not in inspect(engine).get_table_names()
    with engine.connect() as conn:
        rows = {r.key: r for r in conn.execute(select(Event))}
    assert set(rows) == {"order-key-0001", "return-key-0001", "payment-key-0001", "both-key-0001"}
    o = rows["order-key-0001"]
    assert (o.kind, o.source_id, o.amount, o.actor) == (
        "order",
        "SO-1",
        Decimal("1280.50"),
        "key:crm",
    )
    assert o.event_time == dt.datetime(2026, 11, 20, 2, 0)  # 10:00 in Beijing, as UTC
    assert o.applied_at is None and o.payload["lines"][0]["sku"] == "S1"
    r = rows["return-key-0001"]
    assert (r.order_id, r.source_id, r.amount) == ("SO-1", "RT-1", Decimal("100.00"))
    p = rows["payment-key-0001"]
    # no reference: the key is the payment's id; paid the 22nd in Beijing (a day, UTC midnight)
    assert (p.source_id, p.event_time) == ("payment-key-0001", dt.datetime(2026, 11, 22))
    both = rows["both-key-0001"]
    assert (both.source_id, both.actor) == ("SO-9", "key:crm")


def test_0007_downgrade_gives_the_receipts_back(engine: Engine) -> None:
    upgrade(engine)
    with engine.begin() as conn:
        conn.execute(
            sa.insert(Event),
            [{"key": "k-0001", "kind": "order", "customer_id": "C1", "source_id": "O1",
              "event_time": dt.datetime(2026, 1, 1), "amount": Decimal("1.00"), "payload": {},
              "received_at": dt.datetime(2026, 1, 1), "actor": "key:crm"}],
        )  # fmt: skip
    cfg = alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0006")
    with engine.connect() as conn:
        back = conn.execute(
            sa.text("SELECT idempotency_key, actor, status FROM intake_events")
        ).all()
    assert [tuple(r) for r in back] == [("k-0001", "key:crm", "received")]
    assert "actor" not in {c["name"] for c in inspect(engine).get_columns("events")}
