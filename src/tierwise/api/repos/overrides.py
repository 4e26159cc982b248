"""Manual tier overrides with a reason and an expiry (R-GRD-10)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Engine, Select, false, func, insert, select, update

from tierwise.api.access import Scope
from tierwise.api.repos import storable
from tierwise.errors import NotFoundError
from tierwise.store.schema import CustomerProfile, Override


class OverrideRepo:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def create(
        self,
        customer_id: str,
        tier: str,
        reason: str,
        expires_at: datetime,
        *,
        author: str,
        now: datetime,
    ) -> dict[str, Any]:
        with self.engine.begin() as conn:
            oid = conn.execute(
                insert(Override).values(
                    customer_id=customer_id,
                    tier=tier,
                    reason=reason,
                    author=author,
                    created_at=now,
                    expires_at=expires_at,
                )
            ).inserted_primary_key
        assert oid is not None
        return self.get(int(oid[0]))

    def get(self, override_id: int) -> dict[str, Any]:
        with self.engine.connect() as conn:
            row = conn.execute(select(Override.__table__).where(Override.id == override_id)).first()
        if row is None:
            raise NotFoundError(f"no override {override_id}", override_id=override_id)
        return dict(row._mapping)

    def page(
        self,
        scope: Scope,
        *,
        customer_id: str | None,
        active_at: datetime | None,
        offset: int,
        limit: int,
    ) -> tuple[list[dict[str, Any]], int]:
        """One page of the overrides in ``scope``, newest first, and how many there are."""
        stmt = self._select(scope, customer_id, active_at)
        with self.engine.connect() as conn:
            total = conn.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
            rows = conn.execute(stmt.order_by(Override.id.desc()).offset(offset).limit(limit))
            return [dict(r._mapping) for r in rows], int(total)

    def active(self, scope: Scope, customer_id: str, at: datetime) -> dict[str, Any] | None:
        """The customer's newest override active at ``at`` in ``scope`` (one query, no count)."""
        stmt = self._select(scope, customer_id, at).order_by(Override.id.desc()).limit(1)
        with self.engine.connect() as conn:
            row = conn.execute(stmt).first()
        return None if row is None else dict(row._mapping)

    def _select(
        self, scope: Scope, customer_id: str | None, active_at: datetime | None
    ) -> Select[Any]:
        stmt = select(Override.__table__)
        if scope.nothing or not storable(customer_id):
            stmt = stmt.where(false())
        if scope.account_manager is not None:
            stmt = stmt.where(
                Override.customer_id.in_(
                    select(CustomerProfile.customer_id).where(
                        CustomerProfile.account_manager == scope.account_manager
                    )
                )
            )
        if customer_id:
            stmt = stmt.where(Override.customer_id == customer_id)
        if active_at is not None:
            stmt = stmt.where(Override.revoked_at.is_(None), Override.expires_at > active_at)
        return stmt

    def revoke(self, override_id: int, now: datetime) -> dict[str, Any]:
        with self.engine.begin() as conn:
            n = conn.execute(
                update(Override)
                .where(Override.id == override_id, Override.revoked_at.is_(None))
                .values(revoked_at=now)
            ).rowcount
        if not n:
            raise NotFoundError(f"no active override {override_id}", override_id=override_id)
        return self.get(override_id)
