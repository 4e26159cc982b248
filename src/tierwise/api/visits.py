"""The visits module as the API and the console serve it (R-OPS-8): a manager's day as a
principal may see it (account managers their own; personal fields masked per role, unmasked
reads audited), and check-in / check-out of one's own visits. ``/visits`` routes and the
console page both call these."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, Field

from tierwise.api.access import Action, CustomerRef, Principal, Role, sees_personal
from tierwise.api.deps import AppContext
from tierwise.api.masking import mask_record
from tierwise.api.schemas.common import Timestamp
from tierwise.errors import PermissionDeniedError
from tierwise.ops.visits import service
from tierwise.ops.visits.policy import VisitPolicy, cached_policy


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
    reason: str = Field(description="cadence | churn_warning | onboarding | audience")
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


def visit_policy(ctx: AppContext) -> VisitPolicy:
    return cached_policy(ctx.settings.visit_policy)


def _manager(principal: Principal, asked: str | None) -> str | None:
    """The manager whose visits ``principal`` may see: account managers their own only."""
    if principal.role is Role.SALES:
        if principal.manager_id is None or asked not in (None, principal.manager_id):
            raise PermissionDeniedError("account managers see only their own visits",
                                        action=Action.VISIT_READ.value)  # fmt: skip
        return principal.manager_id
    return asked


def read_day(
    ctx: AppContext, principal: Principal, manager: str | None, day: date
) -> list[VisitPublic]:
    """A manager's day as ``principal`` may see it (the route and the console call this)."""
    m = _manager(principal, manager)
    if m is None:
        return []
    with ctx.engine.connect() as conn:
        rows = service.day_view(conn, m, day)
    return _view(ctx, principal, rows)


def check_in_visit(
    ctx: AppContext, principal: Principal, visit_id: int, lat: float, lon: float
) -> dict[str, Any]:
    """Check in (the route and the console call this): own visits for account managers."""
    _own_visit(ctx, principal, visit_id)
    with ctx.engine.begin() as conn:
        return service.check_in(conn, visit_policy(ctx), visit_id, lat, lon, ctx.now(),
                                principal.subject)  # fmt: skip


def check_out_visit(
    ctx: AppContext, principal: Principal, visit_id: int, outcome: str, note: str | None
) -> dict[str, Any]:
    """Check out (the route and the console call this): own visits for account managers."""
    _own_visit(ctx, principal, visit_id)
    with ctx.engine.begin() as conn:
        return service.check_out(conn, visit_id, outcome, note, ctx.now(), principal.subject)


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


def _own_visit(ctx: AppContext, principal: Principal, visit_id: int) -> None:
    with ctx.engine.connect() as conn:
        m = service.stop_manager(conn, visit_id)
    if principal.role is Role.SALES and m != principal.manager_id:
        raise PermissionDeniedError("account managers check in their own visits only",
                                    action=Action.VISIT_CHECKIN.value)  # fmt: skip
