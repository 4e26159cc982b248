"""The analyses of one published run, from the store and the lake (CLI, API, console, report)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Engine

from tierwise.analytics import effect as effect_mod
from tierwise.analytics import metrics as metrics_mod
from tierwise.analytics.lakeio import last_order_day, open_tables
from tierwise.analytics.source import (
    RunInfo,
    assignments,
    cohort,
    load_run,
    previous_run,
    require_days,
)
from tierwise.errors import UsageError
from tierwise.lake import LakeLocation


def _only(t: pa.Table, allowed: Collection[str] | None) -> pa.Table:
    """Rows of ``t`` whose ``entity_id`` is in ``allowed`` (all when None)."""
    if allowed is None:
        return t
    return t.filter(pc.is_in(t["entity_id"], pa.array(sorted(allowed), pa.string())))


@dataclass(frozen=True)
class RunMetrics:
    run: RunInfo
    tiers: list[metrics_mod.TierMetrics]


def run_metrics(
    engine: Engine,
    lake: LakeLocation,
    run_id: str,
    *,
    runs_dir: Path | None = None,
    allowed: Collection[str] | None = None,
    con: Any = None,
) -> RunMetrics:
    """Per-tier metrics of published run ``run_id`` (R-ANA-6), over the customers in
    ``allowed`` (every customer when None)."""
    run = load_run(engine, run_id, runs_dir)
    tables = open_tables(lake, metrics_mod.FEATURES, con)
    rows = metrics_mod.tier_metrics(
        tables,
        _only(assignments(engine, run.run_id), allowed),
        run.as_of,
        lookback_days=run.lookback_days,
        entity=run.entity,
        ranks=run.ranks,
    )
    return RunMetrics(run, rows)


def run_effect(
    engine: Engine,
    lake: LakeLocation,
    run_id: str,
    days: int,
    *,
    runs_dir: Path | None = None,
    min_group: int = effect_mod.MIN_GROUP,
    allowed: Collection[str] | None = None,
    con: Any = None,
) -> tuple[RunInfo, effect_mod.Effect]:
    """The effect of the tier changes published by run ``run_id`` (R-ANA-4).

    Raises
    ------
    NotFoundError
        Unknown or unpublished run.
    UsageError
        ``days`` ≤ 0, or a run with no run published before it (its changes are the first
        tiers, not changes).
    """
    require_days(days)
    run = load_run(engine, run_id, runs_dir)
    if previous_run(engine, run) is None:
        raise UsageError(
            f"run {run_id!r} is the first published run: its tiers are first assignments, "
            "not changes, so there is no effect to track",
            hint="pick a later run (see `tierwise runs list`)",
            run_id=run_id,
        )
    tables = open_tables(lake, effect_mod.FEATURES, con)
    result = effect_mod.tier_change_effect(
        tables,
        _only(cohort(engine, run), allowed),
        run_id=run.run_id,
        as_of=run.as_of,
        days=days,
        data_end=last_order_day(tables),
        entity=run.entity,
        ranks=run.ranks,
        min_group=min_group,
    )
    return run, result
