"""``/campaigns`` and ``/coupons``: campaigns by tier with a holdout, coupons at order time,
the provider's receipts (R-OPS-6, R-ANA-6, issue 24; docs/campaigns.md).

Marketing (and admins) define campaigns and send waves; analysts read them and their report;
the order system (service role) checks and uses coupons, and the SMS / WeChat gateway reports
its receipts and the customers' opt-outs.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from tierwise.api.access import Action, Principal
from tierwise.api.campaigns import campaign_report, send_now
from tierwise.api.deps import Ctx, allow
from tierwise.api.errors import AUTH_ERRORS, BAD_INPUT, CONFLICT, NOT_FOUND
from tierwise.api.schemas.common import Input, IsoDate, IsoDatetime, StrictFloat, StrictInt
from tierwise.ops.campaigns import service
from tierwise.ops.campaigns.content import preview
from tierwise.ops.campaigns.spec import CampaignSpec

router = APIRouter(tags=["campaigns"], responses={**AUTH_ERRORS, **BAD_INPUT})
Name = Annotated[str, Path(min_length=1, max_length=80, pattern=r"^[a-z0-9][a-z0-9_-]*$")]
Amount = Annotated[StrictFloat | StrictInt, Field(ge=0, le=10_000_000)]


class CampaignIn(Input):
    definition: dict[str, Any] = Field(description="A campaign definition (docs/campaigns.md)")


class CampaignOut(BaseModel):
    id: int
    name: str
    title: str
    audience: str
    status: str
    budget: float
    holdout_share: float
    created_at: datetime
    created_by: str
    definition: dict[str, Any]


class StatusIn(Input):
    status: Literal["active", "paused", "ended"]


class WaveOut(BaseModel):
    campaign: str
    wave: int
    counts: dict[str, int] = Field(description="Members by status: send, holdout, capped …")
    by_tier: dict[str, dict[str, int]]
    messages: int = Field(description="Outbox messages queued (per message and provider)")
    coupons: int
    spent: float = Field(description="Yuan spent so far: messages + coupon faces issued")


class CouponIn(Input):
    code: str = Field(min_length=1, max_length=16)
    customer_id: str = Field(min_length=1, max_length=40)
    lines: dict[str, Amount] = Field(
        min_length=1, max_length=200, description="Category → yuan of the order's lines"
    )
    other_codes: list[str] = Field(default_factory=list, max_length=10)
    at: IsoDatetime | None = Field(default=None, description="ISO 8601 (default: now)")


class RedeemIn(CouponIn):
    order_id: str = Field(min_length=1, max_length=64)


class VerdictOut(BaseModel):
    ok: bool
    code: str
    discount: float = Field(description="Yuan off the order (0 when refused)")
    reason: str | None = Field(description="Why it was refused")


class CallbackIn(Input):
    event_id: str = Field(min_length=1, max_length=64, description="X-Tierwise-Event-Id")
    kind: Literal["delivered", "opened", "clicked"]
    at: IsoDatetime | None = Field(default=None, description="ISO 8601 (default: now)")


class CallbackOut(BaseModel):
    recorded: bool = Field(description="False: recorded before (a repeated callback)")


class OptOutIn(Input):
    customer_id: str = Field(min_length=1, max_length=40)
    channel: Literal["sms", "push", "wechat", "task", "*"] = "*"


def _out(row: dict[str, Any]) -> CampaignOut:
    return CampaignOut(
        **{k: row[k] for k in ("id", "name", "title", "audience", "status", "holdout_share")},
        budget=row["budget_fen"] / 100,
        created_at=row["created_at"],
        created_by=row["created_by"],
        definition=row["spec"],
    )


def _fen(lines: dict[str, float | int]) -> dict[str, int]:
    return {k: round(float(v) * 100) for k, v in lines.items()}


def _verdict(v: Any) -> VerdictOut:
    return VerdictOut(ok=v.ok, code=v.code, discount=v.discount, reason=v.reason)


@router.get("/campaigns", response_model=list[CampaignOut])
def list_route(
    ctx: Ctx, principal: Annotated[Principal, allow(Action.CAMPAIGN_READ)]
) -> list[CampaignOut]:
    """Every campaign, oldest first."""
    return [_out(r) for r in service.list_campaigns(ctx.engine)]


@router.post("/campaigns", response_model=CampaignOut, responses={**CONFLICT})
def create_route(
    ctx: Ctx, principal: Annotated[Principal, allow(Action.CAMPAIGN_MANAGE)], body: CampaignIn
) -> CampaignOut:
    """Define a campaign; refused with every problem (unknown audience, a schedule in the
    past, content with an unknown variable …) and nothing stored."""
    now = ctx.now()
    row = service.create_campaign(
        ctx.engine, body.definition, today=now.date(), actor=principal.subject, now=now
    )
    ctx.audit.record(principal, "campaign.create", now=now, target=row["name"])
    return _out(row)


# Before /campaigns/{name}: an OPTIONS or GET on these fixed paths must not be read as a
# campaign's name (the 405's Allow header names this route's method).
@router.post("/campaigns/callbacks", response_model=CallbackOut, responses={**NOT_FOUND})
def callback_route(
    ctx: Ctx, principal: Annotated[Principal, allow(Action.CAMPAIGN_CALLBACK)], body: CallbackIn
) -> CallbackOut:
    """The provider's receipt of a message (by its event id): first time only."""
    done = service.record_callback(ctx.engine, body.event_id, body.kind, body.at or ctx.now())
    return CallbackOut(recorded=done)


@router.post("/campaigns/optouts", response_model=CallbackOut)
def optout_route(
    ctx: Ctx, principal: Annotated[Principal, allow(Action.CAMPAIGN_CALLBACK)], body: OptOutIn
) -> CallbackOut:
    """A customer opts out of a channel (``*``: all); later waves respect it."""
    service.opt_out(ctx.engine, body.customer_id, channel=body.channel,
                    source=principal.subject[:40], now=ctx.now())  # fmt: skip
    return CallbackOut(recorded=True)


@router.get("/campaigns/{name}", response_model=CampaignOut, responses={**NOT_FOUND})
def get_route(
    ctx: Ctx, principal: Annotated[Principal, allow(Action.CAMPAIGN_READ)], name: Name
) -> CampaignOut:
    return _out(service.get_campaign(ctx.engine, name))


@router.get("/campaigns/{name}/preview", response_model=dict[str, str], responses={**NOT_FOUND})
def preview_route(
    ctx: Ctx, principal: Annotated[Principal, allow(Action.CAMPAIGN_READ)], name: Name
) -> dict[str, str]:
    """Each content variant rendered for a sample customer."""
    spec = CampaignSpec.model_validate(service.get_campaign(ctx.engine, name)["spec"])
    return preview(spec.content)


@router.post(
    "/campaigns/{name}/status", response_model=CampaignOut, responses={**NOT_FOUND, **CONFLICT}
)
def status_route(
    ctx: Ctx,
    principal: Annotated[Principal, allow(Action.CAMPAIGN_MANAGE)],
    name: Name,
    body: StatusIn,
) -> CampaignOut:
    """Pause, resume (``active``) or end a campaign."""
    row = service.set_status(ctx.engine, name, body.status)
    ctx.audit.record(principal, "campaign.status", now=ctx.now(), target=name,
                     detail={"status": body.status})  # fmt: skip
    return _out(row)


@router.post("/campaigns/{name}/waves", response_model=WaveOut, responses={**NOT_FOUND, **CONFLICT})
def wave_route(
    ctx: Ctx, principal: Annotated[Principal, allow(Action.CAMPAIGN_MANAGE)], name: Name
) -> WaveOut:
    """Send one wave to the audience's members as of today (holdout kept, cap, opt-outs,
    quiet hours, budget); refused with the reason when nothing is due or the audience is
    empty, and then nothing is sent."""
    r = send_now(ctx, name)
    ctx.audit.record(principal, "campaign.wave", now=ctx.now(), target=name,
                     detail={"wave": r.wave, "counts": r.counts})  # fmt: skip
    return WaveOut(campaign=r.campaign, wave=r.wave, counts=r.counts, by_tier=r.by_tier,
                   messages=r.messages, coupons=r.coupons, spent=r.spent_fen / 100)  # fmt: skip


@router.get("/campaigns/{name}/report", responses={**NOT_FOUND})
def report_route(
    ctx: Ctx,
    principal: Annotated[Principal, allow(Action.CAMPAIGN_READ)],
    name: Name,
    first: Annotated[IsoDate | None, Query(description="First day measured")] = None,
    last: Annotated[IsoDate | None, Query(description="Last day measured")] = None,
) -> dict[str, Any]:
    """Per tier: sent, delivered, opened, clicked, redeemed, conversion by arm, incremental
    conversion / orders / margin against the holdout with 95 % intervals, cost and ROI."""
    return campaign_report(ctx, name, first, last)


@router.post("/coupons/check", response_model=VerdictOut)
def coupon_check_route(
    ctx: Ctx, principal: Annotated[Principal, allow(Action.COUPON_REDEEM)], body: CouponIn
) -> VerdictOut:
    """Whether a coupon applies to an order, and its discount (nothing is used)."""
    v = service.check_coupon(ctx.engine, body.code, customer_id=body.customer_id,
                             lines=_fen(body.lines), at=body.at or ctx.now(),
                             other_codes=body.other_codes)  # fmt: skip
    return _verdict(v)


@router.post("/coupons/redeem", response_model=VerdictOut)
def coupon_redeem_route(
    ctx: Ctx, principal: Annotated[Principal, allow(Action.COUPON_REDEEM)], body: RedeemIn
) -> VerdictOut:
    """Use a coupon on an order, once: a replay, an expired code or another customer's code
    is refused with the reason (``ok: false``); the same order asking again gets the same
    discount."""
    v = service.redeem(ctx.engine, body.code, customer_id=body.customer_id,
                       order_id=body.order_id, lines=_fen(body.lines), at=body.at or ctx.now(),
                       other_codes=body.other_codes)  # fmt: skip
    return _verdict(v)
