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
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Connection, Select, func, select

from tierwise.errors import NotFoundError
from tierwise.store.schema import Run, TierChange


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
