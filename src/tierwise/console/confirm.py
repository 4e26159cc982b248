"""What a console action would change, shown before it is done (issue 18 finding 2).

Starting a run and publishing a policy first dry-run the policy against the tiers customers
hold now (:func:`tierwise.api.grading.dry_run`, nothing published) and show the counts per
tier before and after and how many customers would move up and down; a manual override shows
the one customer's move. The action happens only when the confirmation form is posted with
``confirmed=yes``. The live policy (the one the latest published run used) is named on the
policies and runs pages and is the run picker's default.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Sequence
from typing import Any

from tierwise.api import grading
from tierwise.api.deps import AppContext
from tierwise.pipeline.diff import move
from tierwise.policy import policy_hash
from tierwise.policy.schema import Policy
from tierwise.store.schema import Run, latest_published


def live_policy(ctx: AppContext) -> dict[str, Any] | None:
    """The policy of the latest published run: ``name``, ``run_id``, ``as_of``, ``file``."""
    with ctx.engine.connect() as conn:
        row = conn.execute(latest_published(Run.id, Run.policy_name, Run.as_of)).first()
    if row is None:
        return None
    path = ctx.policies.path_of(row.policy_name)
    return {
        "name": row.policy_name,
        "run_id": row.id,
        "as_of": row.as_of,
        "file": path.name if path else None,
    }


def tier_rows(matrix: Sequence[dict[str, Any]], order: Sequence[str]) -> list[dict[str, Any]]:
    """Customers per tier now (``before``) and after, the policy's tiers first (top first)."""
    before: dict[str, int] = {}
    after: dict[str, int] = {}
    for cell in matrix:
        a, b, n = cell["from_tier"], cell["to_tier"], int(cell["customers"])
        if a:
            before[a] = before.get(a, 0) + n
        if b:
            after[b] = after.get(b, 0) + n
    tiers = [c for c in order if c in before or c in after]
    tiers += sorted((set(before) | set(after)) - set(tiers))
    return [{"tier": t, "before": before.get(t, 0), "after": after.get(t, 0)} for t in tiers]


PREVIEW_TTL_S = 120.0


def preview(ctx: AppContext, policy: Policy, as_of: dt.date) -> dict[str, Any]:
    """The dry run of ``policy`` as of ``as_of`` against the tiers held now (the one dry run,
    :func:`tierwise.api.grading.dry_run`: the policy's own computed tiers, before stability
    rules), with :func:`tier_rows`.

    The latest one is kept for two minutes (same policy, date and published run), so that
    paging through its changed customers does not grade the lake again.
    """
    live = live_policy(ctx)
    key = (policy_hash(policy), as_of, live["run_id"] if live else None)
    hit = ctx.cache.get("console-preview")
    if hit is not None and hit[0] == key and time.monotonic() - hit[1] < PREVIEW_TTL_S:
        cached: dict[str, Any] = hit[2]
        return cached
    diff = grading.dry_run(
        policy,
        as_of=as_of,
        lake=ctx.settings.lake_dir,
        engine=ctx.engine,
        policy_dir=ctx.settings.policies_dir,
        now=ctx.now(),
    )
    out = {**diff, "rows": tier_rows(diff["matrix"], [lv.code for lv in policy.tiers.levels])}
    ctx.cache["console-preview"] = (key, time.monotonic(), out)
    return out


def changed_page(
    pv: dict[str, Any], order: Sequence[str], *, page: int, size: int
) -> tuple[list[tuple[str, str | None, str | None, str]], int]:
    """One page of the dry run's changed customers, ordered by current tier then new tier in
    the policy's order (ungraded last), then id; each with its move (up, down, entered,
    left, other: :func:`tierwise.pipeline.diff.move`) and the number of pages."""
    rank = {c: i for i, c in enumerate(order)}

    def r(t: str | None) -> int:
        return rank.get(t, len(rank)) if t else len(rank) + 1

    rows = sorted(pv["changes"], key=lambda c: (r(c[1]), r(c[2]), c[0]))
    pages = max(1, -(-len(rows) // size))
    chunk = rows[(page - 1) * size : page * size]
    return [(cid, a, b, move(a, b, order)) for cid, a, b in chunk], pages
