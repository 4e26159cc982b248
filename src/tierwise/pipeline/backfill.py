"""Backfill (R-GRD-11): grade as of each past date, see the tier mix and the migrations.

Without publishing, each date is graded into its own run folder and nothing else changes.
With publishing, each date is graded *and published* in date order, so the stability rules
(upgrades at once, downgrades after the grace) play out as they would have.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Engine

from tierwise.errors import UsageError
from tierwise.grading.handoff import read_run
from tierwise.grading.run import run_grading
from tierwise.pipeline.publish import grade_and_publish
from tierwise.policy import Policy
from tierwise.store.runs import PublishSummary

Every = Literal["month", "week"]
NONE = "—"  # no tier (not graded / insufficient data / not a customer yet)


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def month_end(d: dt.date) -> dt.date:
    return d.replace(day=calendar.monthrange(d.year, d.month)[1])


def backfill_dates(start: dt.date, end: dt.date, every: Every) -> list[dt.date]:
    """The as_of dates: month ends from ``start``'s month to ``end``, or every 7 days."""
    if end < start:
        raise UsageError(f"--to {end} is before --from {start}")
    out: list[dt.date] = []
    if every == "month":
        d = month_end(start)
        while d <= end:
            out.append(d)
            d = month_end(d + dt.timedelta(days=1))
    else:
        d = start
        while d <= end:
            out.append(d)
            d += dt.timedelta(days=7)
    return out


@dataclass(frozen=True)
class BackfillStep:
    """One date of a backfill."""

    as_of: dt.date
    run_id: str
    mix: dict[str, int]  # tier (or "—") → customers
    migration: dict[tuple[str, str], int] | None  # (previous tier, tier) → customers
    published: PublishSummary | None = None


def _tiers(table: pa.Table) -> pa.Table:
    t = table.select(["entity_id", "tier"])
    return t.set_column(1, "tier", pc.fill_null(t["tier"], NONE))


def tier_mix(tiers: pa.Table) -> dict[str, int]:
    """Customers per tier of an ``entity_id, tier`` table."""
    g = tiers.group_by("tier").aggregate([("entity_id", "count")])
    return dict(zip(g["tier"].to_pylist(), g["entity_id_count"].to_pylist(), strict=True))


def migration(before: pa.Table, after: pa.Table) -> dict[tuple[str, str], int]:
    """(tier before, tier after) → customers, over the customers of either table."""
    j = before.join(after, "entity_id", join_type="full outer", left_suffix="_b", right_suffix="_a")
    j = pa.table(
        {
            "b": pc.fill_null(j["tier_b"], NONE),
            "a": pc.fill_null(j["tier_a"], NONE),
            "n": pa.array([1] * j.num_rows, pa.int64()),
        }
    )
    g = j.group_by(["b", "a"]).aggregate([("n", "sum")])
    return {
        (b, a): int(n)
        for b, a, n in zip(
            g["b"].to_pylist(), g["a"].to_pylist(), g["n_sum"].to_pylist(), strict=True
        )
    }


def backfill(
    policy: Policy,
    dates: list[dt.date],
    *,
    lake: Path,
    runs: Path,
    engine: Engine | None = None,
    publish: bool = False,
    policy_dir: Path | None = None,
    clock: Callable[[], dt.datetime] = _utcnow,
    on_step: Callable[[BackfillStep], None] | None = None,
) -> list[BackfillStep]:
    """Grade ``policy`` as of each date in order (and publish each, if ``publish``)."""
    if publish and engine is None:
        raise UsageError("publishing a backfill needs the operational store")
    if publish and policy.review is not None:
        raise UsageError(
            f"policy {policy.name!r} has a review: block: each run waits for its spot check,"
            " so a backfill cannot publish it date after date",
            hint="backfill without --publish, or with a copy of the policy without review:",
        )
    steps: list[BackfillStep] = []
    prev: pa.Table | None = None
    for d in sorted(dates):
        summary = None
        if publish:
            assert engine is not None
            # real-time events are re-applied once, on the newest date: not to past dates
            done = grade_and_publish(
                policy, as_of=d, lake=lake, runs=runs, engine=engine, trigger="backfill",
                policy_dir=policy_dir, clock=clock, reapply_events=d == max(dates),
            )  # fmt: skip
            output, summary = done.output, done.summary
        else:
            res = run_grading(
                policy, as_of=d, lake=lake, runs=runs, now=clock(), policy_dir=policy_dir
            )
            output = read_run(res.path)
        tiers = _tiers(output.assignments(["entity_id", "tier"]))
        step = BackfillStep(
            d,
            output.run_id,
            tier_mix(tiers),
            None if prev is None else migration(prev, tiers),
            summary,
        )
        prev = tiers
        steps.append(step)
        if on_step is not None:
            on_step(step)
    return steps
