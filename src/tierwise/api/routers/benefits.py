"""``/benefits`` and ``/customers/{id}/benefits``: the benefits ledger (R-OPS-2, issue 21).

Grants follow tier state by themselves (:mod:`tierwise.ops.benefits.ledger`); these routes read
them, record their use (a redemption must match an active grant: refused with the reason
otherwise, 409, nothing written) and report use and cost per month, benefit and tier. Staff read
any customer they may read (account managers their own), a customer only itself; no personal
data is in a grant, so nothing is masked.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from tierwise.api.access import Action
from tierwise.api.deps import Ctx, CustomerAccess, allow, allow_customer
from tierwise.api.errors import AUTH_ERRORS, BAD_INPUT, CONFLICT, NOT_FOUND
from tierwise.api.schemas.common import Input, IsoDate, StrictInt, Timestamp
from tierwise.ops.benefits.ledger import customer_grants, customer_redemptions, usage
from tierwise.ops.benefits.redeem import Redemption, redeem
from tierwise.policy.benefits import KINDS, REDEEMABLE

router = APIRouter(tags=["benefits"], responses={**AUTH_ERRORS, **BAD_INPUT})


class Kind(BaseModel):
    kind: str
    zh: str
    en: str
    redeemable: bool = Field(description="Used one at a time (a redemption) or applied by itself")


class GrantPublic(BaseModel):
    id: int
    benefit: str = Field(description="The benefit's code in the policy")
    kind: str
    params: dict[str, Any]
    tier: str = Field(description="The tier that gave it")
    status: Literal["active", "expired", "revoked"]
    valid_from: dt.date
    valid_until: dt.date | None = Field(description="First day it no longer applies (grace end)")
    cause: str = Field(description="run:<run id> or realtime:<run id>")
    reason: dict[str, Any]
    ended_reason: dict[str, Any] | None


class RedemptionPublic(BaseModel):
    id: int
    benefit: str
    grant_id: int | None
    tier: str | None
    used_on: dt.date
    quantity: int
    cost: Decimal = Field(description="Yuan given away")
    ref: str | None
    source: str = Field(description="api | file:<name>:<row>")
    status: Literal["accepted", "refused"]
    reason: str | None
    created_at: Timestamp


class CustomerBenefits(BaseModel):
    customer_id: str
    grants: list[GrantPublic]
    redemptions: list[RedemptionPublic] = Field(description="The latest 100, newest first")


class RedemptionCreate(Input):
    benefit: str = Field(min_length=1, max_length=40, pattern=r"^[a-z][a-z0-9_]*$")
    used_on: dt.date
    quantity: StrictInt = Field(default=1, ge=1, le=1000)
    cost: Decimal = Field(default=Decimal("0"), ge=0, max_digits=12, decimal_places=2)
    order_yuan: Decimal | None = Field(default=None, ge=0, max_digits=12, decimal_places=2)
    ref: str | None = Field(
        default=None,
        min_length=1,
        max_length=80,
        description="Your id: the same ref twice records once",
    )


class UsageRow(BaseModel):
    month: str
    benefit: str
    tier: str | None
    redemptions: int
    quantity: int
    cost: Decimal
    refused: int


def _grant(row: dict[str, Any]) -> GrantPublic:
    return GrantPublic(
        benefit=row["code"],
        **{k: v for k, v in row.items() if k in GrantPublic.model_fields and k != "benefit"},
    )


def _redemption(row: dict[str, Any]) -> RedemptionPublic:
    return RedemptionPublic(
        benefit=row["code"],
        **{k: v for k, v in row.items() if k in RedemptionPublic.model_fields and k != "benefit"},
    )


@router.get(
    "/benefits/kinds",
    response_model=list[Kind],
    summary="The catalogue of benefit kinds",
    dependencies=[allow(Action.BENEFIT_READ)],
)
def list_kinds() -> list[Kind]:
    """Every kind a policy's tiers can give (docs/benefits.md lists their parameters)."""
    return [Kind(kind=k, zh=zh, en=en, redeemable=k in REDEEMABLE) for k, (zh, en) in KINDS.items()]


@router.get(
    "/customers/{customer_id}/benefits",
    response_model=CustomerBenefits,
    responses=NOT_FOUND,
    summary="A customer's benefit grants and their use",
)
def get_customer_benefits(
    ctx: Ctx, access: Annotated[CustomerAccess, allow_customer(Action.BENEFIT_READ)]
) -> CustomerBenefits:
    """Every grant (active first), with its validity, cause and reason, and the latest uses."""
    cid = access.customer.customer_id
    return CustomerBenefits(
        customer_id=cid,
        grants=[_grant(r) for r in customer_grants(ctx.engine, cid)],
        redemptions=[_redemption(r) for r in customer_redemptions(ctx.engine, cid)],
    )


@router.post(
    "/customers/{customer_id}/benefits/redemptions",
    response_model=RedemptionPublic,
    status_code=201,
    responses={**NOT_FOUND, **CONFLICT},
    summary="Record the use of a benefit",
)
def post_redemption(
    ctx: Ctx,
    access: Annotated[CustomerAccess, allow_customer(Action.BENEFIT_REDEEM)],
    body: RedemptionCreate,
) -> RedemptionPublic:
    """Accepted against the customer's active grant of ``benefit`` on ``used_on``; 409 with the
    reason (no grant, a grant not active that day, a kind that is not redeemed one at a time,
    a monthly allowance used up) and nothing written otherwise."""
    r = Redemption(
        access.customer.customer_id,
        body.benefit,
        body.used_on,
        body.quantity,
        body.cost,
        body.order_yuan,
        body.ref,
    )
    out = redeem(ctx.engine, r, actor=access.principal.subject, now=ctx.now())
    rows = customer_redemptions(ctx.engine, r.customer_id, limit=1000)
    return _redemption(next(row for row in rows if row["id"] == out.id))


@router.get(
    "/benefits/usage",
    response_model=list[UsageRow],
    summary="Use and cost per month, benefit and tier",
    dependencies=[allow(Action.ANALYTICS_READ)],
)
def get_usage(
    ctx: Ctx,
    start: Annotated[IsoDate, Query(alias="from", description="First day (inclusive)")],
    end: Annotated[IsoDate, Query(alias="to", description="Last day (exclusive)")],
) -> list[UsageRow]:
    """Accepted redemptions' count, quantity and cost, and refusals, per month × benefit × tier
    (``to`` not after ``from``: an empty period, an empty list)."""
    return [UsageRow(**row) for row in usage(ctx.engine, start, end)]
