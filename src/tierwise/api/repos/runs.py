"""Grading runs as recorded in the store."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, func, select

from tierwise.api.repos import storable
from tierwise.errors import NotFoundError
from tierwise.store.schema import Run, RunCutoff, latest_published

_COLS = (
    Run.id,
    Run.policy_name,
    Run.policy_hash,
    Run.as_of,
    Run.data_fingerprint,
    Run.status,
    Run.trigger,
    Run.started_at,
    Run.finished_at,
    Run.published_at,
    Run.counts,
    Run.error,
)


class RunRepo:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def page(
        self, *, status: str | None, offset: int, limit: int
    ) -> tuple[list[dict[str, Any]], int]:
        stmt, count = select(*_COLS), select(func.count()).select_from(Run)
        if status:
            stmt, count = stmt.where(Run.status == status), count.where(Run.status == status)
        with self.engine.connect() as conn:
            total = conn.execute(count).scalar_one()
            rows = conn.execute(
                stmt.order_by(Run.started_at.desc(), Run.id.desc()).offset(offset).limit(limit)
            )
            return [dict(r._mapping) for r in rows], int(total)

    def get(self, run_id: str) -> dict[str, Any]:
        row = None
        if storable(run_id):
            with self.engine.connect() as conn:
                row = conn.execute(select(*_COLS).where(Run.id == run_id)).first()
        if row is None:
            raise NotFoundError(f"no run {run_id!r}", run_id=run_id)
        return dict(row._mapping)

    def current_tiers(self) -> list[str]:
        """Tier codes of the latest published run, top first (empty before any run)."""
        with self.engine.connect() as conn:
            run_id = conn.execute(latest_published(Run.id)).scalar_one_or_none()
            if run_id is None:
                return []
            return list(
                conn.execute(
                    select(RunCutoff.tier)
                    .where(RunCutoff.run_id == run_id)
                    .order_by(RunCutoff.rank)
                ).scalars()
            )
