"""``/tasks``: churn retention call-back tasks of account managers (R-OPS-5).

Tasks open and close by themselves (:mod:`tierwise.ops.retention`); people read them and
move them on (in progress, done, cancelled) with a note. Account managers see and update
their own customers' tasks only, admins all; the customer's contact and phone are masked
for roles that do not see personal data (R-INT-4).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from tierwise.api.access import Action, CustomerRef, Principal, Role, decide, sees_personal
from tierwise.api.deps import AppContext, Ctx, allow
from tierwise.api.errors import AUTH_ERRORS, BAD_INPUT, CONFLICT, NOT_FOUND
from tierwise.api.masking import mask_record
from tierwise.api.schemas.common import MAX_PAGE_SIZE, Input, Page, Timestamp
from tierwise.errors import NotFoundError, PermissionDeniedError
from tierwise.ops.retention import update_task
from tierwise.ops.tasks import TaskFilter, get_task, list_tasks

router = APIRouter(prefix="/tasks", tags=["tasks"], responses={**AUTH_ERRORS, **BAD_INPUT})
TaskId = Annotated[int, Path(ge=1, le=2**31 - 1)]
Status = Literal["open", "in_progress", "done", "cancelled", "recovered"]
Code = Annotated[str, Query(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_.-]+$")]


class TaskStep(BaseModel):
    kind: str = Field(description="coupon | sms: sent by the CRM / SMS system, not Tierwise")
    after_days: int
    due: date
    amount: float | None = None
    valid_days: int | None = None
    template: str | None = None


class TaskPublic(BaseModel):
    id: int
    customer_id: str
    customer_name: str | None
    contact_name: str | None = Field(description="Masked unless the role sees personal data")
    phone: str | None = Field(description="Masked unless the role sees personal data")
    masked: bool
    account_manager: str | None
    tier: str | None = Field(description="The customer's current tier")
    tier_at_open: str | None
    tag: str
    status: Status
    source: str = Field(description="run (a published run) | realtime (a regrade)")
    run_id: str | None
    opened_at: Timestamp
    due_date: date = Field(description="Call back by this day")
    overdue: bool
    steps: list[TaskStep]
    note: str | None = Field(description="The latest outcome note")
    updated_at: Timestamp
    updated_by: str
    closed_at: Timestamp | None


class TaskLogEntry(BaseModel):
    at: Timestamp
    actor: str
    from_status: str | None
    to_status: str
    note: str | None


class TaskDetail(TaskPublic):
    log: list[TaskLogEntry] = Field(description="Every change, oldest first")


class TaskUpdate(Input):
    status: Literal["open", "in_progress", "done", "cancelled"] = Field(
        description="recovered is set by Tierwise only, when the tag goes away"
    )
    note: str | None = Field(
        default=None, max_length=2000, description="Required for done and cancelled"
    )


def _ref(row: dict[str, Any]) -> CustomerRef:
    return CustomerRef(row["customer_id"], row["account_manager"])


def visible(principal: Principal, row: dict[str, Any]) -> dict[str, Any]:
    """A task row as ``principal`` may see it (personal fields masked per role)."""
    unmasked = sees_personal(principal, _ref(row))
    out = mask_record(row, unmasked=unmasked)
    out["masked"] = not unmasked
    return out


def audit_reads(
    ctx: AppContext, principal: Principal, views: list[dict[str, Any]], *, via: str = "api"
) -> None:
    """Record the unmasked reads among ``views`` (issue 17 #6: every unmasked read of
    personal data is audited, whatever the route: here a task's contact and phone)."""
    ids = [v["customer_id"] for v in views if not v["masked"]]
    if ids:
        ctx.audit.record(
            principal,
            "personal.read",
            now=ctx.now(),
            target=ids[0] if len(ids) == 1 else "tasks",
            detail={"customers": len(ids), "first": ids[:20], "via": f"{via} tasks"},
            buffered=True,
        )


def task_filter(principal: Principal, **values: Any) -> TaskFilter:
    """The filter of a list for ``principal``: account managers see their own tasks only."""
    if principal.role is Role.SALES:
        if principal.manager_id is None:
            return TaskFilter(nothing=True, **values)
        return TaskFilter(scope_manager=principal.manager_id, **values)
    return TaskFilter(**values)


def load_task(
    ctx: AppContext, principal: Principal, task_id: int, action: Action
) -> dict[str, Any]:
    """One task, checked with ``decide`` against its customer (404 / 403 otherwise)."""
    row = get_task(ctx.engine, task_id, today=ctx.now().date())
    if row is None:
        raise NotFoundError(f"no retention task {task_id}", task_id=task_id)
    d = decide(principal, action, _ref(row))
    if not d:
        raise PermissionDeniedError(d.reason, action=action.value)
    return row


def change_task(
    ctx: AppContext, principal: Principal, task_id: int, status: str, note: str | None
) -> dict[str, Any]:
    """Move a task on (the API's route, the console and the CLI call this); audited."""
    load_task(ctx, principal, task_id, Action.TASK_UPDATE)
    now = ctx.now()
    update_task(ctx.engine, task_id, status, actor=principal.subject, now=now, note=note)
    row = load_task(ctx, principal, task_id, Action.TASK_UPDATE)
    ctx.audit.record(
        principal,
        "task.update",
        now=now,
        target=row["customer_id"],
        detail={"task_id": task_id, "status": status, "note": note},
    )
    return row


@router.get("", response_model=Page[TaskPublic])
def list_route(
    ctx: Ctx,
    principal: Annotated[Principal, allow(Action.TASK_LIST)],
    status: Annotated[Status | None, Query()] = None,
    manager: Code | None = None,
    tier: Code | None = None,
    customer_id: Code | None = None,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 50,
) -> Page[TaskPublic]:
    """Retention tasks, the ones still to do first (by due date). Filters: ``status``,
    ``manager`` (account-manager id), ``tier`` (the customer's current tier), ``customer_id``.
    Account managers get their own customers' tasks only."""
    f = task_filter(principal, status=status, manager=manager, tier=tier, customer_id=customer_id)
    rows, total = list_tasks(ctx.engine, f, today=ctx.now().date(), offset=offset, limit=limit)
    views = [visible(principal, r) for r in rows]
    audit_reads(ctx, principal, views)
    return Page(items=[TaskPublic(**v) for v in views], total=total, offset=offset, limit=limit)


@router.get("/{task_id}", response_model=TaskDetail, responses=NOT_FOUND)
def get_route(
    ctx: Ctx, principal: Annotated[Principal, allow(Action.TASK_LIST)], task_id: TaskId
) -> TaskDetail:
    """One task with its log (who changed it, when, with which note)."""
    view = visible(principal, load_task(ctx, principal, task_id, Action.TASK_LIST))
    audit_reads(ctx, principal, [view])
    return TaskDetail(**view)


@router.patch("/{task_id}", response_model=TaskDetail, responses={**NOT_FOUND, **CONFLICT})
def update_route(
    ctx: Ctx,
    principal: Annotated[Principal, allow(Action.TASK_UPDATE)],
    task_id: TaskId,
    body: TaskUpdate,
) -> TaskDetail:
    """Move a task on: ``in_progress``, back to ``open``, ``done`` or ``cancelled`` (these two
    need a ``note``: what came of the call). A closed task (done, cancelled, recovered) cannot
    change: 409. Sent to webhooks subscribed to ``retention.task``."""
    view = visible(principal, change_task(ctx, principal, task_id, body.status, body.note))
    audit_reads(ctx, principal, [view])
    return TaskDetail(**view)
