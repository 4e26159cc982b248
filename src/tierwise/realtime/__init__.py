"""Real-time regrade (R-GRD-9): events → features since the latest run → score → tier.

The API's events route and the Redis Streams consumer both call :func:`ingest_event` /
:meth:`Regrader.ingest`, the one writer of the ``events`` table; see ``docs/realtime.md``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from tierwise.realtime.events import (
    OrderEvent,
    PaymentEvent,
    ReturnEvent,
    event_json,
    parse_event,
)
from tierwise.realtime.regrade import IngestResult, Regrader


def ingest_event(
    regrader: Regrader,
    event: OrderEvent | ReturnEvent | PaymentEvent | dict[str, Any] | str | bytes,
    *,
    received_at: dt.datetime | None = None,
    actor: str | None = None,
) -> IngestResult:
    """Validate (if needed), store and apply one event; one transaction.

    ``event`` may be a parsed event or its JSON (text or a JSON-shaped dict with ``kind``).
    A duplicate idempotency key is reported in ``IngestResult.duplicates`` and changes nothing.
    """
    ev = event if isinstance(event, OrderEvent | ReturnEvent | PaymentEvent) else parse_event(event)
    return regrader.ingest([ev], received_at=received_at, actor=actor)


__all__ = [
    "IngestResult",
    "OrderEvent",
    "PaymentEvent",
    "Regrader",
    "ReturnEvent",
    "event_json",
    "ingest_event",
    "parse_event",
]
