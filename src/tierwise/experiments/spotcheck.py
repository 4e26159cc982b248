"""Manual spot checks of a run's tier changes (人工抽检, R-GRD-11).

After a run is published, :func:`open_check` draws a stratified sample of the customers it
changed (direction: up, down, new, out; by the tier they moved to) into a review queue;
reviewers mark each agree or disagree (a disagreement needs its reason); the agreement per
run and per policy comes with a Wilson interval. The sample is deterministic: within each
stratum the customers with the smallest ``sha256(run_id:customer_id)`` are taken.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from sqlalchemy import Connection, Engine, case, func, insert, select, update

from tierwise.errors import ConflictError, NotFoundError, UsageError
from tierwise.experiments.stats import agreement
from tierwise.store.schema import Run, RunCutoff, SpotCheck, SpotCheckItem, TierChange

VERDICTS = ("agree", "disagree")


def _direction(frm: str | None, to: str | None, ranks: dict[str, int]) -> str:
    if frm is None:
        return "new"
    if to is None:
        return "out"
    a, b = ranks.get(frm), ranks.get(to)
    if a is None or b is None or a == b:
        return "changed"
    return "up" if b < a else "down"


def _key(run_id: str, customer_id: str) -> str:
    return hashlib.sha256(f"{run_id}:{customer_id}".encode()).hexdigest()


def open_check(
    engine: Engine, run_id: str, *, per_stratum: int, actor: str, now: dt.datetime
) -> dict[str, Any]:
    """Sample up to ``per_stratum`` changed customers per (direction, tier) into a queue."""
    if not 1 <= per_stratum <= 1000:
        raise UsageError(f"per_stratum {per_stratum} is out of range", expected="1 to 1000")
    with engine.begin() as conn:
        run = conn.execute(select(Run.id, Run.policy_name).where(Run.id == run_id)).first()
        if run is None:
            raise NotFoundError(f"no run {run_id!r}", run_id=run_id)
        if conn.execute(select(SpotCheck.id).where(SpotCheck.run_id == run_id)).first():
            raise ConflictError(f"run {run_id!r} already has a spot check")
        ranks = {
            str(t): int(r)
            for t, r in conn.execute(
                select(RunCutoff.tier, RunCutoff.rank).where(RunCutoff.run_id == run_id)
            )
        }
        changes = conn.execute(
            select(TierChange.customer_id, TierChange.from_tier, TierChange.to_tier).where(
                TierChange.run_id == run_id
            )
        ).all()
        if not changes:
            raise UsageError(f"run {run_id!r} changed no customer's tier: nothing to check")
        check_id = sample_into_queue(
            conn,
            run_id,
            run.policy_name,
            [(str(c), f, t) for c, f, t in changes],
            ranks,
            per_stratum=per_stratum,
            actor=actor,
            now=now,
        )
        return _check(conn, int(check_id))


def sample_into_queue(
    conn: Connection,
    run_id: str,
    policy_name: str | None,
    changes: list[tuple[str, str | None, str | None]],
    ranks: dict[str, int],
    *,
    per_stratum: int,
    actor: str,
    now: dt.datetime,
) -> int:
    """Insert a check of ``run_id`` with up to ``per_stratum`` of ``changes`` (customer, from,
    to) per (direction, tier moved to); returns its id. A check of no change is finished at
    once (nothing to review). The caller's transaction; one check per run."""
    if conn.execute(select(SpotCheck.id).where(SpotCheck.run_id == run_id)).first():
        raise ConflictError(f"run {run_id!r} already has a spot check")
    strata: dict[str, list[tuple[str, str | None, str | None]]] = {}
    for c, f, t in changes:
        strata.setdefault(f"{_direction(f, t, ranks)}:{t or '-'}", []).append((c, f, t))
    key = conn.execute(
        insert(SpotCheck).values(
            run_id=run_id,
            policy_name=policy_name,
            status="open" if changes else "finished",
            created_at=now,
            created_by=actor,
            finished_at=None if changes else now,
        )
    ).inserted_primary_key
    if key is None:
        raise RuntimeError("the database returned no id for the new spot check")
    check_id = int(key[0])
    rows = [
        {"check_id": check_id, "customer_id": c, "stratum": s, "from_tier": f, "to_tier": t}
        for s, members in sorted(strata.items())
        for c, f, t in sorted(members, key=lambda m: _key(run_id, m[0]))[:per_stratum]
    ]
    if rows:
        conn.execute(insert(SpotCheckItem), rows)
    return check_id


def check_of_run(conn: Connection, run_id: str) -> dict[str, Any] | None:
    """The spot check of ``run_id`` (with its items), or None."""
    check_id = conn.execute(select(SpotCheck.id).where(SpotCheck.run_id == run_id)).scalar()
    return None if check_id is None else _check(conn, int(check_id))


def _check(conn: Connection, check_id: int) -> dict[str, Any]:
    c = conn.execute(select(SpotCheck.__table__).where(SpotCheck.id == check_id)).first()
    if c is None:
        raise NotFoundError(f"no spot check {check_id}", check_id=check_id)
    items = conn.execute(
        select(SpotCheckItem.__table__)
        .where(SpotCheckItem.check_id == check_id)
        .order_by(SpotCheckItem.stratum, SpotCheckItem.id)
    ).all()
    reviewed = [i for i in items if i.verdict is not None]
    agreed = sum(i.verdict == "agree" for i in reviewed)
    return {
        "id": c.id,
        "run_id": c.run_id,
        "policy_name": c.policy_name,
        "status": c.status,
        "created_at": c.created_at,
        "created_by": c.created_by,
        "finished_at": c.finished_at,
        "sampled": len(items),
        "agreement": agreement(agreed, len(reviewed)).__dict__,
        "items": [dict(i._mapping) for i in items],
    }


def get_check(engine: Engine, check_id: int) -> dict[str, Any]:
    with engine.connect() as conn:
        return _check(conn, check_id)


def list_checks(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        ids = conn.execute(select(SpotCheck.id).order_by(SpotCheck.id.desc())).scalars().all()
        return [{k: v for k, v in _check(conn, i).items() if k != "items"} for i in ids]


def review(
    engine: Engine,
    item_id: int,
    verdict: str,
    *,
    reason: str | None,
    reviewer: str,
    now: dt.datetime,
) -> dict[str, Any]:
    """Record a verdict; the check finishes when its last item is reviewed."""
    if verdict not in VERDICTS:
        raise UsageError(f"verdict {verdict!r} is not one of {', '.join(VERDICTS)}")
    if verdict == "disagree" and not (reason and reason.strip()):
        raise UsageError("a disagreement needs its reason (what the tier should be and why)")
    with engine.begin() as conn:
        item = conn.execute(
            select(SpotCheckItem.check_id).where(SpotCheckItem.id == item_id)
        ).first()
        if item is None:
            raise NotFoundError(f"no spot-check item {item_id}", item_id=item_id)
        status = conn.execute(select(SpotCheck.status).where(SpotCheck.id == item.check_id))
        if status.scalar_one() == "finished":
            raise ConflictError(f"spot check {item.check_id} is finished")
        conn.execute(
            update(SpotCheckItem)
            .where(SpotCheckItem.id == item_id)
            .values(verdict=verdict, reason=reason, reviewer=reviewer, reviewed_at=now)
        )
        left = conn.execute(
            select(func.count()).where(
                SpotCheckItem.check_id == item.check_id, SpotCheckItem.verdict.is_(None)
            )
        ).scalar_one()
        if left == 0:
            conn.execute(
                update(SpotCheck)
                .where(SpotCheck.id == item.check_id)
                .values(status="finished", finished_at=now)
            )
        return _check(conn, int(item.check_id))


def agreement_by(engine: Engine, by: str) -> list[dict[str, Any]]:
    """Agreement per ``run`` (run_id) or per ``policy`` (policy name), with its interval."""
    if by not in ("run", "policy"):
        raise UsageError(f"agreement by {by!r}: by run or by policy")
    key = SpotCheck.run_id if by == "run" else SpotCheck.policy_name
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                key,
                func.sum(case((SpotCheckItem.verdict == "agree", 1), else_=0)),
                func.count(SpotCheckItem.verdict),
            )
            .join(SpotCheck, SpotCheck.id == SpotCheckItem.check_id)
            .group_by(key)
            .order_by(key)
        ).all()
    return [{by: k, **agreement(int(a or 0), int(n)).__dict__} for k, a, n in rows]
