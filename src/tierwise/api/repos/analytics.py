"""Aggregates the console needs (R-ANA-1..3): distributions, migration, spend, tags."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, false, func, select
from sqlalchemy.orm import aliased

from tierwise.api.access import Scope
from tierwise.api.repos import storable
from tierwise.errors import NotFoundError
from tierwise.store.schema import (
    CustomerProfile,
    CustomerTag,
    Run,
    RunAssignment,
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
        """Customers per tier as computed by each of the last published runs, oldest first."""
        with self.engine.connect() as conn:
            runs = conn.execute(
                latest_published(Run.id, Run.as_of, Run.published_at, limit=limit)
            ).all()
            ids = [r.id for r in runs]
            counts = conn.execute(
                select(RunAssignment.run_id, RunAssignment.tier, func.count())
                .where(RunAssignment.run_id.in_(ids))
                .group_by(RunAssignment.run_id, RunAssignment.tier)
            ).all()
        by_run: dict[str, dict[str, int]] = {}
        for run_id, tier, n in counts:
            by_run.setdefault(run_id, {})[str(tier)] = int(n)
        return [
            {"run_id": r.id, "as_of": r.as_of, "tiers": by_run.get(r.id, {})}
            for r in reversed(runs)
        ]

    def migration(self, from_run: str, to_run: str) -> list[dict[str, Any]]:
        """Customers moving from each tier of ``from_run`` to each tier of ``to_run``."""
        with self.engine.connect() as conn:
            for rid in (from_run, to_run):
                if (
                    not storable(rid)
                    or conn.execute(select(Run.id).where(Run.id == rid)).first() is None
                ):
                    raise NotFoundError(f"no run {rid!r}", run_id=rid)
            a, b = aliased(RunAssignment), aliased(RunAssignment)
            rows = conn.execute(
                select(a.tier, b.tier, func.count())
                .select_from(a)
                .join(b, a.customer_id == b.customer_id)
                .where(a.run_id == from_run, b.run_id == to_run)
                .group_by(a.tier, b.tier)
                .order_by(a.tier, b.tier)
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
