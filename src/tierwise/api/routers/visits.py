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

from tierwise.api.access import Action, CustomerRef, Principal, Role, sees_personal
from tierwise.api.deps import AppContext, Ctx, allow
from tierwise.api.errors import AUTH_ERRORS, BAD_INPUT, CONFLICT, NOT_FOUND
from tierwise.api.masking import mask_record
from tierwise.api.schemas.common import Input, Timestamp
from tierwise.errors import PermissionDeniedError
from tierwise.ops.visits import service
from tierwise.ops.visits.policy import VisitPolicy, cached_policy

router = APIRouter(prefix="/visits", tags=["visits"], responses={**AUTH_ERRORS, **BAD_INPUT})
VisitId = Annotated[int, Path(ge=1, le=2**31 - 1)]
Code = Annotated[str, Query(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_.-]+$")]
Outcome = Literal["ordered", "no_order", "complaint", "closed", "not_met"]


class VisitPublic(BaseModel):
    id: int
    day: date
    manager_id: str
    customer_id: str
    name: str | None = Field(description="The outlet's name")
    contact_name: str | None = Field(description="Masked unless the role sees personal data")
    phone: str | None = Field(description="Masked unless the role sees personal data")
    address: str | None = Field(description="Masked unless the role sees personal data")
    masked: bool
    tier: str | None
    reason: str = Field(description="cadence | churn_warning | onboarding")
    value_at_risk: float = Field(description="LTV × churn probability (0 without predictions)")
    seq: int | None = Field(description="Place in the day's route (null: no coordinates)")
    eta_minute: int | None = Field(description="Arrival, minutes after the day's start")
    late_minutes: int | None
    lat: float | None
    lon: float | None
    status: Literal["planned", "checked_in", "done", "missed"]
    rolled_from: date | None = Field(description="First day this visit was planned and missed")
    checkin_at: Timestamp | None
    checkin_distance_m: float | None
    far: bool = Field(description="Checked in farther than the policy's far_checkin_m")
    checkout_at: Timestamp | None
    outcome: str | None
    note: str | None


class PlanRequest(Input):
    day: date


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


def _policy(ctx: AppContext) -> VisitPolicy:
    return cached_policy(None)  # a policy path in the settings: not yet


def _manager(principal: Principal, asked: str | None) -> str | None:
    """The manager whose visits ``principal`` may see: account managers their own only."""
    if principal.role is Role.SALES:
        if principal.manager_id is None or asked not in (None, principal.manager_id):
            raise PermissionDeniedError("account managers see only their own visits",
                                        action=Action.VISIT_READ.value)  # fmt: skip
        return principal.manager_id
    return asked


def _view(ctx: AppContext, principal: Principal, rows: list[dict[str, Any]]) -> list[VisitPublic]:
    out, seen = [], []
    for r in rows:
        ref = CustomerRef(r["customer_id"], r["account_manager"])
        unmasked = sees_personal(principal, ref)
        v = mask_record(r, unmasked=unmasked)
        v["masked"], v["far"] = not unmasked, bool(r["far"])
        out.append(VisitPublic(**v))
        if unmasked:
            seen.append(r["customer_id"])
    if seen:
        ctx.audit.record(principal, "personal.read", now=ctx.now(), target="visits",
                         detail={"customers": len(seen), "first": seen[:20], "via": "api visits"},
                         buffered=True)  # fmt: skip
    return out


@router.get("/day", response_model=list[VisitPublic])
def day_route(
    ctx: Ctx,
    principal: Annotated[Principal, allow(Action.VISIT_READ)],
    day: Annotated[date, Query()],
    manager: Code | None = None,
) -> list[VisitPublic]:
    """A manager's visits of ``day`` in route order (unrouted ones last). Account managers
    get their own (``manager`` may be left out); others must name the ``manager``."""
    m = _manager(principal, manager)
    if m is None:
        return []
    with ctx.engine.connect() as conn:
        rows = service.day_view(conn, m, day)
    return _view(ctx, principal, rows)


@router.post("/plan", response_model=PlanPublic)
def plan_route(
    ctx: Ctx, principal: Annotated[Principal, allow(Action.VISIT_PLAN)], body: PlanRequest
) -> PlanPublic:
    """Plan and route every manager's ``day`` within capacity (capacity and coordinates from
    the lake); earlier visits not started become missed and are planned again."""
    from tierwise.ops.retention import manager_capacity
    from tierwise.ops.visits.state import outlet_locations, recompute_cadence

    policy, now, lake = _policy(ctx), ctx.now(), ctx.settings.lake_dir
    with ctx.engine.begin() as conn:
        recompute_cadence(conn, policy, body.day, now)
        p = service.plan(conn, policy, body.day, now, capacity=manager_capacity(lake),
                         locations=outlet_locations(lake))  # fmt: skip
    ctx.audit.record(principal, "visit.plan", now=now, target=str(body.day),
                     detail={"planned": p.planned, "overflow": len(p.overflow)})  # fmt: skip
    return PlanPublic(
        day=p.day, planned=p.planned, missed=p.missed, late_stops=p.late_stops,
        overflow=[Overflow(**r) for r in _records(p.overflow.head(200))],
        overflow_total=len(p.overflow),
        shortfall=[Shortfall(**r) for r in _records(p.shortfall)],
    )  # fmt: skip


def _own_visit(ctx: AppContext, principal: Principal, visit_id: int) -> None:
    with ctx.engine.connect() as conn:
        m = service.stop_manager(conn, visit_id)
    if principal.role is Role.SALES and m != principal.manager_id:
        raise PermissionDeniedError("account managers check in their own visits only",
                                    action=Action.VISIT_CHECKIN.value)  # fmt: skip


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
    _own_visit(ctx, principal, visit_id)
    with ctx.engine.begin() as conn:
        return service.check_in(conn, _policy(ctx), visit_id, body.lat, body.lon, ctx.now(),
                                principal.subject)  # fmt: skip


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
    _own_visit(ctx, principal, visit_id)
    with ctx.engine.begin() as conn:
        return service.check_out(conn, visit_id, body.outcome, body.note, ctx.now(),
                                 principal.subject)  # fmt: skip


@router.get("/adherence", response_model=list[AdherenceRow])
def adherence_route(
    ctx: Ctx,
    principal: Annotated[Principal, allow(Action.VISIT_READ)],
    start: Annotated[date, Query(alias="from")],
    end: Annotated[date, Query(alias="to")],
) -> list[AdherenceRow]:
    """Planned vs done per manager and tier from ``from`` to ``to`` (account managers: their
    own rows)."""
    with ctx.engine.connect() as conn:
        df = service.adherence(conn, start, end)
    if principal.role is Role.SALES:
        df = df[df["manager_id"] == principal.manager_id]
    return [AdherenceRow(**r) for r in _records(df)]
