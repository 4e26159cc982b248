"""``/pilots``: city pilots (灰度) of a policy change (R-GRD-11, docs/experiments.md).

A pilot names the policy and one or two cities; control cities are matched by pre-period
trend unless given. The result is a difference in differences with a placebo on earlier
periods; promoting or rolling back is one audited action (audit log ``pilot.decide``, the
pilot's log, a ``pilot.decided`` webhook event).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from tierwise.api.access import Action, Principal
from tierwise.api.deps import Ctx, allow
from tierwise.api.errors import AUTH_ERRORS, BAD_INPUT, CONFLICT, NOT_FOUND
from tierwise.api.schemas.common import Input, StrictInt, Timestamp
from tierwise.experiments import pilots

router = APIRouter(prefix="/pilots", tags=["pilots"], responses={**AUTH_ERRORS, **BAD_INPUT})
PilotCode = Annotated[
    str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
]
City = Annotated[str, Field(min_length=1, max_length=40)]


class PilotIn(Input):
    code: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    policy: str = Field(min_length=1, max_length=80, description="The policy piloted")
    pilot_cities: list[City] = Field(min_length=1, max_length=2)
    control_cities: list[City] | None = Field(
        default=None, max_length=10, description="Default: matched by pre-period trend"
    )
    start: dt.date = Field(ge=dt.date(2000, 1, 1), le=dt.date(2100, 12, 31))
    days: StrictInt = Field(default=28, ge=7, le=366, description="Window and pre-period length")


class PilotPublic(BaseModel):
    code: str
    policy: str
    pilot_cities: list[str]
    control_cities: list[str]
    start: dt.date
    days: int
    status: str = Field(description="running | promoted | rolled_back")
    result: dict[str, Any] = Field(description="The last analysis (effect, placebo)")
    created_at: Timestamp
    created_by: str
    decided_at: Timestamp | None
    decided_by: str | None
    decision_note: str | None


class PilotDetail(PilotPublic):
    log: list[dict[str, Any]]


class Decision(Input):
    decision: Literal["promote", "rollback"]
    note: str = Field(min_length=1, max_length=2000)


def _public(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k != "id"}


@router.get("", response_model=list[PilotPublic])
def list_route(
    ctx: Ctx, _p: Annotated[Principal, allow(Action.EXPERIMENT_READ)]
) -> list[PilotPublic]:
    """Every pilot, newest first."""
    return [PilotPublic(**_public(r)) for r in pilots.list_pilots(ctx.engine)]


@router.post("", response_model=PilotDetail, status_code=201, responses=CONFLICT)
def create_route(
    ctx: Ctx, principal: Annotated[Principal, allow(Action.EXPERIMENT_MANAGE)], body: PilotIn
) -> PilotDetail:
    """Start a pilot; a city without outlets in the lake is refused (422)."""
    now = ctx.now()
    pilots.create(
        ctx.engine,
        ctx.settings.lake_dir,
        code=body.code,
        policy=body.policy,
        pilot_cities=body.pilot_cities,
        control_cities=body.control_cities,
        start=body.start,
        days=body.days,
        actor=principal.subject,
        now=now,
    )
    ctx.audit.record(principal, "pilot.create", now=now, target=body.code, detail={})
    return PilotDetail(**_public(pilots.get(ctx.engine, body.code)))


@router.get("/{code}", response_model=PilotDetail, responses=NOT_FOUND)
def get_route(
    ctx: Ctx, _p: Annotated[Principal, allow(Action.EXPERIMENT_READ)], code: PilotCode
) -> PilotDetail:
    return PilotDetail(**_public(pilots.get(ctx.engine, code)))


@router.get("/{code}/result", response_model=dict[str, Any], responses=NOT_FOUND)
def result_route(
    ctx: Ctx,
    _p: Annotated[Principal, allow(Action.EXPERIMENT_READ)],
    code: PilotCode,
    as_of: Annotated[dt.date | None, Query(description="Default: today")] = None,
) -> dict[str, Any]:
    """Difference in differences (pilot vs control cities) and its placebo check."""
    return pilots.analyse(ctx.engine, code, ctx.settings.lake_dir, as_of=as_of or ctx.now().date())


@router.post("/{code}/decision", response_model=PilotDetail, responses={**NOT_FOUND, **CONFLICT})
def decide_route(
    ctx: Ctx,
    principal: Annotated[Principal, allow(Action.EXPERIMENT_MANAGE)],
    code: PilotCode,
    body: Decision,
) -> PilotDetail:
    """Promote the policy to all cities or roll it back (once; a second decision is 409)."""
    now = ctx.now()
    row = pilots.decide(
        ctx.engine, code, body.decision, actor=principal.subject, now=now, note=body.note
    )
    ctx.audit.record(
        principal,
        "pilot.decide",
        now=now,
        target=code,
        detail={"decision": body.decision, "note": body.note},
    )
    return PilotDetail(**_public(row))
