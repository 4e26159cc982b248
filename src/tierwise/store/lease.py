"""A lease row: one holder at a time for a background job, whatever process or host asks.

Taking or renewing the lease is one conditional ``UPDATE`` (or the first ``INSERT``), which
SQLite and PostgreSQL both execute atomically, so two processes can never both hold it. A
holder renews it every poll; if it dies, the lease expires after ``ttl`` and the next process
that asks takes it over. Used by the webhook deliverer (:mod:`tierwise.pipeline.delivery`).
"""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Engine, delete, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from tierwise.store.schema import Lease


def _me() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass
class LeaseHolder:
    """Takes, renews and releases the lease ``name`` for this process."""

    engine: Engine
    name: str
    ttl: timedelta = timedelta(seconds=30)
    owner: str = field(default_factory=_me)

    def acquire(self, now: datetime) -> bool:
        """Take or renew the lease; whether this process holds it until ``now + ttl``."""
        until = now + self.ttl
        with self.engine.begin() as conn:
            n = conn.execute(
                update(Lease)
                .where(
                    Lease.name == self.name,
                    or_(Lease.owner == self.owner, Lease.expires_at < now),
                )
                .values(owner=self.owner, expires_at=until)
            ).rowcount
        if n:
            return True
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    insert(Lease).values(name=self.name, owner=self.owner, expires_at=until)
                )
        except IntegrityError:  # someone else holds it (or took it a moment ago)
            return False
        return True

    def holder(self) -> tuple[str, datetime] | None:
        """The current holder and expiry, if any."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(Lease.owner, Lease.expires_at).where(Lease.name == self.name)
            ).first()
        return (row.owner, row.expires_at) if row is not None else None

    def release(self) -> None:
        """Give the lease up (at a clean shutdown), so another process need not wait."""
        with self.engine.begin() as conn:
            conn.execute(delete(Lease).where(Lease.name == self.name, Lease.owner == self.owner))
