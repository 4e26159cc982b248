"""Aggregates the console needs (R-ANA-1..3): distributions, migration, spend, tags."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, false, func, select

from tierwise.analytics.held import held_after, published_at, tier_counts
from tierwise.api.access import Scope
from tierwise.api.repos import storable
from tierwise.errors import NotFoundError
from tierwise.store.schema import (
    CustomerProfile,
    CustomerTag,
    Run,
    latest_published,
)

_P = CustomerProfile
DIMENSIONS = {
    "province": (_P.province,),
    "city": (_P.province, _P.city),
    "district": (_P.province, _P.city, _P.district),
    "cuisine": (_P.cuisine,),
    "business_type": (_P.business_type,),
    "channel": (_P.channel,),
    "scale": (_P.scale,),
    "segment": (_P.segment,),
    "account_manager": (_P.account_manager,),
}


def _scoped(stmt: Any, scope: Scope) -> Any:
    if scope.nothing:
        return stmt.where(false())
    if scope.account_manager is not None:
        stmt = stmt.where(_P.account_manager == scope.account_manager)
    return stmt


class AnalyticsRepo:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._run_counts: dict[tuple[str, datetime], dict[str, int]] = {}

    def distribution(self, by: str, scope: Scope) -> list[dict[str, Any]]:
        """Customers per (dimension value, tier)."""
        cols = DIMENSIONS[by]
        stmt = _scoped(
            select(*cols, _P.tier, func.count().label("customers"))
            .group_by(*cols, _P.tier)
            .order_by(*cols, _P.tier),
            scope,
        )
        with self.engine.connect() as conn:
            rows = conn.execute(stmt).all()
        out = []
        for r in rows:
            key = "/".join(str(x) for x in r[: len(cols)])
            out.append({"key": key, "tier": r[len(cols)], "customers": int(r[-1])})
        return out

    def over_runs(self, limit: int) -> list[dict[str, Any]]:
        """Customers per tier of each of the last published runs, oldest first: the tiers
        held once each run was published (:mod:`tierwise.analytics.held`)."""
        with self.engine.connect() as conn:
            runs = conn.execute(
                latest_published(Run.id, Run.as_of, Run.published_at, Run.policy_name, limit=limit)
            ).all()
            counts = {r.id: self._counts(conn, r.id, r.published_at) for r in runs}
        return [
            {"run_id": r.id, "as_of": r.as_of, "policy_name": r.policy_name, "tiers": counts[r.id]}
            for r in reversed(runs)
        ]

    def _counts(self, conn: Connection, run_id: str, when: datetime) -> dict[str, int]:
        # a published run and the history before it never change: counted once per process
        key = (run_id, when)
        if key not in self._run_counts:
            self._run_counts[key] = tier_counts(conn, when)
        return dict(self._run_counts[key])

    def migration(self, from_run: str, to_run: str) -> list[dict[str, Any]]:
        """Customers moving from the tier they held after ``from_run`` to the tier they held
        after ``to_run`` (both published; :mod:`tierwise.analytics.held`)."""
        with self.engine.connect() as conn:
            for rid in (from_run, to_run):
                if not storable(rid):
                    raise NotFoundError(f"no run {rid!r}", run_id=rid)
            a = held_after(published_at(conn, from_run)).subquery()
            b = held_after(published_at(conn, to_run)).subquery()
            rows = conn.execute(
                select(a.c.tier, b.c.tier, func.count())
                .select_from(a)
                .join(b, a.c.customer_id == b.c.customer_id)
                .where(a.c.tier.is_not(None), b.c.tier.is_not(None))
                .group_by(a.c.tier, b.c.tier)
                .order_by(a.c.tier, b.c.tier)
            ).all()
        return [{"from_tier": f, "to_tier": t, "customers": int(n)} for f, t, n in rows]

    def value_by_tier(self, scope: Scope) -> list[dict[str, Any]]:
        """Customers, spend (365 days) and LTV per tier."""
        stmt = _scoped(
            select(
                _P.tier,
                func.count(),
                func.sum(_P.spend_365d),
                func.avg(_P.spend_365d),
                func.sum(_P.ltv),
                func.avg(_P.ltv),
            )
            .group_by(_P.tier)
            .order_by(_P.tier),
            scope,
        )
        with self.engine.connect() as conn:
            rows = conn.execute(stmt).all()

        def num(v: Any) -> float | None:
            return None if v is None else round(float(v), 2)

        return [
            {
                "tier": r[0],
                "customers": int(r[1]),
                "spend_365d_total": num(r[2]),
                "spend_365d_avg": num(r[3]),
                "ltv_total": num(r[4]),
                "ltv_avg": num(r[5]),
            }
            for r in rows
        ]

    def tag_counts(self, scope: Scope) -> list[dict[str, Any]]:
        stmt = select(CustomerTag.tag, func.count()).group_by(CustomerTag.tag)
        if scope.nothing:
            stmt = stmt.where(false())
        elif scope.account_manager is not None:
            stmt = stmt.join(_P, _P.customer_id == CustomerTag.customer_id).where(
                _P.account_manager == scope.account_manager
            )
        with self.engine.connect() as conn:
            rows = conn.execute(stmt.order_by(CustomerTag.tag)).all()
        return [{"tag": t, "customers": int(n)} for t, n in rows]
