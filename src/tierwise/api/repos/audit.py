"""The audit log: who read personal data, changed a policy, overrode a tier, exported ..."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Engine, func, insert, select

from tierwise.api.access import Principal
from tierwise.store.schema import AuditEntry


class AuditRepo:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def record(
        self,
        principal: Principal,
        action: str,
        *,
        now: datetime,
        target: str | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        """Append one entry (its own transaction: the audit survives a failing request)."""
        with self.engine.begin() as conn:
            conn.execute(
                insert(AuditEntry).values(
                    at=now,
                    actor=principal.subject,
                    role=principal.role.value,
                    action=action,
                    target=target,
                    detail=detail or {},
                )
            )

    def page(
        self, *, action: str | None, actor: str | None, offset: int, limit: int
    ) -> tuple[list[dict[str, Any]], int]:
        """Entries, newest first, with the total."""
        stmt = select(AuditEntry.__table__)
        count = select(func.count()).select_from(AuditEntry)
        if action:
            stmt, count = (
                stmt.where(AuditEntry.action == action),
                count.where(AuditEntry.action == action),
            )
        if actor:
            stmt, count = (
                stmt.where(AuditEntry.actor == actor),
                count.where(AuditEntry.actor == actor),
            )
        with self.engine.connect() as conn:
            total = conn.execute(count).scalar_one()
            rows = conn.execute(
                stmt.order_by(AuditEntry.id.desc()).offset(offset).limit(limit)
            ).mappings()
            return [dict(r) for r in rows], int(total)
