"""One definition of "customers per tier" for a published run (issue 18 finding 3, R-ANA-1..3).

A run's tier of a customer is the tier the customer **held once the run was published**: the
tier the run computed after the stability rules (upgrades at once, downgrades after the grace,
one step at a time), overrides, and real-time regrades up to that moment — the last entry of
the tier history (``tier_changes``) at or before the run's ``published_at``. Not the raw
tier the run computed before stability (``run_assignments``), which no customer ever holds.

The dashboard (table, donut, trend, heat map), the Evaluation page, ``/analytics/runs``,
``/analytics/migration``, ``/analytics/metrics`` and ``tierwise report`` all count through
:func:`held_after`, so they give the same numbers for the same run. The dashboard's table is
the *current* state (the read model); right after a publish, with no real-time change since,
it equals the latest run's counts here (tests/console/test_counts.py).

Counting through the whole tier history is the dashboard's slowest query (a cold render took
1-2 s at 100 000 customers, issue 18 item 1), and a published run's counts never change: so
the publication records them on the run (:func:`record_held`, in the same transaction), with
the migration from the run published before it; readers fall back to counting for runs
published before those columns existed.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Connection, Select, func, select, update

from tierwise.errors import NotFoundError
from tierwise.store.schema import CustomerTier, Run, TierChange, latest_published


def held_after(published_at: dt.datetime) -> Select[Any]:
    """``customer_id, tier`` held by every customer with a tier history at ``published_at``
    (``tier`` is None for a customer who left grading)."""
    last = (
        select(TierChange.customer_id, func.max(TierChange.id).label("id"))
        .where(TierChange.changed_at <= published_at)
        .group_by(TierChange.customer_id)
        .subquery()
    )
    return select(last.c.customer_id, TierChange.to_tier.label("tier")).join(
        TierChange, TierChange.id == last.c.id
    )


def published_at(conn: Connection, run_id: str) -> dt.datetime:
    """When ``run_id`` was published (NotFoundError for an unknown or unpublished run)."""
    row = conn.execute(select(Run.status, Run.published_at).where(Run.id == run_id)).first()
    if row is None or row.status != "published" or row.published_at is None:
        state = "" if row is None else f" (it is {row.status})"
        raise NotFoundError(
            f"no published run {run_id!r}{state}", hint="see `tierwise runs list`", run_id=run_id
        )
    when: dt.datetime = row.published_at
    return when


def tier_counts(conn: Connection, when: dt.datetime) -> dict[str, int]:
    """Customers per tier held at ``when`` (customers without a tier are not counted)."""
    held = held_after(when).subquery()
    rows = conn.execute(
        select(held.c.tier, func.count()).where(held.c.tier.is_not(None)).group_by(held.c.tier)
    ).all()
    return {str(t): int(n) for t, n in rows}


def migration_counts(
    conn: Connection, from_when: dt.datetime, to_when: dt.datetime
) -> list[tuple[str, str, int]]:
    """``(from tier, to tier, customers)`` between the tiers held at ``from_when`` and at
    ``to_when``, for customers holding a tier at both moments (by the definition above)."""
    a = held_after(from_when).subquery()
    b = held_after(to_when).subquery()
    rows = conn.execute(
        select(a.c.tier, b.c.tier, func.count())
        .select_from(a)
        .join(b, a.c.customer_id == b.c.customer_id)
        .where(a.c.tier.is_not(None), b.c.tier.is_not(None))
        .group_by(a.c.tier, b.c.tier)
        .order_by(a.c.tier, b.c.tier)
    ).all()
    return [(str(f), str(t), int(n)) for f, t, n in rows]


def _migration_since(
    conn: Connection, since: dt.datetime, now_counts: dict[str, int]
) -> list[tuple[str, str, int]]:
    """:func:`migration_counts` from ``since`` to now, given the current customers per tier
    (``now_counts``), reading only the history written after ``since``: a customer's tier at
    ``since`` is the ``from_tier`` of their first change after it, or their current tier if
    they have none (every change of ``customer_tiers`` writes a ``tier_changes`` row, so the
    two agree; tests/store/test_held_counts.py). Customers who did not change stay on the
    diagonal: their count is the tier's current count less the changed ones now in it."""
    first = (
        select(TierChange.customer_id, func.min(TierChange.id).label("id"))
        .where(TierChange.changed_at > since)
        .group_by(TierChange.customer_id)
        .subquery()
    )
    changed = conn.execute(
        select(TierChange.from_tier, CustomerTier.tier, func.count())
        .select_from(first)
        .join(TierChange, TierChange.id == first.c.id)
        .join(CustomerTier, CustomerTier.customer_id == first.c.customer_id)
        .where(CustomerTier.tier.is_not(None))
        .group_by(TierChange.from_tier, CustomerTier.tier)
    ).all()
    cells: dict[tuple[str, str], int] = {}
    stayed = dict(now_counts)
    for was, now_tier, n in changed:
        now = str(now_tier)  # not None: filtered above
        stayed[now] = stayed.get(now, 0) - int(n)
        if was is not None:
            cells[(str(was), now)] = cells.get((str(was), now), 0) + int(n)
    for tier, n in stayed.items():
        if n:
            cells[(tier, tier)] = cells.get((tier, tier), 0) + n
    return sorted((f, t, n) for (f, t), n in cells.items())


def record_held(conn: Connection, run_id: str, when: dt.datetime) -> None:
    """Store on ``run_id``, published at ``when`` (inside its publishing transaction, after
    every write of that transaction), the customers per tier held at ``when`` and the
    migration from the run published before it. Both read the current state
    (``customer_tiers``) rather than the whole history: right after the publication the state
    is the tiers held at ``when``."""
    counts = {
        str(t): int(n)
        for t, n in conn.execute(
            select(CustomerTier.tier, func.count())
            .where(CustomerTier.tier.is_not(None))
            .group_by(CustomerTier.tier)
        )
    }
    prev = conn.execute(latest_published(Run.id, Run.published_at).where(Run.id != run_id)).first()
    migration = None if prev is None else _migration_since(conn, prev.published_at, counts)
    conn.execute(
        update(Run)
        .where(Run.id == run_id)
        .values(
            held_counts=counts,
            held_from_run=None if prev is None else prev.id,
            held_migration=None if migration is None else [list(m) for m in migration],
        )
    )
