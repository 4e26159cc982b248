"""``/price-rules`` and ``/customers/{id}/quote``: tier pricing (R-OPS-3, issue 21 item 2).

Rules are data: saved only when they conflict with no other rule (409 with both ids and an
example line), announced to webhooks as ``price_rule.changed``. A quote prices lines for one
customer (their published tier, their province as the region) and says, per line, the rule
applied and why.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Response
from pydantic import BaseModel, Field

from tierwise.api.access import Action, Principal
from tierwise.api.deps import Ctx, CustomerAccess, allow, allow_customer
from tierwise.api.errors import AUTH_ERRORS, BAD_INPUT, CONFLICT, NOT_FOUND
from tierwise.api.schemas.common import Input, IsoDate, StrictInt
from tierwise.ops.benefits.price_rules import delete_rule, list_rules, quote, save_rule
from tierwise.ops.benefits.pricing import Line, PriceRule

router = APIRouter(tags=["pricing"], responses={**AUTH_ERRORS, **BAD_INPUT})
_NO_CONTROL = r"^[^\x00-\x1f]+$"
Scope = Annotated[str, Field(min_length=1, max_length=40, pattern=_NO_CONTROL)]


class PriceRuleCreate(Input):
    code: str = Field(min_length=1, max_length=60, pattern=r"^[A-Za-z0-9_.-]+$")
    kind: Literal["discount_pct", "net_price"]
    value: Decimal = Field(max_digits=12, decimal_places=2, description="Percent or yuan")
    valid_from: dt.date
    valid_until: dt.date | None = Field(default=None, description="First day it no longer applies")
    priority: StrictInt = Field(default=0, ge=-1000, le=1000)
    tier: Scope | None = None
    sku: Annotated[str, Field(min_length=1, max_length=60)] | None = None
    category: Scope | None = None
    region: Scope | None = Field(default=None, description="A province (省), as customers carry")


class PriceRulePublic(BaseModel):
    id: int
    code: str
    kind: str
    value: Decimal
    valid_from: dt.date
    valid_until: dt.date | None
    priority: int
    tier: str | None
    sku: str | None
    category: str | None
    region: str | None


class QuoteLineIn(Input):
    sku: str = Field(min_length=1, max_length=60)
    category: Scope | None = None
    quantity: Decimal = Field(default=Decimal(1), gt=0, max_digits=12, decimal_places=3)
    list_price: Decimal = Field(ge=0, max_digits=12, decimal_places=2, description="Yuan a unit")


class QuoteIn(Input):
    day: dt.date | None = Field(default=None, description="Default: today (UTC)")
    lines: list[QuoteLineIn] = Field(min_length=1, max_length=500)


class QuotedLine(BaseModel):
    sku: str
    quantity: Decimal
    list_price: Decimal
    net_price: Decimal
    amount: Decimal
    rule: str | None = Field(description="The rule applied (none: list price)")
    why: str


class Quote(BaseModel):
    customer_id: str
    tier: str | None
    region: str | None
    day: dt.date
    lines: list[QuotedLine]
    total: Decimal


def _public(r: PriceRule) -> PriceRulePublic:
    return PriceRulePublic.model_validate(r, from_attributes=True)


@router.get(
    "/price-rules",
    response_model=list[PriceRulePublic],
    summary="Every price rule, highest priority first",
    dependencies=[allow(Action.PRICE_READ)],
)
def get_rules(
    ctx: Ctx,
    tier: Annotated[
        str | None,
        Query(
            min_length=1, max_length=60, pattern=_NO_CONTROL, description="A tier code, or `any`"
        ),
    ] = None,
    sku: Annotated[
        str | None,
        Query(min_length=1, max_length=60, pattern=_NO_CONTROL, description="A SKU, or `any`"),
    ] = None,
    category: Annotated[
        str | None,
        Query(min_length=1, max_length=60, pattern=_NO_CONTROL, description="A category, or `any`"),
    ] = None,
    region: Annotated[
        str | None,
        Query(min_length=1, max_length=60, pattern=_NO_CONTROL, description="A province, or `any`"),
    ] = None,
    kind: Annotated[Literal["discount_pct", "net_price"] | None, Query()] = None,
    on: Annotated[IsoDate | None, Query(description="Only rules valid that day")] = None,
) -> list[PriceRulePublic]:
    """Filters: a scope's exact value, or ``any`` for the rules without that scope."""
    rules = list_rules(
        ctx.engine, tier=tier, sku=sku, category=category, region=region, kind=kind, on=on
    )
    return [_public(r) for r in rules]


@router.post(
    "/price-rules",
    response_model=PriceRulePublic,
    status_code=201,
    responses=CONFLICT,
    summary="Save a price rule (refused when it conflicts)",
)
def post_rule(
    ctx: Ctx,
    body: PriceRuleCreate,
    principal: Annotated[Principal, allow(Action.PRICE_WRITE)],
) -> PriceRulePublic:
    """422 for a negative price, a discount outside (0, 100], a SKU and a category together,
    dates in the wrong order; 409 when another rule can give a line a different price at the
    same priority (``conflicts`` lists both ids and an example line)."""
    rule = PriceRule(id=None, **body.model_dump())
    return _public(save_rule(ctx.engine, rule, author=principal.subject, now=ctx.now()))


@router.delete(
    "/price-rules/{rule_id}",
    status_code=204,
    responses=NOT_FOUND,
    summary="Delete a price rule",
    dependencies=[allow(Action.PRICE_WRITE)],
)
def remove_rule(ctx: Ctx, rule_id: Annotated[int, Path(ge=1, le=2**31 - 1)]) -> Response:
    delete_rule(ctx.engine, rule_id, now=ctx.now())
    return Response(status_code=204)


@router.post(
    "/customers/{customer_id}/quote",
    response_model=Quote,
    responses=NOT_FOUND,
    summary="Price lines for a customer: list, net, rule and why",
)
def post_quote(
    ctx: Ctx, access: Annotated[CustomerAccess, allow_customer(Action.PRICE_READ)], body: QuoteIn
) -> Quote:
    q = quote(
        ctx.engine,
        access.customer.customer_id,
        access.row.get("province"),
        body.day or ctx.now().date(),
        [Line(ln.sku, ln.category, ln.list_price, ln.quantity) for ln in body.lines],
    )
    return Quote(
        customer_id=q.customer_id,
        tier=q.tier,
        region=q.region,
        day=q.day,
        lines=[QuotedLine(**ln.__dict__) for ln in q.lines],
        total=q.total,
    )
