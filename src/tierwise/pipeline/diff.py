"""The one dry run of a policy (R-GRD-12, issue 16 item 3): what it would do, before anything
is published. ``POST /policies/dry-run``, the console's confirmation pages and
``tierwise policy diff`` (and ``tierwise model weights``) all call :func:`policy_diff`.

The new policy grades the lake (as of the current run's date, or a given one) into a scratch
folder; each customer's *current published* tier is set against the tier the new policy
computes. The tiers compared are the computed ones, before stability rules (a downgrade would
still wait for its grace once published). A published customer the new policy does not grade
(no longer in the lake) counts as moving to no tier.

A move is classified once, by :func:`move`: the same tier code is ``same`` (even when the new
policy puts another tier above it); from no tier ``entered``, to no tier ``left``; between two
tiers of the new policy ``up`` or ``down`` by their order there; from a tier the new policy
does not have, ``other``.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections import Counter
from collections.abc import Callable, Sequence
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
from tierwise.policy import Policy, policy_hash
from tierwise.store.runs import RunStore
from tierwise.store.schema import CustomerTier, RunCutoff

MOVES = ("up", "down", "entered", "left", "other", "same")


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def move(before: str | None, after: str | None, order: Sequence[str]) -> str:
    """One of :data:`MOVES` for a customer going from tier ``before`` to ``after`` (``None``:
    no tier); ``order`` is the new policy's tier codes, top first."""
    if before == after:
        return "same"
    if before is None:
        return "entered"
    if after is None:
        return "left"
    if before in order and after in order:
        return "up" if order.index(after) < order.index(before) else "down"
    return "other"


@dataclass(frozen=True)
class PolicyDiff:
    """Current published tier → tier under the new policy, per customer counts."""

    policy_name: str
    policy_hash: str
    as_of: dt.date
    current_run_id: str | None
    current_tiers: list[str]  # top first
    new_tiers: list[str]  # top first
    matrix: dict[tuple[str | None, str | None], int]  # (current, new; None: no tier) → customers
    changes: list[tuple[str, str | None, str | None]]  # (customer_id, current, new), moved only
    tiers: dict[str, int]  # customers per computed tier
    moves: dict[str, int]  # customers per :data:`MOVES`
    examples: list[dict[str, Any]] = field(default_factory=list)

    @property
    def customers(self) -> int:
        """Customers compared: graded by the new policy or published now."""
        return sum(self.matrix.values())

    @property
    def changed(self) -> int:
        """Customers whose computed tier differs from their published one."""
        return len(self.changes)

    def as_dict(self) -> dict[str, Any]:
        """JSON-able (``tierwise policy diff --json``); no tier is ``—``."""
        return {
            "policy": self.policy_name,
            "policy_hash": self.policy_hash,
            "as_of": self.as_of.isoformat(),
            "current_run_id": self.current_run_id,
            "current_tiers": self.current_tiers,
            "new_tiers": self.new_tiers,
            "matrix": [
                {"from": a or NONE, "to": b or NONE, "customers": n}
                for (a, b), n in self.matrix.items()
            ],
            "customers": self.customers,
            "changed": self.changed,
            "tiers": self.tiers,
            **self.moves,
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

    ``policy_dir`` is where the policy's relative files (a model score, predictions) are
    found: the folder of its file. ``examples`` customers per moved cell carry their current
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
    with tempfile.TemporaryDirectory(prefix="tierwise-dry-run-", dir=workdir) as tmp:
        res = run_grading(
            policy, as_of=as_of, lake=lake, runs=Path(tmp), now=clock(), policy_dir=policy_dir
        )
        out = read_run(res.path)
        columns = ["entity_id", "tier"]
        if examples:
            columns += ["score", *(c for c in out.columns() if c.startswith("contrib_"))]
        a = out.assignments(columns)
    new_order = [lv.code for lv in policy.tiers.levels]
    ids = a["entity_id"].to_pylist()
    new_tier = [t or None for t in a["tier"].to_pylist()]
    new_score: list[float | None] = []
    contribs: list[dict[str, Any]] = []
    if examples:
        new_score = pc.cast(a["score"], pa.float64()).to_pylist()
        contribs = a.select(columns[3:]).to_pylist() if len(columns) > 3 else [{} for _ in ids]
    matrix: Counter[tuple[str | None, str | None]] = Counter()
    moves = dict.fromkeys(MOVES, 0)
    changes: list[tuple[str, str | None, str | None]] = []
    shown: Counter[tuple[str | None, str | None]] = Counter()
    ex: list[dict[str, Any]] = []
    for i, (cid, t) in enumerate(zip(ids, new_tier, strict=True)):
        old, old_score = cur.get(cid, (None, None))
        key = (old, t)
        matrix[key] += 1
        moves[move(old, t, new_order)] += 1
        if old != t:
            changes.append((cid, old, t))
            if shown[key] < examples:
                shown[key] += 1
                c = contribs[i]
                top = sorted(((k[8:], v) for k, v in c.items() if v), key=lambda kv: -abs(kv[1]))
                ex.append(
                    {
                        "customer_id": cid,
                        "from": old,
                        "to": t,
                        "current_score": old_score,
                        "new_score": new_score[i],
                        "reasons": {k: round(float(v), 4) for k, v in top[:3]},
                    }
                )
    graded = set(ids)
    for cid, (old, _s) in cur.items():  # published customers the new policy does not grade
        if cid not in graded:
            matrix[(old, None)] += 1
            moves[move(old, None, new_order)] += 1
            if old is not None:
                changes.append((cid, old, None))
    return PolicyDiff(
        policy_name=policy.name,
        policy_hash=policy_hash(policy),
        as_of=as_of,
        current_run_id=current.id if current else None,
        current_tiers=cur_order,
        new_tiers=new_order,
        matrix=dict(sorted(matrix.items(), key=lambda kv: (kv[0][0] or NONE, kv[0][1] or NONE))),
        changes=changes,
        tiers=dict(Counter(t for t in new_tier if t)),
        moves=moves,
        examples=ex,
    )
