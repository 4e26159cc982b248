"""``/visits``: sales visit plans, check-in / check-out and adherence (R-OPS-8).

Account managers see and check in their own visits only; an admin plans the days and sees
every manager's. The outlet's contact, phone and address are masked for roles that do not
see personal data (R-INT-4), and every unmasked read is audited.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

import pandas as pd
from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from tierwise.api.access import Action, Principal, Role
from tierwise.api.deps import Ctx, allow
from tierwise.api.errors import AUTH_ERRORS, BAD_INPUT, CONFLICT, NOT_FOUND
from tierwise.api.schemas.common import Input, IsoDate
from tierwise.api.schemas.targets import AudienceUsed, TargetIn
from tierwise.api.targets import read_target, used_for
from tierwise.api.visits import (
    VisitPublic,
    check_in_visit,
    check_out_visit,
    read_day,
    visit_policy,
)
from tierwise.ops.visits import service

router = APIRouter(prefix="/visits", tags=["visits"], responses={**AUTH_ERRORS, **BAD_INPUT})
VisitId = Annotated[int, Path(ge=1, le=2**31 - 1)]
Code = Annotated[str, Query(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_.-]+$")]
Outcome = Literal["ordered", "no_order", "complaint", "closed", "not_met"]


class PlanRequest(TargetIn):
    day: IsoDate


class Overflow(BaseModel):
    customer_id: str
    manager_id: str | None
    tier: str | None
    rank: int
    value_at_risk: float
    days_overdue: int
    overflow: str = Field(description="capacity | no_manager | not_a_working_day")


class Shortfall(BaseModel):
    manager_id: str
    customers: int
    needed_per_day: float
    capacity: int
    shortfall_per_day: float


class PlanPublic(BaseModel):
    day: date
    planned: int
    missed: int = Field(description="Earlier visits marked missed (their customers due again)")
    late_stops: int
    overflow: list[Overflow] = Field(description="Due but over capacity, by rank (first 200)")
    overflow_total: int
    shortfall: list[Shortfall] = Field(description="Managers whose cadence exceeds capacity")
    extra_planned: int = Field(
        default=0, description="Visits planned for the audience's members not due by cadence"
    )
    audience: AudienceUsed | None = Field(
        default=None, description="The saved audience whose members get a visit"
    )
    covered: int = Field(
        default=0,
        description="Visits planned with another manager of the customer's territory (city): "
        "the own manager was full, or the customer has none",
    )


class CheckIn(Input):
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class CheckOut(Input):
    outcome: Outcome
    note: str | None = Field(default=None, max_length=2000)


class AdherenceRow(BaseModel):
    manager_id: str
    tier: str
    planned: int
    done: int
    missed: int
    open: int
    far: int
    adherence: float | None = Field(description="done / (planned − open); null: none closed")


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows of ``df`` with ``None`` for missing values."""
    rows = df.astype(object).where(df.notna(), None).to_dict("records")
    return [{str(k): v for k, v in r.items()} for r in rows]


@router.get("/day", response_model=list[VisitPublic])
def day_route(
    ctx: Ctx,
    principal: Annotated[Principal, allow(Action.VISIT_READ)],
    day: Annotated[IsoDate, Query()],
    manager: Code | None = None,
) -> list[VisitPublic]:
    """A manager's visits of ``day`` in route order (unrouted ones last). Account managers
    get their own (``manager`` may be left out); others must name the ``manager``."""
    return read_day(ctx, principal, manager, day)


@router.post("/plan", response_model=PlanPublic, responses={**NOT_FOUND})  # an unknown audience
def plan_route(
    ctx: Ctx, principal: Annotated[Principal, allow(Action.VISIT_PLAN)], body: PlanRequest
) -> PlanPublic:
    """Plan and route every manager's ``day`` within capacity (capacity and coordinates from
    the lake); earlier visits not started become missed and are planned again."""
    from tierwise.ops.retention import manager_capacity, manager_territory
    from tierwise.ops.visits.state import outlet_locations, recompute_cadence

    policy, now, lake = visit_policy(ctx), ctx.now(), ctx.settings.lake_dir
    members = read_target(ctx, body, body.day, "the visit plan")
    extra = None if members is None else members.customer_ids
    with ctx.engine.begin() as conn:
        recompute_cadence(conn, policy, body.day, now)
        p = service.plan(conn, policy, body.day, now, capacity=manager_capacity(lake),
                         locations=outlet_locations(lake), extra=extra,
                         territory=manager_territory(lake))  # fmt: skip
    used = used_for(ctx, members, f"visit:{body.day}", "the visit plan", principal, now)
    ctx.audit.record(principal, "visit.plan", now=now, target=str(body.day),
                     detail={"planned": p.planned, "overflow": len(p.overflow),
                             "audience": body.audience})  # fmt: skip
    return PlanPublic(
        day=p.day, planned=p.planned, missed=p.missed, late_stops=p.late_stops,
        overflow=[Overflow(**r) for r in _records(p.overflow.head(200))],
        overflow_total=len(p.overflow),
        shortfall=[Shortfall(**r) for r in _records(p.shortfall)],
        extra_planned=p.extra_planned, audience=used, covered=p.covered,
    )  # fmt: skip


@router.post("/{visit_id}/checkin", response_model=dict[str, Any],
             responses={**NOT_FOUND, **CONFLICT})  # fmt: skip
def checkin_route(
    ctx: Ctx,
    principal: Annotated[Principal, allow(Action.VISIT_CHECKIN)],
    visit_id: VisitId,
    body: CheckIn,
) -> dict[str, Any]:
    """Check in at the outlet: ``distance_m`` from it, ``far`` when beyond the policy's
    distance (flagged, not refused). Only a planned visit: 409 otherwise."""
    return check_in_visit(ctx, principal, visit_id, body.lat, body.lon)


@router.post("/{visit_id}/checkout", response_model=dict[str, Any],
             responses={**NOT_FOUND, **CONFLICT})  # fmt: skip
def checkout_route(
    ctx: Ctx,
    principal: Annotated[Principal, allow(Action.VISIT_CHECKIN)],
    visit_id: VisitId,
    body: CheckOut,
) -> dict[str, Any]:
    """Close a checked-in visit with its outcome (409 if not checked in); the customer's next
    visit moves one interval on."""
    return check_out_visit(ctx, principal, visit_id, body.outcome, body.note)


@router.get("/adherence", response_model=list[AdherenceRow])
def adherence_route(
    ctx: Ctx,
    principal: Annotated[Principal, allow(Action.VISIT_READ)],
    start: Annotated[IsoDate, Query(alias="from")],
    end: Annotated[IsoDate, Query(alias="to")],
) -> list[AdherenceRow]:
    """Planned vs done per manager and tier from ``from`` to ``to`` (account managers: their
    own rows)."""
    with ctx.engine.connect() as conn:
        df = service.adherence(conn, start, end)
    if principal.role is Role.SALES:
        df = df[df["manager_id"] == principal.manager_id]
    return [AdherenceRow(**r) for r in _records(df)]
