"""Webhook endpoints (R-INT-1); the secret is returned once, at creation."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, func, insert, select, update

from tierwise.errors import NotFoundError
from tierwise.store.schema import OutboxMessage, Webhook

_PUBLIC = (
    Webhook.id,
    Webhook.name,
    Webhook.url,
    Webhook.events,
    Webhook.active,
    Webhook.created_at,
)


class WebhookRepo:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def create(
        self, name: str, url: str, events: list[str], *, now: datetime
    ) -> tuple[str, dict[str, Any]]:
        secret = secrets.token_hex(32)
        with self.engine.begin() as conn:
            wid = conn.execute(
                insert(Webhook).values(
                    name=name, url=url, secret=secret, events=events, active=True, created_at=now
                )
            ).inserted_primary_key
        assert wid is not None
        return secret, self.get(int(wid[0]))

    def get(self, webhook_id: int) -> dict[str, Any]:
        with self.engine.connect() as conn:
            row = conn.execute(select(*_PUBLIC).where(Webhook.id == webhook_id)).first()
            if row is None:
                raise NotFoundError(f"no webhook {webhook_id}", webhook_id=webhook_id)
            counts = dict(
                conn.execute(
                    select(OutboxMessage.status, func.count())
                    .where(OutboxMessage.webhook_id == webhook_id)
                    .group_by(OutboxMessage.status)
                ).all()
            )
        return {**dict(row._mapping), "outbox": {str(k): int(v) for k, v in counts.items()}}

    def list(self) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            ids = conn.execute(select(Webhook.id).order_by(Webhook.id)).scalars().all()
        return [self.get(i) for i in ids]

    def set_active(self, webhook_id: int, active: bool) -> dict[str, Any]:
        with self.engine.begin() as conn:
            n = conn.execute(
                update(Webhook).where(Webhook.id == webhook_id).values(active=active)
            ).rowcount
        if not n:
            raise NotFoundError(f"no webhook {webhook_id}", webhook_id=webhook_id)
        return self.get(webhook_id)
