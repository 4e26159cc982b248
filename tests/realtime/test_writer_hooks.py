"""The one writer of tier state (issue 16): a real-time regrade calls the operations modules'
hooks in its transaction, and a failing hook stores no event and no tier."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, select

from conftest import make_world
from tierwise.realtime import OrderEvent
from tierwise.store import tier_writer
from tierwise.store.schema import Event
from tierwise.store.tier_writer import TierWrite


def test_a_regrade_calls_the_hooks_and_a_failure_keeps_no_event(
    engine: Engine, tmp_path: Path
) -> None:
    world = make_world(engine, tmp_path)
    seen: list[tuple[str, list[str], list[dict[str, Any]]]] = []

    def grants(conn: Connection, write: TierWrite) -> None:
        rows = write.changes.select(["customer_id", "to_tier", "reason_code"]).to_pylist()
        seen.append((write.source, write.customers.to_pylist(), rows))

    big = OrderEvent(
        order_id="N1",
        customer_id="c1",
        order_time=dt.datetime(2025, 7, 1, 9),
        amount=Decimal(9000),
    )
    with tier_writer.hook("grants", grants):
        world.regrader.ingest([big])
    assert seen == [
        ("realtime", ["c1"], [{"customer_id": "c1", "to_tier": "silver", "reason_code": "upgrade"}])
    ]

    def broken(conn: Connection, write: TierWrite) -> None:
        raise RuntimeError("terms down")

    other = big.model_copy(update={"order_id": "N2", "customer_id": "c2"})
    with tier_writer.hook("terms", broken), pytest.raises(RuntimeError, match="terms down"):
        world.regrader.ingest([other])
    with engine.connect() as conn:
        keys = set(conn.execute(select(Event.key)).scalars())
        assert "order:N1" in keys and "order:N2" not in keys
