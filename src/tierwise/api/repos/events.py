"""Reads of the one ``events`` table for the events route.

Events are written only by :meth:`tierwise.realtime.Regrader.ingest` (the route calls it);
this repository answers what the route reports: the stored receipt of an idempotency key.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, select

from tierwise.store.schema import Event

_COLS = (
    Event.id,
    Event.key,
    Event.kind,
    Event.customer_id,
    Event.received_at,
    Event.applied_at,
    Event.payload,
)


class EventRepo:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def by_key(self, key: str) -> dict[str, Any] | None:
        """The stored event with idempotency key ``key`` (``status``: received | applied)."""
        with self.engine.connect() as conn:
            row = conn.execute(select(*_COLS).where(Event.key == key)).first()
        if row is None:
            return None
        out = dict(row._mapping)
        out["status"] = "received" if out["applied_at"] is None else "applied"
        return out
