"""What an event must be before it is stored: a known customer, a plausible time and amount.

The same limits as a file ingest (:class:`tierwise.ingest.mapping.Limits`: nothing before
``earliest``, no amount above ``max_amount``), and for the time a small clock skew instead of
the ingest's day of tolerance: an event is sent when it happens, so an order dated 2099
is a sender's bug, and accepting it kept a customer gold across runs (issue 17 #9). The API's
``POST /events`` and the Redis Streams consumer (which dead-letters a refused entry) both check
here before :meth:`tierwise.realtime.Regrader.ingest`.
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol

from sqlalchemy import Engine, select, union

from tierwise.errors import DataError
from tierwise.ingest.mapping import Limits
from tierwise.store.schema import CustomerProfile, CustomerTier

CLOCK_SKEW = dt.timedelta(minutes=10)
LIMITS = Limits()


class _Event(Protocol):
    @property
    def customer_id(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def event_time(self) -> dt.datetime: ...


def known_customers(engine: Engine, ids: set[str]) -> set[str]:
    """Which of ``ids`` the book knows (the read model's customers, or a published tier)."""
    if not ids:
        return set()
    stmt = union(
        select(CustomerProfile.customer_id).where(CustomerProfile.customer_id.in_(ids)),
        select(CustomerTier.customer_id).where(CustomerTier.customer_id.in_(ids)),
    )
    with engine.connect() as conn:
        return {str(r[0]) for r in conn.execute(stmt)}


def check_event(
    event: _Event,
    *,
    known: bool,
    now: dt.datetime,
    amount: float | None = None,
    limits: Limits = LIMITS,
    skew: dt.timedelta = CLOCK_SKEW,
) -> None:
    """:class:`DataError` naming the field, the value and what was expected, or nothing.

    ``now`` and the event's time are naive UTC.
    """
    if not known:
        raise DataError(
            f"unknown customer {event.customer_id!r}: no such customer in the book",
            hint="send events for customers that are loaded (tierwise ingest) first",
            field="customer_id",
            value=event.customer_id,
            customer_id=event.customer_id,
        )
    when = event.event_time
    latest = now + skew
    if when > latest:
        raise DataError(
            f"event time {when:%Y-%m-%d %H:%M} (UTC) is in the future: after "
            f"{latest:%Y-%m-%d %H:%M} (now plus {int(skew.total_seconds() // 60)} minutes)",
            hint="send the time the event happened, with its zone",
            field="occurred_at",
            value=when.isoformat(),
            expected=f"<= {latest.isoformat()}",
        )
    if when.date() < limits.earliest:
        raise DataError(
            f"event time {when:%Y-%m-%d} is implausibly old: before {limits.earliest}",
            field="occurred_at",
            value=when.isoformat(),
            expected=f">= {limits.earliest.isoformat()}",
        )
    if amount is not None and amount > limits.max_amount:
        raise DataError(
            f"absurd amount: {amount} is above {limits.max_amount} yuan",
            field="amount",
            value=str(amount),
            expected=f"<= {limits.max_amount}",
        )
