"""``/experiments``: A/B tests of tier strategies with ROI (R-ANA-5, docs/experiments.md).

Analysts and marketing design, start and stop them; risk reads them. Starting runs the
power check and refuses an underpowered design unless ``force_reason`` says why (recorded);
the fixed assignment is exported as CSV for the systems that apply the treatments. Every
change is in the audit log (``experiment.*``) and the experiment's own log.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field

from tierwise.api.access import Action, Principal
from tierwise.api.deps import Ctx, allow
from tierwise.api.errors import AUTH_ERRORS, BAD_INPUT, CONFLICT, NOT_FOUND
from tierwise.api.schemas.common import Input, Timestamp
from tierwise.experiments import service
from tierwise.experiments.design import Design
from tierwise.tags.targets import AudienceSource

router = APIRouter(
    prefix="/experiments", tags=["experiments"], responses={**AUTH_ERRORS, **BAD_INPUT}
)
ExpCode = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")]


class ArmCount(BaseModel):
    accounts: int
    outlets: int


class LogEntry(BaseModel):
    at: Timestamp
    actor: str
    action: str
    detail: dict[str, Any]


class ExperimentPublic(BaseModel):
    code: str
    name: str
    status: str = Field(description="draft | running | stopped")
    layer: str | None
    metric: str
    design: dict[str, Any]
    power: dict[str, Any] | None = Field(description="The power check at start (MDE per account)")
    forced_reason: str | None = Field(description="Why it started although underpowered")
    created_at: Timestamp
    created_by: str
    started_at: Timestamp | None
    started_by: str | None
    stopped_at: Timestamp | None
    stopped_by: str | None


class ExperimentDetail(ExperimentPublic):
    arms: dict[str, ArmCount]
    log: list[LogEntry]


class StartBody(Input):
    force_reason: str | None = Field(
        default=None,
        min_length=3,
        max_length=2000,
        description="Start although the power check says underpowered; recorded",
    )


class StopBody(Input):
    reason: str = Field(min_length=1, max_length=2000)


class ExperimentResult(BaseModel):
    code: str
    as_of: str
    window: list[str]
    complete: bool
    days_observed: int
    days_planned: int
    metric: str
    units: dict[str, int]
    outlets: dict[str, int]
    srm: dict[str, Any] = Field(description="Sample-ratio check: p_value, mismatch, expected")
    comparisons: list[dict[str, Any]] = Field(
        description="Per treatment arm: primary (CUPED, clustered), without_cuped, "
        "always_valid, roi, guardrails, by_tier (exploratory)"
    )


@router.get("", response_model=list[ExperimentPublic])
def list_route(
    ctx: Ctx, _p: Annotated[Principal, allow(Action.EXPERIMENT_READ)]
) -> list[ExperimentPublic]:
    """Every experiment, newest first."""
    return [ExperimentPublic(**r) for r in service.list_experiments(ctx.engine)]


@router.post("", response_model=ExperimentDetail, status_code=201, responses=CONFLICT)
def create_route(
    ctx: Ctx, principal: Annotated[Principal, allow(Action.EXPERIMENT_MANAGE)], body: Design
) -> ExperimentDetail:
    """Save a design as a draft: population, arms with treatments, window, metric, strata.
    An end before the start, an unknown metric or guardrail, repeated arm codes: 422."""
    now = ctx.now()
    service.create(ctx.engine, body, actor=principal.subject, now=now)
    ctx.audit.record(principal, "experiment.create", now=now, target=body.code, detail={})
    return ExperimentDetail(**service.get(ctx.engine, body.code))


@router.get("/{code}", response_model=ExperimentDetail, responses=NOT_FOUND)
def get_route(
    ctx: Ctx, _p: Annotated[Principal, allow(Action.EXPERIMENT_READ)], code: ExpCode
) -> ExperimentDetail:
    """One experiment with its power check, arms and log."""
    return ExperimentDetail(**service.get(ctx.engine, code))


@router.post("/{code}/start", response_model=ExperimentDetail, responses={**NOT_FOUND, **CONFLICT})
def start_route(
    ctx: Ctx,
    principal: Annotated[Principal, allow(Action.EXPERIMENT_MANAGE)],
    code: ExpCode,
    body: StartBody,
) -> ExperimentDetail:
    """Power check, then the salted-hash assignment is fixed and stored. Refused: an arm with
    no members (422), an overlap with a running experiment on the same metric without
    different layers (409), an underpowered design without ``force_reason`` (400)."""
    now = ctx.now()
    row = service.start(
        ctx.engine,
        code,
        ctx.settings.lake_dir,
        actor=principal.subject,
        now=now,
        force_reason=body.force_reason,
        audiences=AudienceSource(ctx.settings.home, ctx.settings.runs_dir),
    )
    ctx.audit.record(
        principal,
        "experiment.start",
        now=now,
        target=code,
        detail={"forced_reason": body.force_reason},
    )
    return ExperimentDetail(**row)


@router.post("/{code}/stop", response_model=ExperimentDetail, responses={**NOT_FOUND, **CONFLICT})
def stop_route(
    ctx: Ctx,
    principal: Annotated[Principal, allow(Action.EXPERIMENT_MANAGE)],
    code: ExpCode,
    body: StopBody,
) -> ExperimentDetail:
    """Stop a running experiment (the assignment stays for the analysis)."""
    now = ctx.now()
    row = service.stop(ctx.engine, code, actor=principal.subject, now=now, reason=body.reason)
    ctx.audit.record(
        principal, "experiment.stop", now=now, target=code, detail={"reason": body.reason}
    )
    return ExperimentDetail(**row)


@router.get("/{code}/result", response_model=ExperimentResult, responses={**NOT_FOUND, **CONFLICT})
def result_route(
    ctx: Ctx,
    _p: Annotated[Principal, allow(Action.EXPERIMENT_READ)],
    code: ExpCode,
    as_of: Annotated[
        dt.date | None, Query(description="Look as of this day (default today)")
    ] = None,
) -> ExperimentResult:
    """Effect (CUPED, clustered by account, 95 % interval), always-valid interval, SRM,
    ROI with its interval, guardrails, per-tier breakdowns (exploratory)."""
    day = as_of or ctx.now().date()
    return ExperimentResult(
        **service.analyse_experiment(ctx.engine, code, ctx.settings.lake_dir, as_of=day)
    )


@router.get(
    "/{code}/assignment.csv",
    response_class=Response,
    responses={
        **NOT_FOUND,
        200: {
            "content": {"text/csv": {"schema": {"type": "string"}}},
            "description": "customer_id, account_id, arm, stratum, tier",
        },
    },
)
def assignment_route(
    ctx: Ctx, _p: Annotated[Principal, allow(Action.EXPERIMENT_READ)], code: ExpCode
) -> Response:
    """The fixed assignment, one row per outlet, for the systems that apply the treatment."""
    members = service.members_of(ctx.engine, code)
    return Response(
        members.to_csv(index=False),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{code}-assignment.csv"'},
    )
