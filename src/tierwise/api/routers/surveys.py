"""``/surveys``: NPS survey waves sampled by tier, answers by API, NPS per tier with its
interval and trend (R-OPS-8, docs/surveys.md).

Analysts and marketing read the figures; marketing (and admins) sample waves and post
answers. An answer's free-text comment is masked unless the role sees personal data
(R-INT-4); unmasked reads are audited. A detractor's answer (0-6) opens a follow-up task in
the retention task list (``/tasks``, tag ``nps_detractor``).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

import pandas as pd
from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, BeforeValidator, Field

from tierwise.api.access import Action, Principal
from tierwise.api.deps import Ctx, allow
from tierwise.api.errors import AUTH_ERRORS, BAD_INPUT, NOT_FOUND
from tierwise.api.schemas.common import Input, IsoDate, StrictFloat, StrictInt
from tierwise.api.schemas.targets import AudienceUsed, TargetIn, audience_used
from tierwise.api.surveys import answer_rows, nps_rows, survey_policy
from tierwise.api.targets import read_target, used_for
from tierwise.ops.surveys import service

router = APIRouter(prefix="/surveys", tags=["surveys"], responses={**AUTH_ERRORS, **BAD_INPUT})
WaveId = Annotated[int, Path(ge=1, le=2**31 - 1)]


def _text(value: Any) -> Any:
    """A date-time in JSON is an RFC 3339 string (never a number of seconds)."""
    if not isinstance(value, str | datetime):
        raise ValueError("Input should be an RFC 3339 date-time string")
    return value


TextTime = Annotated[datetime, BeforeValidator(_text)]


class WaveRequest(TargetIn):
    sent_on: IsoDate = Field(ge=date(2000, 1, 1), le=date(2100, 12, 31))
    seed: StrictInt = Field(default=0, ge=0, le=2**31 - 1)


class Stratum(BaseModel):
    tier: str | None
    population: int
    eligible: int = Field(description="Not surveyed within the cooldown")
    quota: int
    sampled: int


class WaveCreated(BaseModel):
    wave_id: int
    sent_on: date
    sampled: int
    strata: list[Stratum] = Field(description="Per tier; sampled < quota: short of eligible")
    audience: AudienceUsed | None = Field(
        default=None, description="The saved audience the wave was sampled within"
    )


class Wave(BaseModel):
    wave_id: int
    survey: str
    sent_on: date
    policy: str
    recipients: int
    answers: int
    rejected: int
    audience: AudienceUsed | None = None


class AnswerIn(Input):
    customer_id: str = Field(min_length=1, max_length=40)
    score: StrictInt | StrictFloat | str = Field(description="A whole number 0-10 (else rejected)")
    comment: str | None = Field(default=None, max_length=2000)
    answered_at: TextTime | None = None


class AnswersIn(Input):
    answers: list[AnswerIn] = Field(min_length=1, max_length=10_000)


class Rejected(BaseModel):
    row: int = Field(description="1-based place in the request's list, + 1 (as a file's row)")
    column: str
    value: str | None
    reason: str


class LoadOut(BaseModel):
    wave_id: int
    loaded: int
    rejected: list[Rejected]
    followup_tasks: list[int] = Field(description="Retention tasks opened for detractors")


class NpsRow(BaseModel):
    wave_id: int
    sent_on: date
    tier: str | None
    answers: int
    population: int = Field(description="Recipients of the tier in the wave")
    nps: float | None = Field(description="Weighted for non-response by tier × cell")
    low: float | None
    high: float | None
    nps_unweighted: float | None
    low_unweighted: float | None
    high_unweighted: float | None


class AnswerOut(BaseModel):
    id: int
    customer_id: str
    tier: str | None
    account_manager: str | None
    score: int
    comment: str | None = Field(description="Masked unless the role sees personal data")
    masked: bool
    answered_at: datetime
    followup_task_id: int | None


@router.get("/waves", response_model=list[Wave])
def waves_route(ctx: Ctx, principal: Annotated[Principal, allow(Action.SURVEY_READ)]) -> list[Wave]:
    """Every wave with its recipients, answers and rejected rows (newest first)."""
    return [
        Wave(**{**w, "audience": audience_used(w["audience"])}) for w in service.waves(ctx.engine)
    ]


@router.post("/waves", response_model=WaveCreated, responses={**NOT_FOUND})  # an unknown audience
def sample_route(
    ctx: Ctx, principal: Annotated[Principal, allow(Action.SURVEY_MANAGE)], body: WaveRequest
) -> WaveCreated:
    """Sample a wave stratified by tier with the policy's quotas; nobody surveyed within the
    cooldown. A tier short of eligible customers gets fewer (``sampled`` < ``quota``).
    With ``audience``, only its members as of ``sent_on`` are sampled (an audience matching
    nobody gives an empty wave, flagged by ``audience.warning``)."""
    now = ctx.now()
    members = read_target(ctx, body, body.sent_on, "the survey wave")
    w = service.create_wave(
        ctx.engine,
        survey_policy(ctx),
        sent_on=body.sent_on,
        actor=principal.subject,
        now=now,
        seed=body.seed,
        only=None if members is None else members.customer_ids,
    )
    used = used_for(ctx, members, f"survey:{w.wave_id}", "the survey wave", principal, now)
    ctx.audit.record(
        principal,
        "survey.sample",
        now=now,
        target=str(w.wave_id),
        detail={"sent_on": str(body.sent_on), "sampled": w.sampled, "audience": body.audience},
    )
    return WaveCreated(
        wave_id=w.wave_id,
        sent_on=w.sent_on,
        sampled=w.sampled,
        strata=[Stratum(**vars(s)) for s in w.strata],
        audience=used,
    )


@router.post("/waves/{wave_id}/answers", response_model=LoadOut, responses={**NOT_FOUND})
def answers_in_route(
    ctx: Ctx,
    principal: Annotated[Principal, allow(Action.SURVEY_MANAGE)],
    wave_id: WaveId,
    body: AnswersIn,
) -> LoadOut:
    """Post answers: good ones stored (one per customer per wave), bad ones (not a
    recipient, a score outside 0-10, a second answer) returned and kept; each detractor
    (0-6) gets one follow-up task for their account manager."""
    rows: list[dict[str, Any]] = [
        {
            "customer_id": a.customer_id,
            "score": str(a.score),
            "comment": a.comment or "",
            "answered_at": a.answered_at.isoformat() if a.answered_at else "",
        }
        for a in body.answers
    ]
    frame = pd.DataFrame(rows, columns=["customer_id", "score", "comment", "answered_at"])
    now = ctx.now()
    r = service.load_frame(
        ctx.engine, wave_id, frame, survey_policy(ctx), source=f"api:{principal.subject}", now=now
    )
    ctx.audit.record(
        principal,
        "survey.answers",
        now=now,
        target=str(wave_id),
        detail={"loaded": r.loaded, "rejected": len(r.rejected)},
    )
    return LoadOut(
        wave_id=wave_id,
        loaded=r.loaded,
        followup_tasks=r.followups,
        rejected=[Rejected(**{**b, "value": str(b["value"])}) for b in r.rejected],
    )


@router.get("/waves/{wave_id}/answers", response_model=list[AnswerOut], responses={**NOT_FOUND})
def answers_route(
    ctx: Ctx, principal: Annotated[Principal, allow(Action.SURVEY_READ)], wave_id: WaveId
) -> list[AnswerOut]:
    """A wave's answers; the comment masked unless the role sees personal data."""
    return [AnswerOut(**r) for r in answer_rows(ctx, principal, wave_id)]


@router.get("/waves/{wave_id}/rejects", response_model=list[Rejected], responses={**NOT_FOUND})
def rejects_route(
    ctx: Ctx, principal: Annotated[Principal, allow(Action.SURVEY_READ)], wave_id: WaveId
) -> list[Rejected]:
    """The rows refused when the wave's answers were loaded, with row, column, value."""
    return [Rejected(**r) for r in service.rejects(ctx.engine, wave_id)]


@router.get("/nps", response_model=list[NpsRow])
def nps_route(
    ctx: Ctx,
    principal: Annotated[Principal, allow(Action.SURVEY_READ)],
    wave: Annotated[list[int] | None, Query(description="Only these waves")] = None,
) -> list[NpsRow]:
    """NPS per tier of each wave (the trend, oldest first) with its 95 % interval weighted
    for non-response by tier × cell, the unweighted figure and the number of answers."""
    return [NpsRow(**r) for r in nps_rows(ctx, wave or None)]
