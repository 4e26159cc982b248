"""one event table: the API's intake_events rows move into events, intake_events is dropped

Revision ID: 0007_one_event_table
Revises: 0006
Create Date: 2026-11-22

Until now ``POST /events`` wrote each event twice: a receipt in ``intake_events`` (0004) and
the real-time copy in ``events`` (0006), which is the table the regrade reads. ``events``
stays, with a new ``actor`` column (who sent the event). Rows of ``intake_events`` whose key
is not in ``events`` (events received before the API regraded in real time) are converted
and moved; ``applied_at`` stays empty for them, so the next publish applies them.

The conversion is written out here rather than imported from ``tierwise.realtime``: a
migration must keep doing what it did when it was written, whatever the code becomes.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0007_one_event_table"
down_revision = "0006"
branch_labels = None
depends_on = None

_intake = sa.table(
    "intake_events",
    sa.column("id", sa.Integer()),
    sa.column("idempotency_key", sa.String()),
    sa.column("kind", sa.String()),
    sa.column("customer_id", sa.String()),
    sa.column("payload", sa.JSON()),
    sa.column("received_at", sa.DateTime()),
    sa.column("actor", sa.String()),
    sa.column("status", sa.String()),
)
_events = sa.table(
    "events",
    sa.column("key", sa.String()),
    sa.column("kind", sa.String()),
    sa.column("customer_id", sa.String()),
    sa.column("source_id", sa.String()),
    sa.column("order_id", sa.String()),
    sa.column("event_time", sa.DateTime()),
    sa.column("amount", sa.Numeric(14, 2)),
    sa.column("payload", sa.JSON()),
    sa.column("received_at", sa.DateTime()),
    sa.column("applied_at", sa.DateTime()),
    sa.column("actor", sa.String()),
)


def _when(value: Any, fallback: dt.datetime) -> dt.datetime:
    """An ISO time (with its zone, as the API required) as naive UTC."""
    try:
        t = dt.datetime.fromisoformat(str(value))
    except ValueError:
        return fallback
    return t if t.tzinfo is None else t.astimezone(dt.UTC).replace(tzinfo=None)


def _yuan(value: Any) -> Decimal:
    try:
        return Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    except (InvalidOperation, ValueError):
        return Decimal("0.00")


def _event_row(r: Any) -> dict[str, Any]:
    """One ``intake_events`` row in the shape of ``events`` (see the API's ``from_intake``)."""
    body: dict[str, Any] = dict(r.payload or {})
    ref = str(body.get("reference") or r.idempotency_key)[:80]
    when = _when(body.get("occurred_at"), r.received_at)
    amount = _yuan(body.get("amount"))
    payload: dict[str, Any] = {
        "kind": r.kind,
        "customer_id": r.customer_id,
        "amount": f"{amount:.2f}",
        "idempotency_key": r.idempotency_key,
    }
    order_id = None
    if r.kind == "order":
        payload.update(order_id=ref, order_time=when.isoformat())
        if body.get("lines"):
            payload["lines"] = body["lines"]
    elif r.kind == "return":
        order_id = body.get("order_id")
        payload.update(return_id=ref, order_id=order_id, return_time=when.isoformat())
    else:  # payment: a day
        when = dt.datetime.combine(when.date(), dt.time())
        invoice = body.get("invoice_id") or ref
        payload.update(payment_id=ref, invoice_id=invoice, paid_date=when.date().isoformat())
    return {
        "key": r.idempotency_key,
        "kind": r.kind,
        "customer_id": r.customer_id,
        "source_id": ref,
        "order_id": None if order_id is None else str(order_id)[:80],
        "event_time": when,
        "amount": amount,
        "payload": {k: v for k, v in payload.items() if v is not None},
        "received_at": r.received_at,
        "applied_at": None,
        "actor": r.actor,
    }


def upgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("actor", sa.String(length=120), nullable=True))
    conn = op.get_bind()
    known = set(conn.execute(sa.select(_events.c.key)).scalars())
    rows = conn.execute(sa.select(_intake).order_by(_intake.c.id)).all()
    # the API's receipts of events that are already in `events` only lend their actor
    for r in rows:
        if r.idempotency_key in known:
            conn.execute(
                sa.update(_events)
                .where(_events.c.key == r.idempotency_key, _events.c.actor.is_(None))
                .values(actor=r.actor)
            )
    moved = [_event_row(r) for r in rows if r.idempotency_key not in known]
    if moved:
        conn.execute(sa.insert(_events), moved)
    with op.batch_alter_table("intake_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_intake_events_customer_id"))
    op.drop_table("intake_events")


def downgrade() -> None:
    op.create_table(
        "intake_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("idempotency_key", sa.String(length=120), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("customer_id", sa.String(length=40), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("idempotency_key"),
    )
    with op.batch_alter_table("intake_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_intake_events_customer_id"), ["customer_id"], unique=False
        )
    conn = op.get_bind()
    # every event gets its receipt back (keys longer than the old column's 120 are skipped)
    rows = conn.execute(sa.select(_events).where(sa.func.length(_events.c.key) <= 120)).all()
    if rows:
        conn.execute(
            sa.insert(_intake),
            [
                {
                    "idempotency_key": r.key,
                    "kind": r.kind,
                    "customer_id": r.customer_id,
                    "payload": r.payload,
                    "received_at": r.received_at,
                    "actor": r.actor or "unknown",
                    "status": "received" if r.applied_at is None else "graded",
                }
                for r in rows
            ],
        )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_column("actor")
