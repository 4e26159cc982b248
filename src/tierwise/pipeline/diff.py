"""Policy diff (R-GRD-12): what a new policy would do, before anything is published.

The new policy grades the lake (as of the current run's date, or a given one) into a scratch
folder; each customer's *current published* tier is set against the tier the new policy
computes. The tiers compared are the computed ones, before stability rules (a downgrade would
still wait for its grace once published).
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Engine, select

from tierwise.errors import UsageError
from tierwise.grading.handoff import read_run
from tierwise.grading.run import run_grading
from tierwise.pipeline.backfill import NONE
from tierwise.policy import Policy
from tierwise.store.runs import RunStore
from tierwise.store.schema import CustomerTier, RunCutoff


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class PolicyDiff:
    """Current published tier → tier under the new policy, per customer counts."""

    policy_name: str
    as_of: dt.date
    current_run_id: str | None
    current_tiers: list[str]  # top first
    new_tiers: list[str]  # top first
    matrix: dict[tuple[str, str], int]  # (current or "—", new or "—") → customers
    up: int
    down: int
    same: int
    examples: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """JSON-able (for the API's dry-run endpoint)."""
        return {
            "policy": self.policy_name,
            "as_of": self.as_of.isoformat(),
            "current_run_id": self.current_run_id,
            "current_tiers": self.current_tiers,
            "new_tiers": self.new_tiers,
            "matrix": [{"from": a, "to": b, "customers": n} for (a, b), n in self.matrix.items()],
            "up": self.up,
            "down": self.down,
            "same": self.same,
            "examples": self.examples,
        }


def policy_diff(
    policy: Policy,
    *,
    lake: Path,
    engine: Engine,
    as_of: dt.date | None = None,
    policy_dir: Path | None = None,
    examples: int = 3,
    workdir: Path | None = None,
    clock: Callable[[], dt.datetime] = _utcnow,
) -> PolicyDiff:
    """Grade with ``policy`` (not published) and compare with the published tiers.

    Up / down compare positions from the top (0 = top tier) in each policy's own tier list;
    "no tier" is below every tier. ``examples`` customers per moved cell carry their current
    and new score and the new score's largest contributions.
    """
    store = RunStore(engine)
    current = store.current_run()
    if as_of is None:
        if current is None:
            raise UsageError("no published run to take the date from", hint="pass --as-of")
        as_of = current.as_of
    with engine.connect() as conn:
        cur_order = (
            []
            if current is None
            else list(
                conn.execute(
                    select(RunCutoff.tier)
                    .where(RunCutoff.run_id == current.id)
                    .order_by(RunCutoff.rank)
                ).scalars()
            )
        )
        cur = {
            r.customer_id: (r.tier, r.score)
            for r in conn.execute(
                select(CustomerTier.customer_id, CustomerTier.tier, CustomerTier.score)
            )
        }
    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        res = run_grading(
            policy, as_of=as_of, lake=lake, runs=Path(tmp), now=clock(), policy_dir=policy_dir
        )
        out = read_run(res.path)
        a = out.assignments()
    new_order = [lv.code for lv in policy.tiers.levels]
    contrib = [c for c in a.column_names if c.startswith("contrib_")]
    ids = a["entity_id"].to_pylist()
    new_tier = a["tier"].to_pylist()
    new_score = pc.cast(a["score"], pa.float64()).to_pylist()
    contribs = a.select(contrib).to_pylist() if contrib else [{} for _ in ids]

    def pos(order: list[str], t: str | None) -> int:
        return order.index(t) if t in order else len(order)

    matrix: dict[tuple[str, str], int] = {}
    up = down = same = 0
    shown: dict[tuple[str, str], int] = {}
    ex: list[dict[str, Any]] = []
    seen = set()
    for cid, t, s, c in zip(ids, new_tier, new_score, contribs, strict=True):
        seen.add(cid)
        old, old_score = cur.get(cid, (None, None))
        key = (old or NONE, t or NONE)
        matrix[key] = matrix.get(key, 0) + 1
        p_old, p_new = pos(cur_order, old), pos(new_order, t)
        if old is None and t is None:
            same += 1
        elif old is None or (t is not None and p_new < p_old):
            up += 1
        elif t is None or p_new > p_old:
            down += 1
        else:
            same += 1
        if old != t and shown.get(key, 0) < examples:
            shown[key] = shown.get(key, 0) + 1
            top = sorted(((k[8:], v) for k, v in c.items() if v), key=lambda kv: -abs(kv[1]))
            ex.append(
                {
                    "customer_id": cid,
                    "from": old,
                    "to": t,
                    "current_score": old_score,
                    "new_score": s,
                    "reasons": {k: round(float(v), 4) for k, v in top[:3]},
                }
            )
    for cid, (old, _s) in cur.items():  # published customers the new policy does not grade
        if cid not in seen:
            key = (old or NONE, NONE)
            matrix[key] = matrix.get(key, 0) + 1
            if old is not None:
                down += 1
            else:
                same += 1
    return PolicyDiff(
        policy.name, as_of, current.id if current else None, cur_order, new_order,
        dict(sorted(matrix.items())), up, down, same, ex,
    )  # fmt: skip
