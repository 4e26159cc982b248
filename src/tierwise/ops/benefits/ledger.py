"""The benefits ledger's I/O: plans, the tier writer's hook, and reading grants (R-OPS-2).

- :func:`save_plan` stores a policy's structured benefits under its hash before a run of it is
  published (the pipeline calls it), so the hook finds the plan of the run it follows;
- :func:`sync_grants` is the hook registered with the one tier writer
  (:func:`tierwise.store.tier_writer.register_hook`): in the transaction of a publication or a
  real-time regrade it reads the customers' tier states and active grants, calls the pure
  :func:`tierwise.ops.benefits.decide.decide_grants` and writes the changes, and queues
  ``benefit.granted`` / ``benefit.revoked`` webhook events in the same transaction.

A publication reconciles every customer when the plan differs from the one the previous
published run used (a new policy, or the first run with benefits), and otherwise only the
customers whose tier changed plus the grants whose grace ended; a regrade reconciles the
customers it regraded.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from tierwise.ops.benefits.decide import (
    ACTIVE,
    EMPTY_PLAN,
    EXPIRED,
    REVOKED,
    BenefitPlan,
    Grant,
    GrantChange,
    decide_grants,
)
from tierwise.ops.retention import enqueue_events
from tierwise.policy.load import policy_hash
from tierwise.policy.schema import Policy
from tierwise.store.schema import (
    BenefitGrant,
    BenefitRedemption,
    CustomerTier,
    Run,
    latest_published,
)
from tierwise.store.schema import BenefitPlan as PlanRow
from tierwise.store.tier_writer import TierWrite
from tierwise.tierstate.decide import TierState

GRANTED, REVOKED_EVENT = "benefit.granted", "benefit.revoked"
EVENTS = (GRANTED, REVOKED_EVENT)
HOOK_NAME = "benefits"
_CHUNK = 5000
_BATCH = 500  # grants per webhook message


def save_plan(engine: Engine, policy: Policy, now: dt.datetime) -> str:
    """Store ``policy``'s benefit plan under its hash (idempotent); returns the hash."""
    h = policy_hash(policy)
    store_plan(engine, h, policy.name, BenefitPlan.from_policy(policy), now)
    return h


def store_plan(engine: Engine, hash_: str, name: str, plan: BenefitPlan, now: dt.datetime) -> None:
    """Store ``plan`` as the plan of the policy whose hash is ``hash_`` (kept if present)."""
    ins = (postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert)(PlanRow)
    with engine.begin() as conn:
        conn.execute(
            ins.values(
                policy_hash=hash_, policy_name=name, plan=plan.to_json(), saved_at=now
            ).on_conflict_do_nothing(index_elements=["policy_hash"])
        )


def plan_of_run(conn: Connection, run_id: str | None) -> BenefitPlan | None:
    """The plan of the policy ``run_id`` graded with (``None``: none saved)."""
    if run_id is None:
        return None
    row = conn.execute(
        select(PlanRow.plan)
        .join(Run, Run.policy_hash == PlanRow.policy_hash)
        .where(Run.id == run_id)
    ).one_or_none()
    return None if row is None else BenefitPlan.from_json(row.plan)


def current_plan(conn: Connection) -> BenefitPlan:
    """The plan of the latest published run (empty when it has none)."""
    run_id = conn.execute(latest_published(Run.id)).scalar_one_or_none()
    return plan_of_run(conn, run_id) or EMPTY_PLAN


def _chunks(ids: Sequence[str]) -> Iterator[Sequence[str]]:
    for i in range(0, len(ids), _CHUNK):
        yield ids[i : i + _CHUNK]


def _grant(r: Any) -> Grant:
    return Grant(r.id, r.code, r.kind, r.params, r.tier, r.valid_from, r.valid_until, r.status)


def read_active(conn: Connection, ids: Sequence[str] | None) -> dict[str, list[Grant]]:
    """Active grants by customer (of ``ids``, or of everybody)."""
    cols = (BenefitGrant.customer_id, *_GRANT_COLS)
    out: dict[str, list[Grant]] = defaultdict(list)
    stmts = (
        [select(*cols).where(BenefitGrant.status == ACTIVE)]
        if ids is None
        else [
            select(*cols).where(BenefitGrant.status == ACTIVE, BenefitGrant.customer_id.in_(c))
            for c in _chunks(ids)
        ]
    )
    for stmt in stmts:
        for r in conn.execute(stmt):
            out[r.customer_id].append(_grant(r))
    return out


_GRANT_COLS = (
    BenefitGrant.id,
    BenefitGrant.code,
    BenefitGrant.kind,
    BenefitGrant.params,
    BenefitGrant.tier,
    BenefitGrant.valid_from,
    BenefitGrant.valid_until,
    BenefitGrant.status,
)


def read_all_grants(conn: Connection) -> dict[str, list[Grant]]:
    """Every grant (all statuses) by customer: what the ledger's invariant is checked on."""
    out: dict[str, list[Grant]] = defaultdict(list)
    for r in conn.execute(select(BenefitGrant.customer_id, *_GRANT_COLS)):
        out[r.customer_id].append(_grant(r))
    return out


def read_states(conn: Connection, ids: Sequence[str] | None) -> dict[str, TierState]:
    """Tier states by customer (of ``ids``, or of everybody)."""
    cols = (CustomerTier.customer_id, CustomerTier.tier, CustomerTier.since)
    stmts = (
        [select(*cols)]
        if ids is None
        else [select(*cols).where(CustomerTier.customer_id.in_(c)) for c in _chunks(ids)]
    )
    return {r.customer_id: TierState(r.tier, r.since) for s in stmts for r in conn.execute(s)}


def _customers(
    conn: Connection, write: TierWrite, plan: BenefitPlan, day: dt.date
) -> list[str] | None:
    """Who to reconcile (``None``: everybody): the customers written (a regrade) or changed (a
    run), and those whose grace ended by ``day``; everybody when a run brings a new plan."""
    if write.source == "realtime":
        written = set(write.customers.to_pylist())
    else:
        prev_run = conn.execute(
            latest_published(Run.id).where(Run.id != write.run_id)
        ).scalar_one_or_none()
        if (plan_of_run(conn, prev_run) or EMPTY_PLAN) != plan:
            return None
        written = set(write.changes["customer_id"].to_pylist())
    ended = conn.execute(
        select(BenefitGrant.customer_id).where(
            BenefitGrant.status == ACTIVE, BenefitGrant.valid_until <= day
        )
    ).scalars()
    return sorted(written | set(ended))


def sync_grants(conn: Connection, write: TierWrite) -> None:
    """The tier writer's hook: make the grants follow the tier state just written."""
    plan = plan_of_run(conn, write.run_id) or EMPTY_PLAN
    if write.source == "run":
        day = conn.execute(select(Run.as_of).where(Run.id == write.run_id)).scalar_one()
    else:
        effective = write.changes["effective"].to_pylist() if write.changes.num_rows else []
        day = max(effective) if effective else write.now.date()
    if (
        plan.empty
        and not conn.execute(
            select(BenefitGrant.id).where(BenefitGrant.status == ACTIVE).limit(1)
        ).first()
    ):
        return  # the module is not in use: nothing granted, nothing to take back
    ids = _customers(conn, write, plan, day)
    if ids is not None and not ids:
        return
    states = read_states(conn, ids)
    grants = read_active(conn, ids)
    cause = f"{write.source}:{write.run_id}"[:140]
    changes = [
        (cid, ch)
        for cid in sorted(set(states) | set(grants))
        for ch in decide_grants(grants.get(cid, ()), states.get(cid), plan, day)
    ]
    apply_changes(conn, changes, cause=cause, now=write.now)


def apply_changes(
    conn: Connection, changes: Sequence[tuple[str, GrantChange]], *, cause: str, now: dt.datetime
) -> None:
    """Write decided grant changes and queue their webhook events (in ``conn``'s transaction)."""
    ends = [(cid, c) for cid, c in changes if c.action in ("revoke", "expire")]
    if ends:
        conn.execute(
            update(BenefitGrant)
            .where(BenefitGrant.id == bindparam("gid"))
            .values(
                status=bindparam("st"),
                valid_until=bindparam("vu"),
                ended_reason=bindparam("er"),
                updated_at=now,
            ),
            [
                {
                    "gid": c.grant_id,
                    "st": REVOKED if c.action == "revoke" else EXPIRED,
                    "vu": c.valid_until,
                    "er": {**c.reason, "cause": cause},
                }
                for _, c in ends
            ],
        )
    marks = [(cid, c) for cid, c in changes if c.action in ("grace", "restore")]
    if marks:
        conn.execute(
            update(BenefitGrant)
            .where(BenefitGrant.id == bindparam("gid"))
            .values(valid_until=bindparam("vu"), ended_reason=bindparam("er"), updated_at=now),
            [
                {
                    "gid": c.grant_id,
                    "vu": c.valid_until,
                    "er": {**c.reason, "cause": cause} if c.action == "grace" else None,
                }
                for _, c in marks
            ],
        )
    new = [
        {
            "customer_id": cid,
            "code": c.code,
            "kind": c.benefit.kind,
            "params": dict(c.benefit.params),
            "tier": c.tier,
            "status": ACTIVE,
            "valid_from": c.valid_from,
            "valid_until": None,
            "cause": cause,
            "reason": c.reason,
            "ended_reason": None,
            "created_at": now,
            "updated_at": now,
        }
        for cid, c in changes
        if c.action == "grant" and c.benefit is not None
    ]
    if new:
        conn.execute(insert(BenefitGrant), new)
    events = list(_events(new, ends, cause))
    if events:
        enqueue_events(conn, events, now)


def _events(
    new: Sequence[dict[str, Any]], ends: Sequence[tuple[str, GrantChange]], cause: str
) -> Iterable[tuple[str, dict[str, Any]]]:
    granted = [
        {
            "customer_id": g["customer_id"],
            "benefit": g["code"],
            "kind": g["kind"],
            "params": g["params"],
            "tier": g["tier"],
            "valid_from": g["valid_from"].isoformat(),
        }
        for g in new
    ]
    ended = [
        {
            "customer_id": cid,
            "benefit": c.code,
            "grant_id": c.grant_id,
            "status": REVOKED if c.action == "revoke" else EXPIRED,
            "valid_until": c.valid_until.isoformat() if c.valid_until else None,
            "reason": c.reason,
        }
        for cid, c in ends
    ]
    for kind, rows in ((REVOKED_EVENT, ended), (GRANTED, granted)):
        for i in range(0, len(rows), _BATCH):
            yield kind, {"cause": cause, "grants": rows[i : i + _BATCH]}


def customer_grants(engine: Engine, customer_id: str) -> list[dict[str, Any]]:
    """Every grant of a customer, newest first (active ones first)."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(BenefitGrant.__table__)
            .where(BenefitGrant.customer_id == customer_id)
            .order_by((BenefitGrant.status != ACTIVE), BenefitGrant.id.desc())
        ).mappings()
        return [dict(r) for r in rows]


def customer_redemptions(
    engine: Engine, customer_id: str, limit: int = 100
) -> list[dict[str, Any]]:
    """A customer's latest redemptions (accepted and refused), newest first."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(BenefitRedemption.__table__)
            .where(BenefitRedemption.customer_id == customer_id)
            .order_by(BenefitRedemption.id.desc())
            .limit(limit)
        ).mappings()
        return [dict(r) for r in rows]


def usage(engine: Engine, start: dt.date, end: dt.date) -> list[dict[str, Any]]:
    """Use and cost per month, benefit and tier (accepted redemptions, ``start <= used_on <
    end``), with the refusals counted beside them. Totals equal the ledger's rows."""
    acc: dict[tuple[str, str, str | None], dict[str, Any]] = {}
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                BenefitRedemption.used_on,
                BenefitRedemption.code,
                BenefitRedemption.tier,
                BenefitRedemption.status,
                BenefitRedemption.quantity,
                BenefitRedemption.cost,
            ).where(BenefitRedemption.used_on >= start, BenefitRedemption.used_on < end)
        )
        for r in rows:
            key = (f"{r.used_on:%Y-%m}", r.code, r.tier)
            cell = acc.setdefault(
                key,
                {
                    "month": key[0],
                    "benefit": r.code,
                    "tier": r.tier,
                    "redemptions": 0,
                    "quantity": 0,
                    "cost": Decimal("0.00"),
                    "refused": 0,
                },
            )
            if r.status == "accepted":
                cell["redemptions"] += 1
                cell["quantity"] += int(r.quantity)
                cell["cost"] += Decimal(r.cost)
            else:
                cell["refused"] += 1
    return [acc[k] for k in sorted(acc, key=lambda k: (k[0], k[1], k[2] or ""))]
