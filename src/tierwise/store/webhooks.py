"""Pushing tier changes to CRM/ERP systems through an outbox (R-INT-1).

Messages are written to the ``outbox`` table in the same transaction as the change they report,
so a change is never published without its message, nor a message sent for a change that was
rolled back. :class:`Deliverer` sends due messages, signed with HMAC-SHA256, in order per
webhook; a failure (network error or non-2xx answer) reschedules the message with exponential
backoff and holds back that webhook's later messages, so a receiver that is down gets
everything, in order, once it is back. Receivers de-duplicate by ``X-Tierwise-Event-Id``
(delivery is at least once).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx
import pyarrow as pa
from sqlalchemy import Connection, Engine, select, update

from tierwise.store.schema import Base, OutboxMessage, Webhook

TIER_CHANGED = "tier.changed"
SIGNATURE_HEADER = "X-Tierwise-Signature"
TIMESTAMP_HEADER = "X-Tierwise-Timestamp"
EVENT_HEADER = "X-Tierwise-Event-Id"


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The signature header value for ``body`` sent at ``timestamp`` (``sha256=<hex>``)."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify(secret: str, timestamp: str, body: bytes, signature: str) -> bool:
    """What a receiver checks: the signature matches (constant-time comparison)."""
    return hmac.compare_digest(sign(secret, timestamp, body), signature)


def enqueue_tier_changes(
    conn: Connection, run_id: str, changes: pa.Table, now: datetime, *, batch_size: int = 500
) -> int:
    """Queue ``changes`` for every active webhook subscribed to tier changes; returns messages.

    ``changes`` has the columns of the ``tier_changes`` table (``reason`` as JSON text). Changes
    travel in batches of ``batch_size`` per message, in the order given.
    """
    hooks = [
        h
        for h in conn.execute(select(Webhook.id, Webhook.events).where(Webhook.active)).all()
        if TIER_CHANGED in (h.events or [])
    ]
    if not hooks or changes.num_rows == 0:
        return 0
    cols = ["customer_id", "from_tier", "to_tier", "reason_code", "reason", "effective"]
    rows = changes.select(cols).to_pylist()
    for r in rows:
        r["reason"] = json.loads(r["reason"]) if isinstance(r["reason"], str) else r["reason"]
        r["effective"] = r["effective"].isoformat()
    messages = []
    for hook in hooks:
        for start in range(0, len(rows), batch_size):
            messages.append(
                {
                    "webhook_id": hook.id,
                    "event_id": uuid.uuid4().hex,
                    "event_type": TIER_CHANGED,
                    "payload": {
                        "event": TIER_CHANGED,
                        "run_id": run_id,
                        "changes": rows[start : start + batch_size],
                    },
                    "status": "pending",
                    "attempts": 0,
                    "created_at": now,
                    "next_attempt_at": now,
                }
            )
    conn.execute(Base.metadata.tables["outbox"].insert(), messages)
    return len(messages)


@dataclass
class DeliveryReport:
    delivered: int = 0
    failed: int = 0
    dead: int = 0
    errors: list[str] = field(default_factory=list)


@dataclass
class Deliverer:
    """Sends due outbox messages. Call :meth:`deliver_due` from a loop or a scheduler."""

    engine: Engine
    client: httpx.Client
    max_attempts: int = 12
    base_delay: timedelta = timedelta(seconds=5)
    max_delay: timedelta = timedelta(hours=1)
    jitter: float = 0.1
    rng: random.Random = field(default_factory=random.Random)
    #: called before each send; ``False`` stops the pass (the deliverer lost its lease)
    before_send: Callable[[], bool] | None = None

    def backoff(self, attempts: int) -> timedelta:
        """Delay before the next try after ``attempts`` failures (exponential, capped, jittered)."""
        delay: timedelta = min(self.base_delay * (2 ** (attempts - 1)), self.max_delay)
        factor = 1 + self.jitter * (2 * self.rng.random() - 1)
        return timedelta(seconds=delay.total_seconds() * factor)

    def deliver_due(self, now: datetime, limit: int = 100) -> DeliveryReport:
        """Send up to ``limit`` due messages; stop at a webhook's first failure."""
        report = DeliveryReport()
        with self.engine.connect() as conn:
            hooks = {
                h.id: h
                for h in conn.execute(
                    select(Webhook.id, Webhook.url, Webhook.secret, Webhook.active)
                ).all()
            }
            due = conn.execute(
                select(
                    OutboxMessage.id,
                    OutboxMessage.webhook_id,
                    OutboxMessage.event_id,
                    OutboxMessage.payload,
                    OutboxMessage.attempts,
                    OutboxMessage.next_attempt_at,
                )
                .where(OutboxMessage.status == "pending")
                .order_by(OutboxMessage.webhook_id, OutboxMessage.id)
            ).all()
        blocked: set[int] = set()
        sent = 0
        for msg in due:
            if sent >= limit:
                break
            hook = hooks.get(msg.webhook_id)
            if hook is None or not hook.active or msg.webhook_id in blocked:
                continue
            if msg.next_attempt_at > now:
                blocked.add(msg.webhook_id)  # keep order: later messages wait for this one
                continue
            if self.before_send is not None and not self.before_send():
                break
            sent += 1
            error = self._send(hook.url, hook.secret, msg.event_id, msg.payload, now)
            with self.engine.begin() as conn:
                if error is None:
                    conn.execute(
                        update(OutboxMessage)
                        .where(OutboxMessage.id == msg.id)
                        .values(
                            status="delivered",
                            delivered_at=now,
                            attempts=msg.attempts + 1,
                            last_error=None,
                        )
                    )
                    report.delivered += 1
                    continue
                attempts = msg.attempts + 1
                dead = attempts >= self.max_attempts
                conn.execute(
                    update(OutboxMessage)
                    .where(OutboxMessage.id == msg.id)
                    .values(
                        status="dead" if dead else "pending",
                        attempts=attempts,
                        last_error=error[:2000],
                        next_attempt_at=now + self.backoff(attempts),
                    )
                )
            report.failed += 1
            report.dead += int(dead)
            report.errors.append(f"webhook {msg.webhook_id}: {error}")
            blocked.add(msg.webhook_id)
        return report

    def _send(
        self, url: str, secret: str, event_id: str, payload: dict[str, Any], now: datetime
    ) -> str | None:
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
        ts = str(int(now.timestamp()))
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            SIGNATURE_HEADER: sign(secret, ts, body),
            TIMESTAMP_HEADER: ts,
            EVENT_HEADER: event_id,
        }
        try:
            resp = self.client.post(url, content=body, headers=headers)
        except httpx.HTTPError as err:
            return f"{type(err).__name__}: {err}"
        if 200 <= resp.status_code < 300:
            return None
        return f"HTTP {resp.status_code}: {resp.text[:200]}"


def register_webhook(
    engine: Engine,
    *,
    name: str,
    url: str,
    secret: str,
    now: datetime,
    events: tuple[str, ...] = (TIER_CHANGED,),
) -> int:
    """Register an endpoint; returns its id."""
    with engine.begin() as conn:
        result = conn.execute(
            Base.metadata.tables["webhooks"]
            .insert()
            .values(
                name=name, url=url, secret=secret, events=list(events), active=True, created_at=now
            )
        )
        key = result.inserted_primary_key
        if key is None:
            raise RuntimeError("the database returned no id for the new webhook")
        return int(key[0])


def retry_dead(engine: Engine, webhook_id: int, now: datetime) -> int:
    """Put a webhook's dead messages back in the queue (after the receiver was fixed)."""
    with engine.begin() as conn:
        result = conn.execute(
            update(OutboxMessage)
            .where(OutboxMessage.webhook_id == webhook_id, OutboxMessage.status == "dead")
            .values(status="pending", attempts=0, next_attempt_at=now)
        )
        return int(result.rowcount)
