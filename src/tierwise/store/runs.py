"""Grading runs in the operational store: begin, publish atomically, fail (issue 5).

A run is first recorded as ``running`` in its own transaction, so that a crash leaves a visible
trace. :meth:`RunStore.publish` then does everything else in **one** transaction: the run's
assignments and cutoffs, the stability rules applied to every customer, the new current tiers,
the change history, and the run's status. A failure or a killed process rolls all of it back:
the previous run stays current. A published run is never modified again.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Engine, delete, select, update
from sqlalchemy.orm import Session

from tierwise.errors import NotFoundError, UsageError
from tierwise.stability import StabilityRule, TierState, transition
from tierwise.store.bulk import bulk_insert
from tierwise.store.schema import (
    Base,
    CustomerTier,
    Override,
    Run,
    TierChange,
)


@dataclass(frozen=True)
class Assignment:
    """What a run computed for one customer."""

    customer_id: str
    tier: str | None
    score: float | None
    status: str = "graded"


@dataclass(frozen=True)
class Cutoff:
    """Minimum score of one tier in a run; ``rank`` 0 is the top tier."""

    tier: str
    rank: int
    min_score: float | None


@dataclass(frozen=True)
class PublishSummary:
    run_id: str
    customers: int
    changes: dict[str, int]


_T = Base.metadata.tables


class RunStore:
    """Runs and published state on one database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def begin(
        self,
        run_id: str,
        *,
        policy_name: str,
        policy_hash: str,
        as_of: date,
        data_fingerprint: str,
        started_at: datetime,
        trigger: str = "manual",
    ) -> None:
        """Record a new run as ``running`` (committed at once)."""
        with self.engine.begin() as conn:
            conn.execute(
                _T["runs"]
                .insert()
                .values(
                    id=run_id,
                    policy_name=policy_name,
                    policy_hash=policy_hash,
                    as_of=as_of,
                    data_fingerprint=data_fingerprint,
                    status="running",
                    trigger=trigger,
                    started_at=started_at,
                    counts={},
                    timings={},
                )
            )

    def fail(self, run_id: str, error: str, finished_at: datetime) -> None:
        """Mark a running run failed; it never becomes current."""
        with self.engine.begin() as conn:
            conn.execute(
                update(Run)
                .where(Run.id == run_id, Run.status == "running")
                .values(status="failed", error=error[:4000], finished_at=finished_at)
            )

    def publish(
        self,
        run_id: str,
        assignments: Iterable[Assignment],
        cutoffs: Sequence[Cutoff],
        *,
        rule: StabilityRule,
        now: datetime,
        counts: dict[str, Any] | None = None,
        timings: dict[str, Any] | None = None,
    ) -> PublishSummary:
        """Apply stability rules against the current state and publish, all or nothing."""
        order = [c.tier for c in sorted(cutoffs, key=lambda c: c.rank)]
        cut = {c.tier: c.min_score for c in cutoffs}
        with self.engine.begin() as conn:
            run = conn.execute(select(Run).where(Run.id == run_id)).one_or_none()
            if run is None:
                raise NotFoundError(f"no run {run_id!r}", run_id=run_id)
            if run.status != "running":
                raise UsageError(
                    f"run {run_id!r} is {run.status}; only a running run can be published",
                    run_id=run_id,
                )
            as_of: date = run.as_of
            rows = list(assignments)
            bulk_insert(
                conn,
                _T["run_assignments"],
                ("run_id", "customer_id", "tier", "score", "status"),
                ((run_id, a.customer_id, a.tier, a.score, a.status) for a in rows),
            )
            bulk_insert(
                conn,
                _T["run_cutoffs"],
                ("run_id", "tier", "rank", "min_score"),
                ((run_id, c.tier, c.rank, c.min_score) for c in cutoffs),
            )
            current = {
                r.customer_id: TierState(
                    r.tier, r.since, r.runs_below, r.below_since, r.downgrade_warning
                )
                for r in conn.execute(select(CustomerTier))
            }
            overrides = {
                r.customer_id: r.tier
                for r in conn.execute(
                    select(Override.customer_id, Override.tier)
                    .where(Override.revoked_at.is_(None), Override.expires_at > now)
                    .order_by(Override.created_at)
                )
            }
            new_states: list[tuple[Any, ...]] = []
            changes: list[tuple[Any, ...]] = []
            tally: dict[str, int] = {}
            for a in rows:
                d = transition(
                    current.get(a.customer_id),
                    a.tier,
                    a.score,
                    order=order,
                    cutoffs=cut,
                    rule=rule,
                    run_date=as_of,
                    override=overrides.get(a.customer_id),
                )
                s = d.state
                new_states.append(
                    (
                        a.customer_id,
                        s.tier,
                        a.score,
                        run_id,
                        s.since,
                        s.runs_below,
                        s.below_since,
                        s.downgrade_warning,
                        now,
                    )
                )
                if d.change is not None:
                    c = d.change
                    tally[c.reason_code] = tally.get(c.reason_code, 0) + 1
                    changes.append(
                        (
                            a.customer_id,
                            run_id,
                            c.from_tier,
                            c.to_tier,
                            now,
                            as_of,
                            c.reason_code,
                            c.reason,
                        )
                    )
            conn.execute(delete(CustomerTier))
            bulk_insert(
                conn,
                _T["customer_tiers"],
                (
                    "customer_id",
                    "tier",
                    "score",
                    "run_id",
                    "since",
                    "runs_below",
                    "below_since",
                    "downgrade_warning",
                    "updated_at",
                ),
                new_states,
            )
            bulk_insert(
                conn,
                _T["tier_changes"],
                (
                    "customer_id",
                    "run_id",
                    "from_tier",
                    "to_tier",
                    "changed_at",
                    "effective",
                    "reason_code",
                    "reason",
                ),
                changes,
            )
            conn.execute(
                update(Run)
                .where(Run.id == run_id)
                .values(
                    status="published",
                    published_at=now,
                    finished_at=now,
                    counts={**(counts or {}), "customers": len(rows), "changes": tally},
                    timings=timings or {},
                )
            )
        return PublishSummary(run_id, len(rows), tally)

    def current_run(self) -> Run | None:
        """The latest published run (the one whose cutoffs real-time regrades use)."""
        with Session(self.engine, expire_on_commit=False) as session:
            return session.scalars(
                select(Run)
                .where(Run.status == "published")
                .order_by(Run.published_at.desc(), Run.id.desc())
                .limit(1)
            ).one_or_none()

    def run(self, run_id: str) -> Run:
        """One run by id."""
        with Session(self.engine, expire_on_commit=False) as session:
            run = session.get(Run, run_id)
        if run is None:
            raise NotFoundError(f"no run {run_id!r}", run_id=run_id)
        return run

    def tiers(self) -> dict[str, str | None]:
        """Current published tier of every customer."""
        with self.engine.connect() as conn:
            return {r.customer_id: r.tier for r in conn.execute(select(CustomerTier))}

    def history(self, customer_id: str) -> list[TierChange]:
        """A customer's tier changes, oldest first."""
        with Session(self.engine, expire_on_commit=False) as session:
            return list(
                session.scalars(
                    select(TierChange)
                    .where(TierChange.customer_id == customer_id)
                    .order_by(TierChange.id)
                )
            )
