"""The churn retention flow (R-OPS-5): call-back tasks for account managers.

A customer newly tagged with the policy's ``retention.tag`` (``churn_warning``) gets one
**retention task**: a call-back for their account manager, due ``callback_within_days``
later. The policy's coupon and SMS steps are not sent by Tierwise (it has no SMS gateway):
each is written to the webhook outbox (:mod:`tierwise.store.webhooks`) as a
``retention.coupon`` / ``retention.sms`` event with its due date, in the same transaction as
the task, for the CRM / SMS system to act on. Where a task opens (a new churn-warning
episode), the campaigns triggered by ``churn_warning`` are sent in the same transaction
(:func:`tierwise.ops.campaigns.triggers.on_churn_warning`: their coupons are real ones, one
use, with a holdout).

:func:`sync_tasks` is the one place tasks open and close by themselves. It compares the set
of tagged customers with the customers' *active* tasks (``tag_cleared_at`` unset; a partial
unique index keeps one per customer): a tagged customer without one gets a task, an active
task whose customer is no longer tagged is closed as ``recovered`` (if still open or in
progress) and marked as cleared. Syncing the same state twice therefore does nothing: a
re-published run or a duplicate event opens no second task. A task done or cancelled by its
manager stays the customer's active one until the tag goes away, so the next run does not
open a new task for the same episode.

Callers: :func:`sync_after_publish` (the publish path, from the published run's tags) and
:func:`sync_after_regrade` (the real-time regrade, from the tag rule evaluated on the
customer's features after their events). People change a task's status with
:func:`update_task` (API, console, CLI).
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from tierwise.errors import ConflictError, DataError, NotFoundError
from tierwise.lake import has_table, table_dir
from tierwise.ops.campaigns.triggers import on_churn_warning
from tierwise.policy.parsed import rule
from tierwise.policy.rules import Rule, RuleError
from tierwise.policy.schema import Policy, Retention
from tierwise.store.schema import (
    CustomerPrediction,
    CustomerProfile,
    CustomerTag,
    CustomerTier,
    OutboxMessage,
    RetentionTask,
    RetentionTaskLog,
    Webhook,
)

log = logging.getLogger(__name__)

SYSTEM = "system"
STATUSES = ("open", "in_progress", "done", "cancelled", "recovered")
ACTIVE = ("open", "in_progress")  # the manager still has something to do
# What a person may change a task to, from each status (``recovered`` is set by the system
# only, when the tag goes away; done / cancelled / recovered are final)
TRANSITIONS: dict[str, frozenset[str]] = {
    "open": frozenset({"in_progress", "done", "cancelled"}),
    "in_progress": frozenset({"open", "done", "cancelled"}),
    "done": frozenset(),
    "cancelled": frozenset(),
    "recovered": frozenset(),
}
NEEDS_NOTE = frozenset({"done", "cancelled"})  # the outcome must be written down

TASK_EVENT = "retention.task"
COUPON_EVENT = "retention.coupon"
SMS_EVENT = "retention.sms"
EVENTS = (TASK_EVENT, COUPON_EVENT, SMS_EVENT)


@dataclass(frozen=True)
class SyncResult:
    """What one :func:`sync_tasks` call did."""

    opened: tuple[int, ...] = ()  # task ids
    recovered: tuple[int, ...] = ()  # tasks closed because the tag went away
    cleared: tuple[int, ...] = ()  # done / cancelled tasks whose episode ended
    messages: int = 0  # webhook messages queued


# Ids per IN (...) list: SQLite allows 32 766 bound values per statement, PostgreSQL 65 535;
# a first publish can tag a hundred thousand customers at once
CHUNK = 5000


def _chunks(items: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


def _insert(conn: Connection) -> Any:
    return postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert


def _step_events(
    task: Mapping[str, Any], steps: list[dict[str, Any]]
) -> list[tuple[str, dict[str, Any]]]:
    out: list[tuple[str, dict[str, Any]]] = [(TASK_EVENT, {"action": "opened", "task": task})]
    for s in steps:
        out.append(
            (
                COUPON_EVENT if s["kind"] == "coupon" else SMS_EVENT,
                {"task_id": task["id"], "customer_id": task["customer_id"], "step": s},
            )
        )
    return out


def enqueue_events(
    conn: Connection, events: Iterable[tuple[str, dict[str, Any]]], now: dt.datetime
) -> int:
    """Queue ``(event type, payload)`` pairs for every active webhook subscribed to that type
    (the outbox of :mod:`tierwise.store.webhooks`, delivered by its ``Deliverer``)."""
    hooks = conn.execute(select(Webhook.id, Webhook.events).where(Webhook.active)).all()
    rows = []
    for kind, payload in events:
        for h in hooks:
            if kind in (h.events or []):
                rows.append(
                    {
                        "webhook_id": h.id,
                        "event_id": uuid.uuid4().hex,
                        "event_type": kind,
                        "payload": {"event": kind, **payload},
                        "status": "pending",
                        "attempts": 0,
                        "created_at": now,
                        "next_attempt_at": now,
                    }
                )
    if rows:
        conn.execute(insert(OutboxMessage), rows)
    return len(rows)


def _json(task: Mapping[str, Any]) -> dict[str, Any]:
    """A task as it travels in a webhook payload (dates as ISO text)."""
    return {
        k: v.isoformat() if isinstance(v, dt.date | dt.datetime) else v
        for k, v in task.items()
        if k not in ("tag_cleared_at",)
    }


def sync_tasks(
    conn: Connection,
    config: Retention,
    tagged: Collection[str],
    *,
    now: dt.datetime,
    source: str,
    run_id: str | None = None,
    scope: Collection[str] | None = None,
    exclude: Collection[str] = (),
    capacity: Mapping[str, int] | None = None,
) -> SyncResult:
    """Open a task for each customer of ``tagged`` without an active one; close the active
    tasks of customers (of ``scope``, or all; never those of ``exclude``) no longer tagged.
    Idempotent; in ``conn``'s transaction, with the webhook events of what it did.
    ``capacity``: calls a day per account manager (else ``config.calls_per_day``), which
    spreads the new tasks' due dates (:func:`_due_dates`)."""
    skip = set(exclude)
    tagged = {c for c in tagged if c not in skip}
    if scope is not None:
        tagged &= set(scope)
    active_q = select(RetentionTask.id, RetentionTask.customer_id, RetentionTask.status).where(
        RetentionTask.tag_cleared_at.is_(None)
    )
    if scope is None:
        found = list(conn.execute(active_q))
    else:
        found = [
            r
            for part in _chunks(sorted(set(scope)))
            for r in conn.execute(active_q.where(RetentionTask.customer_id.in_(part)))
        ]
    active = {r.customer_id: r for r in found if r.customer_id not in skip}
    events: list[tuple[str, dict[str, Any]]] = []

    # -- close: the customer came back --------------------------------------------------
    gone = [r for c, r in active.items() if c not in tagged]
    recovered = [r.id for r in gone if r.status in ACTIVE]
    cleared = [r.id for r in gone if r.status not in ACTIVE]
    if gone:
        note = f"{config.tag} cleared ({source}{': ' + run_id if run_id else ''})"
        for part in _chunks(recovered):
            conn.execute(
                update(RetentionTask)
                .where(RetentionTask.id.in_(part))
                .values(
                    status="recovered",
                    closed_at=now,
                    tag_cleared_at=now,
                    updated_at=now,
                    updated_by=SYSTEM,
                    note=note,
                )
            )
        for part in _chunks(cleared):
            conn.execute(
                update(RetentionTask).where(RetentionTask.id.in_(part)).values(tag_cleared_at=now)
            )
        conn.execute(
            insert(RetentionTaskLog),
            [
                {
                    "task_id": r.id,
                    "at": now,
                    "actor": SYSTEM,
                    "from_status": r.status,
                    "to_status": "recovered" if r.status in ACTIVE else r.status,
                    "note": note,
                }
                for r in gone
            ],
        )
        events += [
            (TASK_EVENT, {"action": "recovered", "task_id": r.id, "customer_id": c})
            for c, r in active.items()
            if r.status in ACTIVE and c not in tagged
        ]

    # -- open: newly tagged ----------------------------------------------------------------
    new = sorted(tagged - set(active))
    opened: list[int] = []
    if new:
        managers: dict[str, str | None] = {}
        tiers: dict[str, str | None] = {}
        for part in _chunks(new):
            for p in conn.execute(
                select(CustomerProfile.customer_id, CustomerProfile.account_manager).where(
                    CustomerProfile.customer_id.in_(part)
                )
            ):
                managers[p.customer_id] = p.account_manager
            for t in conn.execute(
                select(CustomerTier.customer_id, CustomerTier.tier).where(
                    CustomerTier.customer_id.in_(part)
                )
            ):
                tiers[t.customer_id] = t.tier
        day = now.date()
        due = _due_dates(conn, config, new, managers, day, capacity or {})
        steps = [
            {
                **s.model_dump(exclude_none=True),
                "due": (day + dt.timedelta(days=s.after_days)).isoformat(),
            }
            for s in config.steps
        ]
        rows = [
            {
                "customer_id": c,
                "account_manager": managers.get(c),
                "tier": tiers.get(c),
                "tag": config.tag,
                "status": "open",
                "source": source,
                "run_id": run_id,
                "opened_at": now,
                "due_date": due[c],
                "steps": steps,
                "updated_at": now,
                "updated_by": SYSTEM,
            }
            for c in new
        ]
        # a concurrent sync (a regrade while a run publishes) may have opened one already:
        # the partial unique index refuses it, and this one skips it instead of failing
        stmt = (
            _insert(conn)(RetentionTask)
            .on_conflict_do_nothing(
                index_elements=["customer_id"],
                index_where=RetentionTask.tag_cleared_at.is_(None),
            )
            .returning(RetentionTask.id, RetentionTask.customer_id)
        )
        made = {r.customer_id: r.id for r in conn.execute(stmt, rows)}
        if made:
            opened = sorted(made.values())
            conn.execute(
                insert(RetentionTaskLog),
                [
                    {
                        "task_id": made[c],
                        "at": now,
                        "actor": SYSTEM,
                        "from_status": None,
                        "to_status": "open",
                        "note": f"tagged {config.tag} ({source}{': ' + run_id if run_id else ''})",
                    }
                    for c in sorted(made)
                ],
            )
            for made_row in rows:
                if made_row["customer_id"] in made:
                    task = _json({**made_row, "id": made[made_row["customer_id"]]})
                    events += _step_events(task, steps)
            # an episode starts: the campaigns triggered by a churn warning (issue 24)
            on_churn_warning(conn, sorted(made), now)
    messages = enqueue_events(conn, events, now) if events else 0
    return SyncResult(tuple(opened), tuple(sorted(recovered)), tuple(sorted(cleared)), messages)


def value_at_risk(conn: Connection, customers: Sequence[str]) -> dict[str, float]:
    """LTV × churn probability of each customer that has both (published predictions)."""
    out: dict[str, float] = {}
    for part in _chunks(sorted(customers)):
        for r in conn.execute(
            select(
                CustomerPrediction.customer_id,
                CustomerPrediction.clv,
                CustomerPrediction.churn_probability,
            ).where(CustomerPrediction.customer_id.in_(part))
        ):
            if r.clv is not None and r.churn_probability is not None:
                out[r.customer_id] = float(r.clv) * float(r.churn_probability)
    return out


def _due_dates(
    conn: Connection,
    config: Retention,
    new: Sequence[str],
    managers: Mapping[str, str | None],
    day: dt.date,
    capacity: Mapping[str, int],
) -> dict[str, dt.date]:
    """When each new task is due: ``callback_within_days`` after ``day``, later for a
    manager with more call-backs than calls a day. Each manager's line is their tasks still to
    do (open or in progress), then the new ones by value at risk, highest first (customers
    without predictions last, by id); the k-th call in line is due ``k // calls`` days after the
    first due day. Without a capacity for a manager every new task is due on the first day."""
    first = day + dt.timedelta(days=config.callback_within_days)
    risk = value_at_risk(conn, new)
    backlog: dict[str, int] = {}
    for m, n in conn.execute(
        select(RetentionTask.account_manager, func.count())
        .where(RetentionTask.status.in_(ACTIVE), RetentionTask.account_manager.is_not(None))
        .group_by(RetentionTask.account_manager)
    ):
        backlog[str(m)] = int(n)
    line: dict[str | None, list[str]] = {}
    for c in sorted(new, key=lambda c: (-risk.get(c, -1.0), c)):
        line.setdefault(managers.get(c), []).append(c)
    due: dict[str, dt.date] = {}
    for m, queue in line.items():
        calls = capacity.get(m or "", config.calls_per_day or 0) if m else 0
        start = backlog.get(m or "", 0)
        for k, c in enumerate(queue):
            later = (start + k) // calls if calls else 0
            due[c] = first + dt.timedelta(days=later)
    return due


def _managers(lake: Path, column: str) -> dict[str, Any]:
    """``manager_id -> column`` from the lake's ``account_managers`` table (empty when the lake
    has no such table or column)."""
    if not has_table(lake, "account_managers"):
        return {}
    import pyarrow.dataset as ds

    data = ds.dataset(table_dir(lake, "account_managers"), format="parquet")
    if column not in data.schema.names:
        return {}
    table = data.to_table(columns=["manager_id", column])
    return {
        str(m): v
        for m, v in zip(table["manager_id"].to_pylist(), table[column].to_pylist(), strict=True)
        if m is not None and v
    }


def manager_capacity(lake: Path) -> dict[str, int]:
    """Calls a day per account manager from the lake's ``account_managers`` table
    (``capacity_per_day``); empty when the lake has no such table."""
    return {m: int(c) for m, c in _managers(lake, "capacity_per_day").items()}


def manager_territory(lake: Path) -> dict[str, str]:
    """Each account manager's territory (``account_managers.territory``, a city), for the
    visit planner's cover of overflow (docs/visits.md); empty when the lake has none."""
    return {m: str(t).strip() for m, t in _managers(lake, "territory").items() if str(t).strip()}


def manager_names(lake: Path) -> dict[str, str]:
    """Each account manager's name by code (``account_managers.name``), for lists and filters
    that show staff by name (issue 18 item 4); empty when the lake has none."""
    return {m: str(n).strip() for m, n in _managers(lake, "name").items() if str(n).strip()}


def sync_after_publish(
    engine: Engine,
    policy: Policy,
    run_id: str,
    *,
    now: dt.datetime,
    skip: Collection[str] = (),
    capacity: Mapping[str, int] | None = None,
) -> SyncResult:
    """Sync the tasks with the tags of the just-published run (``customer_tags``, refreshed
    by the publish path). ``skip``: customers the publish transaction regraded from real-time
    events, whose tasks :func:`sync_after_regrade` already decided."""
    if policy.retention is None:
        return SyncResult()
    config = policy.retention
    with engine.begin() as conn:
        tagged = set(
            conn.execute(select(CustomerTag.customer_id).where(CustomerTag.tag == config.tag))
            .scalars()
            .all()
        )
        return sync_tasks(
            conn, config, tagged, now=now, source="run", run_id=run_id, exclude=skip,
            capacity=capacity,
        )  # fmt: skip


def tag_rule(policy: Policy) -> Rule | None:
    """The retention tag's rule of ``policy`` (None: no retention block or no such tag)."""
    if policy.retention is None:
        return None
    for t in policy.tags:
        if t.code == policy.retention.tag:
            try:
                return rule(t.when, "labels", policy.prediction_columns)
            except RuleError:  # pragma: no cover - a loaded policy's rules are checked
                return None
    return None


def sync_after_regrade(
    conn: Connection,
    policy: Policy,
    features: Mapping[str, Mapping[str, Any]],
    *,
    run_id: str | None,
    now: dt.datetime,
) -> SyncResult:
    """Sync the tasks of customers just regraded in real time, in the regrade's transaction.

    ``features``: each customer's feature row after their events (plus ``tier_rank``). The
    tag rule is evaluated on it; a rule naming something the row lacks (a model prediction)
    leaves the customer's tasks alone: the next run decides.
    """
    rule = tag_rule(policy)
    if rule is None or policy.retention is None or not features:
        return SyncResult()
    decided = {c: row for c, row in features.items() if rule.names <= set(row)}
    if not decided:
        return SyncResult()
    tagged = {c for c, row in decided.items() if rule.evaluate(row)}
    return sync_tasks(
        conn,
        policy.retention,
        tagged,
        now=now,
        source="realtime",
        run_id=run_id,
        scope=list(decided),
    )


def update_task(
    engine: Engine,
    task_id: int,
    status: str,
    *,
    actor: str,
    now: dt.datetime,
    note: str | None = None,
) -> dict[str, Any]:
    """A person moves a task to ``status`` with a ``note`` (required for done / cancelled);
    logged, and sent as a ``retention.task`` event. The caller checks access first."""
    if status not in STATUSES:
        raise DataError(
            f"unknown task status {status!r}",
            hint="one of " + ", ".join(s for s in STATUSES if s != "recovered"),
            field="status",
        )
    note = (note or "").strip() or None
    if status in NEEDS_NOTE and note is None:
        raise DataError(
            f"closing a task as {status} needs a note", hint="say what came of it", field="note"
        )
    with engine.begin() as conn:
        q = select(RetentionTask).where(RetentionTask.id == task_id)
        if conn.dialect.name == "postgresql":
            q = q.with_for_update()
        row = conn.execute(q).first()
        if row is None:
            raise NotFoundError(f"no retention task {task_id}", task_id=task_id)
        current = row.status
        final = not TRANSITIONS[current]  # done, cancelled, recovered: nothing changes them
        if final or (status != current and status not in TRANSITIONS[current]):
            allowed = ", ".join(sorted(TRANSITIONS[current])) or "nothing: it is closed"
            raise ConflictError(
                f"task {task_id} is {current}; it cannot become {status}",
                hint=f"from {current} it can become {allowed}",
                field="status",
            )
        values: dict[str, Any] = {"status": status, "updated_at": now, "updated_by": actor}
        if note is not None:
            values["note"] = note
        if status in NEEDS_NOTE:
            values["closed_at"] = now
        conn.execute(update(RetentionTask).where(RetentionTask.id == task_id).values(values))
        conn.execute(
            insert(RetentionTaskLog).values(
                task_id=task_id,
                at=now,
                actor=actor,
                from_status=current,
                to_status=status,
                note=note,
            )
        )
        enqueue_events(
            conn,
            [
                (
                    TASK_EVENT,
                    {
                        "action": status,
                        "task_id": task_id,
                        "customer_id": row.customer_id,
                        "note": note,
                        "by": actor,
                    },
                )
            ],
            now,
        )
    return task_row(engine, task_id)


def task_row(engine: Engine, task_id: int) -> dict[str, Any]:
    """One task with its log (oldest first)."""
    with engine.connect() as conn:
        row = conn.execute(
            select(RetentionTask.__table__).where(RetentionTask.id == task_id)
        ).first()
        if row is None:
            raise NotFoundError(f"no retention task {task_id}", task_id=task_id)
        logs = conn.execute(
            select(RetentionTaskLog.__table__)
            .where(RetentionTaskLog.task_id == task_id)
            .order_by(RetentionTaskLog.id)
        )
        return {**row._mapping, "log": [dict(r._mapping) for r in logs]}
