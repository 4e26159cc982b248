"""``/analytics``: what the console charts (R-ANA-1..3)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel

from tierwise.api.access import Action, Principal, scope
from tierwise.api.deps import Ctx, allow
from tierwise.api.errors import AUTH_ERRORS, BAD_INPUT, NOT_FOUND

router = APIRouter(prefix="/analytics", tags=["analytics"], responses={**AUTH_ERRORS, **BAD_INPUT})
Allowed = Annotated[Principal, allow(Action.ANALYTICS_READ)]
RunId = Annotated[str, Query(min_length=1, max_length=40)]


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
    """Customers per tier as computed by each of the last published runs."""
    return [
        RunTiers(run_id=r["run_id"], as_of=r["as_of"].isoformat(), tiers=r["tiers"])
        for r in ctx.analytics.over_runs(last)
    ]


@router.get("/migration", response_model=list[MigrationCell], responses=NOT_FOUND)
def migration(ctx: Ctx, _p: Allowed, from_run: RunId, to_run: RunId) -> list[MigrationCell]:
    """Tier migration matrix between two runs (R-ANA-3), as (from, to, customers) cells."""
    return [MigrationCell(**c) for c in ctx.analytics.migration(from_run, to_run)]


@router.get("/value-by-tier", response_model=list[TierValue])
def value_by_tier(ctx: Ctx, principal: Allowed) -> list[TierValue]:
    """Spend over 365 days and lifetime value per tier (R-ANA-2)."""
    return [TierValue(**r) for r in ctx.analytics.value_by_tier(scope(principal))]


@router.get("/tags", response_model=list[TagCount])
def tag_counts(ctx: Ctx, principal: Allowed) -> list[TagCount]:
    """Customers carrying each tag in the current run."""
    return [TagCount(**r) for r in ctx.analytics.tag_counts(scope(principal))]
