"""Aggregates the console needs (R-ANA-1..3): distributions, migration, spend, tags."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, false, func, select

from tierwise.api.access import Scope
from tierwise.api.repos import storable
from tierwise.errors import NotFoundError
from tierwise.store.held import migration_counts, published_at, tier_counts
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
        held once each run was published (:mod:`tierwise.store.held`), as recorded at
        publication."""
        with self.engine.connect() as conn:
            runs = conn.execute(
                latest_published(
                    Run.id, Run.as_of, Run.published_at, Run.policy_name, Run.held_counts,
                    limit=limit,
                )
            ).all()  # fmt: skip
            counts = {
                r.id: dict(r.held_counts)
                if r.held_counts is not None
                else self._counts(conn, r.id, r.published_at)
                for r in runs
            }
        return [
            {"run_id": r.id, "as_of": r.as_of, "policy_name": r.policy_name, "tiers": counts[r.id]}
            for r in reversed(runs)
        ]

    def _counts(self, conn: Connection, run_id: str, when: datetime) -> dict[str, int]:
        # runs published before their counts were recorded: a published run and the history
        # before it never change, so counted once per process
        key = (run_id, when)
        if key not in self._run_counts:
            self._run_counts[key] = tier_counts(conn, when)
        return dict(self._run_counts[key])

    def migration(self, from_run: str, to_run: str) -> list[dict[str, Any]]:
        """Customers moving from the tier they held after ``from_run`` to the tier they held
        after ``to_run`` (both published; :mod:`tierwise.store.held`): recorded at
        publication for a run and the one before it, counted otherwise."""
        with self.engine.connect() as conn:
            for rid in (from_run, to_run):
                if not storable(rid):
                    raise NotFoundError(f"no run {rid!r}", run_id=rid)
            from_at = published_at(conn, from_run)
            to_at = published_at(conn, to_run)
            stored = conn.execute(
                select(Run.held_from_run, Run.held_migration).where(Run.id == to_run)
            ).one()
            if stored.held_from_run == from_run and stored.held_migration is not None:
                rows = [(str(f), str(t), int(n)) for f, t, n in stored.held_migration]
            else:
                rows = migration_counts(conn, from_at, to_at)
        return [{"from_tier": f, "to_tier": t, "customers": n} for f, t, n in rows]

    def profile_summary(self, scope: Scope) -> dict[str, list[dict[str, Any]]]:
        """:meth:`value_by_tier` and :meth:`distribution` by province and by cuisine from one
        scan of the profiles (the dashboard's three aggregates; a covering index)."""
        stmt = _scoped(
            select(
                _P.province,
                _P.cuisine,
                _P.tier,
                func.count(),
                func.count(_P.spend_365d),
                func.sum(_P.spend_365d),
                func.count(_P.ltv),
                func.sum(_P.ltv),
            ).group_by(_P.province, _P.cuisine, _P.tier),
            scope,
        )
        with self.engine.connect() as conn:
            rows = conn.execute(stmt).all()
        value: dict[Any, list[float]] = {}
        by: dict[str, dict[tuple[str, Any], int]] = {"province": {}, "cuisine": {}}
        for province, cuisine, tier, n, n_spend, spend, n_ltv, ltv in rows:
            v = value.setdefault(tier, [0, 0, 0.0, 0, 0.0])
            v[0] += n
            v[1] += n_spend
            v[2] += spend or 0.0
            v[3] += n_ltv
            v[4] += ltv or 0.0
            for dim, key in (("province", province), ("cuisine", cuisine)):
                cell = (str(key), tier)
                by[dim][cell] = by[dim].get(cell, 0) + int(n)

        def num(total: float, n: int) -> float | None:
            return None if n == 0 else round(float(total), 2)

        def tier_key(t: Any) -> tuple[bool, str]:
            return (t is None, "" if t is None else str(t))

        out: dict[str, list[dict[str, Any]]] = {
            "value": [
                {
                    "tier": t,
                    "customers": int(v[0]),
                    "spend_365d_total": num(v[2], int(v[1])),
                    "spend_365d_avg": num(v[2] / v[1], int(v[1])) if v[1] else None,
                    "ltv_total": num(v[4], int(v[3])),
                    "ltv_avg": num(v[4] / v[3], int(v[3])) if v[3] else None,
                }
                for t, v in sorted(value.items(), key=lambda kv: tier_key(kv[0]))
            ]
        }
        for dim, cells in by.items():
            out[dim] = [
                {"key": k, "tier": t, "customers": n}
                for (k, t), n in sorted(
                    cells.items(), key=lambda kv: (kv[0][0], tier_key(kv[0][1]))
                )
            ]
        return out

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
