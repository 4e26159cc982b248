"""``/events``: order / return / payment intake, idempotent, regraded in real time (R-GRD-9)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated

from fastapi import APIRouter, Response

from tierwise.api.access import Action, Principal
from tierwise.api.deps import Ctx, allow
from tierwise.api.errors import AUTH_ERRORS, BAD_INPUT, CONFLICT
from tierwise.api.schemas.admin import EventAccepted, EventCreate
from tierwise.errors import ConflictError
from tierwise.realtime import ingest_event
from tierwise.realtime.events import from_intake
from tierwise.realtime.plausible import check_event, known_customers
from tierwise.store.profiles import sync_profile_tiers


def yuan(value: float) -> str:
    """``1280.5`` → ``"1280.50"`` (Decimal from the shortest repr, rounded half up to fen)."""
    return str(Decimal(repr(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


router = APIRouter(prefix="/events", tags=["events"], responses={**AUTH_ERRORS, **BAD_INPUT})


@router.post(
    "",
    status_code=202,
    response_model=EventAccepted,
    responses={**CONFLICT, 200: {"model": EventAccepted, "description": "Already received"}},
    summary="Post an order, return or payment",
)
def post_event(
    ctx: Ctx,
    principal: Annotated[Principal, allow(Action.EVENT_INGEST)],
    event: EventCreate,
    response: Response,
) -> EventAccepted:
    """Store the event, regrade the customer with the latest run's cutoffs and acknowledge
    (202). The same idempotency key again answers 200 with the first receipt; the same key with
    a different event is 409. A return needs ``order_id``. 422 (``DataError``, naming the field)
    for an unknown customer, a time after now plus 10 minutes or before 2000-01-01, or an
    amount above 10 000 000 yuan: the limits of a file ingest."""
    body = event.model_dump(mode="json")
    # money is kept as exact yuan text with two decimals, never as a binary float
    body["amount"] = yuan(event.amount)
    for line, given in zip(body["lines"], event.lines, strict=True):
        line["unit_price"] = yuan(given.unit_price)
    # validated as a real-time event first, so nothing is stored that cannot be applied
    realtime_event = from_intake(body)
    # a known customer, a time between the book's earliest date and now (plus a small clock
    # skew), an amount within the ingest's limit: the same limits as a file ingest (issue 17 #9)
    check_event(
        realtime_event,
        known=bool(known_customers(ctx.engine, {realtime_event.customer_id})),
        now=ctx.now(),
        amount=event.amount,
    )
    # the one write path of the events table (the Redis consumer takes it too)
    result = ingest_event(
        ctx.regrader, realtime_event, received_at=ctx.now(), actor=principal.subject
    )
    created = realtime_event.key in result.stored
    row = ctx.events.by_key(realtime_event.key)
    if row is None:  # pragma: no cover - stored or a duplicate, so it is there
        raise ConflictError(f"event {realtime_event.key!r} was not stored")
    if not created and row["payload"] != realtime_event.model_dump(mode="json", exclude_none=True):
        raise ConflictError(
            f"idempotency key {realtime_event.key!r} was used for a different event",
            hint="use a new key for a new event",
            idempotency_key=realtime_event.key,
        )
    regraded, tier, changes = False, None, []
    if created:
        regraded = result.regraded > 0
        changes = [
            f"{c['from_tier'] or '—'}→{c['to_tier'] or '—'} ({c['reason_code']})"
            for c in result.changes
        ]
        if regraded:
            tier = sync_profile_tiers(ctx.engine, [event.customer_id]).get(event.customer_id)
    else:
        response.status_code = 200
    return EventAccepted(
        id=row["id"],
        idempotency_key=row["key"],
        status=row["status"],
        duplicate=not created,
        received_at=row["received_at"],
        regraded=regraded,
        tier=tier,
        changes=changes,
    )
