"""Reading retention tasks (R-OPS-5) for the API, the console and the CLI.

Each task comes with what a manager needs to call: the customer's name, contact and phone
(from ``customer_profiles``; the caller masks them per role) and the customer's *current*
tier (``customer_tiers``). A task belongs to the customer's current account manager (the
profile's), or to the manager recorded when it opened if the customer has no profile.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, Select, case, false, func, select

from tierwise.ops.retention import ACTIVE, task_row
from tierwise.store.schema import (
    CustomerPrediction,
    CustomerProfile,
    CustomerTier,
    RetentionTask,
)


@dataclass(frozen=True)
class TaskFilter:
    """What a list asks for; ``scope_manager``: the caller may see only this manager's tasks
    (account managers); ``nothing``: the caller may see none."""

    status: str | None = None
    manager: str | None = None
    tier: str | None = None
    customer_id: str | None = None
    scope_manager: str | None = None
    nothing: bool = False


manager_col = func.coalesce(CustomerProfile.account_manager, RetentionTask.account_manager)
tier_col = func.coalesce(CustomerTier.tier, RetentionTask.tier)
#: what the business loses if the customer goes: LTV × churn probability (issue 18 finding 10)
risk_col = CustomerPrediction.clv * CustomerPrediction.churn_probability


def _select() -> Any:  # a Select of many columns
    return (
        select(
            RetentionTask.id,
            RetentionTask.customer_id,
            CustomerProfile.name.label("customer_name"),
            CustomerProfile.contact_name,
            CustomerProfile.phone,
            manager_col.label("account_manager"),
            tier_col.label("tier"),
            RetentionTask.tier.label("tier_at_open"),
            RetentionTask.tag,
            RetentionTask.status,
            RetentionTask.source,
            RetentionTask.run_id,
            RetentionTask.opened_at,
            RetentionTask.due_date,
            RetentionTask.steps,
            RetentionTask.note,
            RetentionTask.updated_at,
            RetentionTask.updated_by,
            RetentionTask.closed_at,
            CustomerPrediction.clv.label("ltv"),
            CustomerPrediction.churn_probability,
            risk_col.label("value_at_risk"),
        )
        .select_from(RetentionTask)
        .outerjoin(CustomerProfile, CustomerProfile.customer_id == RetentionTask.customer_id)
        .outerjoin(CustomerTier, CustomerTier.customer_id == RetentionTask.customer_id)
        .outerjoin(CustomerPrediction, CustomerPrediction.customer_id == RetentionTask.customer_id)
    )


def _filtered(f: TaskFilter) -> Select[Any]:
    stmt: Select[Any] = _select()
    if f.nothing:
        stmt = stmt.where(false())
    if f.scope_manager is not None:
        stmt = stmt.where(manager_col == f.scope_manager)
    if f.status:
        stmt = stmt.where(RetentionTask.status == f.status)
    if f.manager:
        stmt = stmt.where(manager_col == f.manager)
    if f.tier:
        stmt = stmt.where(tier_col == f.tier)
    if f.customer_id:
        stmt = stmt.where(RetentionTask.customer_id == f.customer_id)
    return stmt


def _out(row: Any, today: dt.date) -> dict[str, Any]:
    d = dict(row._mapping)
    d["overdue"] = d["status"] in ACTIVE and d["due_date"] < today
    return d


def list_tasks(
    engine: Engine, f: TaskFilter, *, today: dt.date, offset: int = 0, limit: int = 50
) -> tuple[list[dict[str, Any]], int]:
    """One page of tasks and how many match: the ones still to do first, by value at risk
    (LTV × churn probability, highest first; customers without predictions after), then by
    due date."""
    stmt = _filtered(f)
    active_first = case((RetentionTask.status.in_(ACTIVE), 0), else_=1)
    with engine.connect() as conn:
        total = conn.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
        rows = conn.execute(
            stmt.order_by(
                active_first,
                risk_col.desc().nulls_last(),
                RetentionTask.due_date,
                RetentionTask.id,
            )
            .offset(offset)
            .limit(limit)
        ).all()
    return [_out(r, today) for r in rows], int(total)


def get_task(engine: Engine, task_id: int, *, today: dt.date) -> dict[str, Any] | None:
    """One task with the customer's details and its log; None if there is no such task."""
    with engine.connect() as conn:
        row = conn.execute(_select().where(RetentionTask.id == task_id)).first()
    if row is None:
        return None
    return {**_out(row, today), "log": task_row(engine, task_id)["log"]}


def open_task_of(engine: Engine, customer_id: str, *, today: dt.date) -> dict[str, Any] | None:
    """The customer's task still to do (open or in progress), if any."""
    f = TaskFilter(customer_id=customer_id)
    with engine.connect() as conn:
        row = conn.execute(
            _filtered(f).where(RetentionTask.status.in_(ACTIVE)).order_by(RetentionTask.id.desc())
        ).first()
    return None if row is None else _out(row, today)


def counts_by_status(engine: Engine, f: TaskFilter) -> dict[str, int]:
    """How many tasks in each status (for the console's summary)."""
    sub = _filtered(TaskFilter(**{**f.__dict__, "status": None})).subquery()
    with engine.connect() as conn:
        rows = conn.execute(select(sub.c.status, func.count()).group_by(sub.c.status)).all()
    return {str(s): int(n) for s, n in rows}
