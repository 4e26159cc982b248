"""The audit log: who read personal data, changed a policy, overrode a tier, exported ..."""

from __future__ import annotations

import threading
from collections import deque
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, func, insert, select

from tierwise.api.access import Principal
from tierwise.api.repos import storable
from tierwise.store.schema import AuditEntry


class AuditRepo:
    """Appends audit entries; reads of personal data can be buffered (see :meth:`record`)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._pending: deque[dict[str, Any]] = deque()
        self._lock = threading.Lock()
        self._flushing = threading.Lock()

    def record(
        self,
        principal: Principal,
        action: str,
        *,
        now: datetime,
        target: str | None = None,
        detail: dict[str, Any] | None = None,
        buffered: bool = False,
    ) -> None:
        """Append one entry, in its own transaction (the audit survives a failing request).

        ``buffered`` entries (reads of personal data, one per request on the hot path) are
        queued and written in batches by :meth:`flush`, which the app calls four times a second and
        at shutdown: one write transaction per request would serialize the API's workers on
        SQLite's single writer. A crash can lose the last quarter second of such read entries.
        """
        entry = {
            "at": now,
            "actor": principal.subject,
            "role": principal.role.value,
            "action": action,
            "target": target,
            "detail": detail or {},
        }
        if buffered:
            with self._lock:
                self._pending.append(entry)
            return
        with self.engine.begin() as conn:
            conn.execute(insert(AuditEntry), [entry])

    def flush(self) -> int:
        """Write the queued entries; returns how many.

        One flush at a time: a reader's flush (:meth:`page`) waits for the background flush
        that may hold entries taken off the queue but not yet committed, so a read of the log
        sees every entry queued before it.
        """
        with self._flushing:
            with self._lock:
                batch = list(self._pending)
                self._pending.clear()
            if batch:
                with self.engine.begin() as conn:
                    conn.execute(insert(AuditEntry), batch)
            return len(batch)

    def page(
        self, *, action: str | None, actor: str | None, offset: int, limit: int
    ) -> tuple[list[dict[str, Any]], int]:
        """Entries, newest first, with the total (queued entries of this process included)."""
        self.flush()
        if not storable(action, actor):
            return [], 0
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
