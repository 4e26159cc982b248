"""Intake of order / return / payment events, idempotent by key."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Engine, insert, select
from sqlalchemy.exc import IntegrityError

from tierwise.errors import ConflictError
from tierwise.store.schema import IntakeEvent

_COLS = (
    IntakeEvent.id,
    IntakeEvent.idempotency_key,
    IntakeEvent.kind,
    IntakeEvent.customer_id,
    IntakeEvent.received_at,
    IntakeEvent.status,
    IntakeEvent.payload,
)


class EventRepo:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def _by_key(self, key: str) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(*_COLS).where(IntakeEvent.idempotency_key == key)).first()
        return dict(row._mapping) if row is not None else None

    def add(
        self,
        key: str,
        kind: str,
        customer_id: str,
        payload: dict[str, Any],
        *,
        actor: str,
        now: datetime,
    ) -> tuple[dict[str, Any], bool]:
        """Store an event; a second post with the same key returns the first (created False).

        The same key with a different payload is a :class:`ConflictError`.
        """
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    insert(IntakeEvent).values(
                        idempotency_key=key,
                        kind=kind,
                        customer_id=customer_id,
                        payload=payload,
                        received_at=now,
                        actor=actor,
                        status="received",
                    )
                )
            created = True
        except IntegrityError:
            created = False
        row = self._by_key(key)
        assert row is not None
        if not created and (row["payload"] != payload or row["kind"] != kind):
            raise ConflictError(
                f"idempotency key {key!r} was used for a different event",
                hint="use a new key for a new event",
                idempotency_key=key,
            )
        return row, created
