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
from tierwise.api.campaigns import campaign_policy
from tierwise.api.deps import Ctx, allow
from tierwise.api.errors import AUTH_ERRORS, BAD_INPUT, CONFLICT, NOT_FOUND
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
    channel: str = Field(default="survey", description="survey, or a follow-up's channel")
    followup_of: int | None = Field(default=None, description="The wave this one follows up")
    followup_wave_id: int | None = Field(
        default=None, description="This wave's follow-up (the wave is closed)"
    )


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
    followup_wave_id: int | None = Field(default=None, description="Its follow-up wave, if any")
    nonrespondents: int | None = Field(default=None, description="Recipients without an answer")
    subsampled: int | None = Field(default=None, description="Drawn for the follow-up")
    answers_followup: int | None = None
    nps_two_phase: float | None = Field(
        default=None,
        description="Both phases combined (the follow-up's answers stand for every "
        "non-respondent); null without a follow-up or without a follow-up answer in the tier",
    )
    low_two_phase: float | None = None
    high_two_phase: float | None = None


class FollowupRequest(Input):
    fraction: StrictFloat | StrictInt = Field(gt=0, le=1, description="Share drawn per tier")
    sent_on: IsoDate = Field(ge=date(2000, 1, 1), le=date(2100, 12, 31))
    channel: str = Field(default="call", pattern="^(call|visit|sms|wechat)$")
    seed: StrictInt = Field(default=0, ge=0, le=2**31 - 1)


class FollowupOut(BaseModel):
    wave_id: int = Field(description="The follow-up wave")
    parent_wave_id: int
    fraction: float
    channel: str
    sampled: int
    by_tier: dict[str, dict[str, int]] = Field(description="tier -> nonrespondents, subsampled")


class RecipientOut(BaseModel):
    customer_id: str
    tier: str | None
    cell: str
    account_manager: str | None
    answered: bool


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


@router.post(
    "/waves/{wave_id}/followup", response_model=FollowupOut, responses={**NOT_FOUND, **CONFLICT}
)
def followup_route(
    ctx: Ctx,
    principal: Annotated[Principal, allow(Action.SURVEY_MANAGE)],
    wave_id: WaveId,
    body: FollowupRequest,
) -> FollowupOut:
    """Close the wave and draw its follow-up: a random ``fraction`` of each tier's
    non-respondents, asked again through ``channel`` (the manager's call); its answers are
    posted to the follow-up wave, and ``/surveys/nps`` then gives the two-phase NPS.
    409: the wave already has a follow-up, or is one."""
    now = ctx.now()
    f = service.create_followup(
        ctx.engine, wave_id, fraction=float(body.fraction), sent_on=body.sent_on,
        actor=principal.subject, now=now, seed=body.seed, channel=body.channel,
    )  # fmt: skip
    ctx.audit.record(
        principal,
        "survey.followup",
        now=now,
        target=str(f.wave_id),
        detail={"parent": wave_id, "fraction": f.fraction, "sampled": f.sampled},
    )
    return FollowupOut(
        wave_id=f.wave_id, parent_wave_id=wave_id, fraction=f.fraction, channel=f.channel,
        sampled=f.sampled, by_tier=f.by_tier,
    )  # fmt: skip


class SendOut(BaseModel):
    wave_id: int
    campaign: str = Field(description="The campaign that sent it: survey-wave-<id>")
    counts: dict[str, int] = Field(description="send, opted_out, capped, over_budget")
    messages: int = Field(description="Outbox messages queued to the provider's webhook")
    expires_at: datetime = Field(description="When the personal answer links expire (UTC)")


@router.post(
    "/waves/{wave_id}/send",
    response_model=SendOut,
    responses={**NOT_FOUND, **CONFLICT},
)
def send_route(
    ctx: Ctx, principal: Annotated[Principal, allow(Action.SURVEY_MANAGE)], wave_id: WaveId
) -> SendOut:
    """Send the wave's recipients a message with each one's personal answer link, through
    the campaign channels (outbox to the provider, opt-outs, frequency cap, quiet hours,
    the survey policy's budget; nobody held out). Once per wave; 409 the second time, for a
    closed wave, or while no link secret or provider webhook is set up (nothing written)."""
    now = ctx.now()
    r = service.send_links(
        ctx.engine, wave_id, survey_policy(ctx), campaign_policy(ctx),
        secret=ctx.settings.survey_link_secret, base_url=ctx.settings.public_url,
        actor=principal.subject, now=now,
    )  # fmt: skip
    ctx.audit.record(
        principal, "survey.send", now=now, target=str(wave_id),
        detail={"campaign": r.campaign, "messages": r.messages},
    )  # fmt: skip
    return SendOut(
        wave_id=wave_id, campaign=r.campaign, counts=r.counts, messages=r.messages,
        expires_at=r.expires_at,
    )  # fmt: skip


@router.get(
    "/waves/{wave_id}/recipients", response_model=list[RecipientOut], responses={**NOT_FOUND}
)
def recipients_route(
    ctx: Ctx, principal: Annotated[Principal, allow(Action.SURVEY_READ)], wave_id: WaveId
) -> list[RecipientOut]:
    """A wave's recipients by manager and whether each answered (a follow-up: the call list)."""
    return [RecipientOut(**r) for r in service.recipients(ctx.engine, wave_id)]


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
