"""Real-time events: orders, returns and payments, validated strictly at the boundary.

Every event carries an idempotency key (default: ``<kind>:<source id>``, e.g. ``order:O123``):
the store keeps the first event with a key and ignores later ones. Times are naive UTC (an
aware time is converted); money is yuan with two decimals.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator

from tierwise.errors import DataError

Money = Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2)]
Id = Annotated[str, Field(min_length=1, max_length=80)]
CustomerId = Annotated[str, Field(min_length=1, max_length=40)]


def _naive_utc(v: dt.datetime) -> dt.datetime:
    return v if v.tzinfo is None else v.astimezone(dt.UTC).replace(tzinfo=None)


class _Event(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)

    kind: str
    customer_id: CustomerId
    amount: Money
    idempotency_key: Annotated[str | None, Field(max_length=160)] = None

    @property
    def source_id(self) -> str:
        raise NotImplementedError

    @property
    def event_time(self) -> dt.datetime:
        raise NotImplementedError

    @property
    def key(self) -> str:
        """The idempotency key: given, or ``<kind>:<source id>``."""
        return self.idempotency_key or f"{self.kind}:{self.source_id}"


class OrderEvent(_Event):
    """An order placed (``lines`` optional: SKU, category, quantity, amount per line)."""

    kind: Literal["order"] = "order"
    order_id: Id
    order_time: dt.datetime
    lines: list[dict[str, Any]] | None = None

    _utc = field_validator("order_time")(_naive_utc)

    @property
    def source_id(self) -> str:
        return self.order_id

    @property
    def event_time(self) -> dt.datetime:
        return self.order_time


class ReturnEvent(_Event):
    """A return (refund) of part or all of an order."""

    kind: Literal["return"] = "return"
    return_id: Id
    order_id: Id
    return_time: dt.datetime

    _utc = field_validator("return_time")(_naive_utc)

    @property
    def source_id(self) -> str:
        return self.return_id

    @property
    def event_time(self) -> dt.datetime:
        return self.return_time


class PaymentEvent(_Event):
    """A payment against an invoice."""

    kind: Literal["payment"] = "payment"
    payment_id: Id
    invoice_id: Id
    paid_date: dt.date

    @property
    def source_id(self) -> str:
        return self.payment_id

    @property
    def event_time(self) -> dt.datetime:
        return dt.datetime.combine(self.paid_date, dt.time())


Event = Annotated[OrderEvent | ReturnEvent | PaymentEvent, Field(discriminator="kind")]
_ADAPTER: TypeAdapter[OrderEvent | ReturnEvent | PaymentEvent] = TypeAdapter(Event)


def parse_event(data: str | bytes | dict[str, Any]) -> OrderEvent | ReturnEvent | PaymentEvent:
    """Validate one event from JSON text or a JSON-shaped dict (as an API body gives it).

    Raises :class:`DataError` naming every invalid field.
    """
    text = json.dumps(data, default=str) if isinstance(data, dict) else data
    try:
        return _ADAPTER.validate_json(text)
    except ValidationError as err:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '(event)'}: {e['msg']}" for e in err.errors()
        )
        raise DataError(
            f"invalid event: {problems}",
            hint="kind is order | return | payment; see docs/realtime.md for the fields",
        ) from err


def event_json(event: OrderEvent | ReturnEvent | PaymentEvent) -> str:
    """The event as JSON text (what ``tierwise events send`` puts on the stream)."""
    return event.model_dump_json(exclude_none=True)


def from_intake(body: dict[str, Any]) -> OrderEvent | ReturnEvent | PaymentEvent:
    """An event from the API's generic intake body (branch ``api``, ``EventCreate``).

    That body has ``idempotency_key``, ``kind``, ``customer_id``, ``occurred_at``, ``amount``,
    ``reference`` (the order / return / payment number) and ``lines``; a return also needs
    ``order_id`` (the returned order: without it a return cannot undo an upgrade) and a
    payment may give ``invoice_id`` (default: the reference). The source id defaults to the
    reference, else the idempotency key.
    """
    kind = body.get("kind")
    key = body.get("idempotency_key")
    ref = body.get("reference") or key
    when = body.get("occurred_at")
    amount = body.get("amount")
    common: dict[str, Any] = {
        "kind": kind,
        "customer_id": body.get("customer_id"),
        "amount": None if amount is None else f"{Decimal(str(amount)):.2f}",
        "idempotency_key": key,
    }
    if kind == "order":
        extra: dict[str, Any] = {"order_id": ref, "order_time": when}
        if body.get("lines"):
            extra["lines"] = body["lines"]
    elif kind == "return":
        extra = {"return_id": ref, "order_id": body.get("order_id"), "return_time": when}
    elif kind == "payment":
        day = str(when)[:10] if when is not None else None
        extra = {"payment_id": ref, "invoice_id": body.get("invoice_id") or ref, "paid_date": day}
    else:
        extra = {}
    return parse_event({**common, **extra})
