"""``/analytics``: what the console charts (R-ANA-1..3), per-tier metrics (R-ANA-6) and the
effect of tier changes (R-ANA-4)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from sqlalchemy import select

from tierwise.analytics.effect import MIN_GROUP
from tierwise.analytics.service import run_effect, run_metrics
from tierwise.analytics.source import latest_run_id
from tierwise.api.access import Action, Principal, Scope, scope
from tierwise.api.deps import AppContext, Ctx, allow
from tierwise.api.errors import AUTH_ERRORS, BAD_INPUT, NOT_FOUND, _doc
from tierwise.api.schemas.common import RUN_ID_MAX
from tierwise.store.schema import CustomerProfile

router = APIRouter(prefix="/analytics", tags=["analytics"], responses={**AUTH_ERRORS, **BAD_INPUT})
Allowed = Annotated[Principal, allow(Action.ANALYTICS_READ)]
RunId = Annotated[str, Query(min_length=1, max_length=RUN_ID_MAX)]
DATA_ERROR: dict[int | str, dict[str, Any]] = {
    422: _doc("Invalid input, or the lake lacks what the analysis reads (e.g. no orders)")
}


class DistributionRow(BaseModel):
    key: str
    tier: str | None
    customers: int


class RunTiers(BaseModel):
    run_id: str
    as_of: str
    tiers: dict[str, int]


class MigrationCell(BaseModel):
    from_tier: str | None
    to_tier: str | None
    customers: int


class TierValue(BaseModel):
    tier: str | None
    customers: int
    spend_365d_total: float | None
    spend_365d_avg: float | None
    ltv_total: float | None
    ltv_avg: float | None


class TagCount(BaseModel):
    tag: str
    customers: int


@router.get("/distribution", response_model=list[DistributionRow])
def distribution(
    ctx: Ctx,
    principal: Allowed,
    by: Annotated[
        Literal[
            "province",
            "city",
            "district",
            "cuisine",
            "business_type",
            "channel",
            "scale",
            "segment",
            "account_manager",
        ],
        Query(description="Region level, industry (cuisine, business_type) or other"),
    ] = "province",
) -> list[DistributionRow]:
    """Customers per tier and region / industry, from the current published state."""
    return [DistributionRow(**r) for r in ctx.analytics.distribution(by, scope(principal))]


@router.get("/runs", response_model=list[RunTiers])
def tiers_over_runs(
    ctx: Ctx, _p: Allowed, last: Annotated[int, Query(ge=1, le=100)] = 12
) -> list[RunTiers]:
    """Customers per tier of each of the last published runs: the tiers customers held once
    the run was published (after stability and overrides), as every page and the report count."""
    return [
        RunTiers(run_id=r["run_id"], as_of=r["as_of"].isoformat(), tiers=r["tiers"])
        for r in ctx.analytics.over_runs(last)
    ]


@router.get("/migration", response_model=list[MigrationCell], responses=NOT_FOUND)
def migration(ctx: Ctx, _p: Allowed, from_run: RunId, to_run: RunId) -> list[MigrationCell]:
    """Tier migration matrix between two published runs (R-ANA-3), as (from, to, customers)
    cells: from the tier each customer held after ``from_run`` to the one held after ``to_run``."""
    return [MigrationCell(**c) for c in ctx.analytics.migration(from_run, to_run)]


@router.get("/value-by-tier", response_model=list[TierValue])
def value_by_tier(ctx: Ctx, principal: Allowed) -> list[TierValue]:
    """Spend over 365 days and lifetime value per tier (R-ANA-2)."""
    return [TierValue(**r) for r in ctx.analytics.value_by_tier(scope(principal))]


@router.get("/tags", response_model=list[TagCount])
def tag_counts(ctx: Ctx, principal: Allowed) -> list[TagCount]:
    """Customers carrying each tag in the current run."""
    return [TagCount(**r) for r in ctx.analytics.tag_counts(scope(principal))]


# -- R-ANA-6 metrics per tier, R-ANA-4 effect of tier changes (computed on the lake) ------

ANALYSIS_TTL_S = 300.0
RunParam = Annotated[
    str | None,
    Query(min_length=1, max_length=RUN_ID_MAX, description="A published run (default: the latest)"),
]


class TierMetricsRow(BaseModel):
    tier: str | None
    customers: int
    share: float
    orders: int
    spend: float
    repurchase_rate: float | None
    avg_order_value: float | None
    arpu: float | None
    return_rate: float | None
    complaint_rate: float | None


class RunMetricsOut(BaseModel):
    run_id: str
    as_of: str
    lookback_days: int
    tiers: list[TierMetricsRow]


class EffectSide(BaseModel):
    customers: int
    spend_before: float | None
    spend_after: float | None = Field(description="None while the after window is incomplete")
    repurchase_before: float | None
    repurchase_after: float | None


class EffectRowOut(BaseModel):
    kind: str = Field(description="upgraded | downgraded | changed")
    from_tier: str | None = Field(description="None on a row pooling a whole kind")
    to_tier: str | None
    treated: EffectSide
    control: EffectSide
    did_spend: float | None
    did_repurchase: float | None
    small: bool = Field(description="Either group has fewer than min_group customers")


class EffectOut(BaseModel):
    run_id: str
    as_of: str
    days: int
    before_start: str
    after_end: str
    data_end: str = Field(description="Day of the lake's latest order")
    days_covered: int = Field(description="Days of the after window the data covers")
    complete: bool
    min_group: int
    by_kind: list[EffectRowOut]
    by_transition: list[EffectRowOut]
    not_compared: dict[str, int]


def _allowed(ctx: AppContext, sc: Scope) -> frozenset[str] | None:
    """The customer ids a scope may see (None: all)."""
    if sc.nothing:
        return frozenset()
    if sc.account_manager is None and sc.customer_id is None:
        return None
    stmt = select(CustomerProfile.customer_id)
    if sc.account_manager is not None:
        stmt = stmt.where(CustomerProfile.account_manager == sc.account_manager)
    if sc.customer_id is not None:
        stmt = stmt.where(CustomerProfile.customer_id == sc.customer_id)
    with ctx.engine.connect() as conn:
        return frozenset(r[0] for r in conn.execute(stmt))


def _cached(ctx: AppContext, key: str, compute: Callable[[], Any]) -> Any:
    """Published runs never change: keep a result for a few minutes (the lake may grow)."""
    hit = ctx.cache.get(key)
    if hit is not None and time.monotonic() - hit[0] < ANALYSIS_TTL_S:
        return hit[1]
    value = compute()
    ctx.cache[key] = (time.monotonic(), value)
    return value


@router.get("/metrics", response_model=RunMetricsOut, responses={**NOT_FOUND, **DATA_ERROR})
def tier_metrics(ctx: Ctx, principal: Allowed, run: RunParam = None) -> RunMetricsOut:
    """Evaluation metrics per tier of a run (R-ANA-6): customers, share, repurchase rate,
    average order value, spend per customer, return and complaint rates over the run's
    lookback window (definitions: docs/analytics.md)."""
    run_id = run or latest_run_id(ctx.engine)
    sc = scope(principal)
    s = ctx.settings

    def compute() -> RunMetricsOut:
        m = run_metrics(
            ctx.engine, s.lake_dir, run_id, runs_dir=s.runs_dir, allowed=_allowed(ctx, sc)
        )
        return RunMetricsOut(
            run_id=m.run.run_id,
            as_of=m.run.as_of.isoformat(),
            lookback_days=m.run.lookback_days,
            tiers=[TierMetricsRow(**r.as_dict()) for r in m.tiers],
        )

    out: RunMetricsOut = _cached(ctx, f"analytics-metrics:{run_id}:{sc}", compute)
    return out


@router.get("/effect", response_model=EffectOut, responses={**NOT_FOUND, **DATA_ERROR})
def tier_change_effect(
    ctx: Ctx,
    principal: Allowed,
    run: RunParam = None,
    days: Annotated[int, Query(ge=1, le=365, description="Window before and after")] = 30,
    min_group: Annotated[int, Query(ge=1, le=100000, description="Smallest useful group")] = (
        MIN_GROUP
    ),
) -> EffectOut:
    """Effect of the tier changes a run published (R-ANA-4): spend and repurchase rate in
    the ``days`` before and after its as_of, changed customers against unchanged ones of the
    same starting tier (difference-in-differences). 400 when the run is the first one."""
    run_id = run or latest_run_id(ctx.engine)
    sc = scope(principal)
    s = ctx.settings

    def compute() -> EffectOut:
        _run, e = run_effect(
            ctx.engine,
            s.lake_dir,
            run_id,
            days,
            runs_dir=s.runs_dir,
            min_group=min_group,
            allowed=_allowed(ctx, sc),
        )
        return EffectOut(**e.as_dict())

    out: EffectOut = _cached(ctx, f"analytics-effect:{run_id}:{days}:{min_group}:{sc}", compute)
    return out
