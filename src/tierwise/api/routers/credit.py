"""``/credit``: credit risk control (R-OPS-4, docs/credit.md).

The ERP checks an order before it ships (``POST /credit/check``) and reports payments
(``POST /credit/payments``); finance users read terms, risk, receivables and holds, and let a
held order pass (an override; above the policy's amount a second finance user approves it).
Every write is in one transaction; overrides are in the audit log.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from tierwise.api.access import Action, Principal
from tierwise.api.deps import AppContext, Ctx, allow
from tierwise.api.errors import AUTH_ERRORS, BAD_INPUT, CONFLICT, NOT_FOUND
from tierwise.api.schemas.common import Input, StrictFloat, Timestamp
from tierwise.ops.credit import service
from tierwise.ops.credit.check import CheckResult, available_credit
from tierwise.ops.credit.policy import CreditPolicy, cached_policy

router = APIRouter(prefix="/credit", tags=["credit"], responses={**AUTH_ERRORS, **BAD_INPUT})
CustomerId = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_.-]+$")]
Amount = Annotated[StrictFloat, Field(ge=0.01, le=100_000_000, description="Yuan, at least 0.01")]


def policy_of(ctx: AppContext) -> CreditPolicy:
    """The service's credit policy (settings ``credit_policy``, else the shipped one)."""
    return cached_policy(ctx.settings.credit_policy)


def _yuan(x: float) -> Decimal:
    return Decimal(str(x)).quantize(Decimal("0.01"))


class OrderCheck(Input):
    customer_id: CustomerId
    amount: Amount


class HoldOut(BaseModel):
    kind: str = Field(description="overdue | over_limit")
    amount_over: Decimal
    reason_zh: str
    reason_en: str


class CheckOut(BaseModel):
    customer_id: str
    allow: bool
    amount: Decimal
    available: Decimal = Field(description="可用额度 before this order")
    amount_over: Decimal = Field(description="How much the order exceeds the available credit")
    overridden: bool = Field(description="Allowed by an approved finance override")
    holds: list[HoldOut]


def check_out(customer_id: str, r: CheckResult) -> CheckOut:
    return CheckOut(
        customer_id=customer_id, allow=r.allow, amount=r.amount, available=r.available,
        amount_over=r.amount_over, overridden=r.overridden,
        holds=[HoldOut(kind=h.kind, amount_over=h.amount_over, reason_zh=h.reason["zh"],
                       reason_en=h.reason["en"]) for h in r.holds],
    )  # fmt: skip


class Payment(Input):
    customer_id: CustomerId
    amount: Amount


class PaymentOut(BaseModel):
    customer_id: str
    available: Decimal
    open_holds: int


class OverrideIn(Input):
    customer_id: CustomerId
    amount: Amount
    reason: str = Field(min_length=1, max_length=2000)


class OverrideOut(BaseModel):
    id: int
    customer_id: str
    amount: Decimal
    reason: str
    status: str = Field(description="pending (needs a second approver) | approved | used")
    requested_by: str
    requested_at: Timestamp
    approved_by: str | None
    approved_at: Timestamp | None
    used_at: Timestamp | None


class HoldRow(BaseModel):
    id: int
    customer_id: str
    kind: str
    amount_over: Decimal
    detail: dict[str, Any]
    opened_at: Timestamp
    released_at: Timestamp | None
    released_by: str | None
    release_note: str | None


class TermsOut(BaseModel):
    customer_id: str
    available_credit: Decimal
    tier: str | None = None
    band: str | None = None
    pd: float | None = None
    terms: str | None = None
    deposit_pct: float | None = None
    credit_limit: Decimal | None = None
    pending_terms: str | None = None
    pending_from: dt.date | None = None
    since: dt.date | None = None
    reasons: dict[str, Any] | None = None
    account: dict[str, Any] | None = None


class Dashboard(BaseModel):
    exposure: list[dict[str, Any]]
    ageing: dict[str, Decimal]
    accounts: int
    holds: list[HoldRow]
    pending: list[dict[str, Any]]
    today: dt.date


@router.post("/check", response_model=CheckOut, responses=NOT_FOUND)
def check_route(
    ctx: Ctx, principal: Annotated[Principal, allow(Action.CREDIT_CHECK)], body: OrderCheck
) -> CheckOut:
    """Check an order: ``allow`` (the amount is frozen against the credit), or hold with the
    reasons (overdue beyond the policy's days, over the available credit) and the amount over.
    An unknown customer is 404, never an allow."""
    with ctx.engine.begin() as conn:
        r = service.check(conn, policy_of(ctx), body.customer_id, _yuan(body.amount), ctx.now())
    return check_out(body.customer_id, r)


@router.post("/payments", response_model=PaymentOut, responses={**NOT_FOUND, **CONFLICT})
def payment_route(
    ctx: Ctx, principal: Annotated[Principal, allow(Action.CREDIT_PAYMENT)], body: Payment
) -> PaymentOut:
    """A payment received since the last score: lowers the unsettled amount and releases
    the holds it clears."""
    with ctx.engine.begin() as conn:
        acc = service.record_payment(
            conn, policy_of(ctx), body.customer_id, _yuan(body.amount), ctx.now()
        )
        holds = [h for h in service.list_holds(conn) if h["customer_id"] == body.customer_id]
    return PaymentOut(
        customer_id=body.customer_id, available=available_credit(acc), open_holds=len(holds)
    )


@router.get("/customers/{customer_id}", response_model=TermsOut, responses=NOT_FOUND)
def terms_route(
    ctx: Ctx,
    principal: Annotated[Principal, allow(Action.CREDIT_READ)],
    customer_id: Annotated[str, Path(min_length=1, max_length=40)],
) -> TermsOut:
    """A customer's terms, deposit, limit, available credit, pending stricter terms, the risk
    score with its reason codes, and the receivables snapshot."""
    with ctx.engine.connect() as conn:
        return TermsOut(**service.terms_of(conn, customer_id))


@router.get("/holds", response_model=list[HoldRow])
def holds_route(
    ctx: Ctx,
    principal: Annotated[Principal, allow(Action.CREDIT_READ)],
    include_released: Annotated[bool, Query()] = False,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[HoldRow]:
    """Order holds, newest first (open ones unless ``include_released``)."""
    with ctx.engine.connect() as conn:
        rows = service.list_holds(conn, open_only=not include_released, limit=limit)
    return [HoldRow(**r) for r in rows]


@router.get("/dashboard", response_model=Dashboard)
def dashboard_route(
    ctx: Ctx, principal: Annotated[Principal, allow(Action.CREDIT_READ)]
) -> Dashboard:
    """Exposure by tier × risk band, overdue ageing (1–30/31–60/61–90/90+ days), open holds,
    and the customers whose stricter terms take effect at a coming run."""
    with ctx.engine.connect() as conn:
        return Dashboard(**service.dashboard(conn, ctx.now().date()))


@router.get("/overrides", response_model=list[OverrideOut])
def overrides_route(
    ctx: Ctx, principal: Annotated[Principal, allow(Action.CREDIT_READ)]
) -> list[OverrideOut]:
    """Finance overrides, newest first."""
    with ctx.engine.connect() as conn:
        return [OverrideOut(**r) for r in service.list_overrides(conn)]


@router.post("/overrides", response_model=OverrideOut, status_code=201, responses=NOT_FOUND)
def override_route(
    ctx: Ctx, principal: Annotated[Principal, allow(Action.CREDIT_OVERRIDE)], body: OverrideIn
) -> OverrideOut:
    """Let the customer's next held order of up to ``amount`` pass (once). Above the policy's
    ``second_approver_above`` it stays ``pending`` until another finance user approves it."""
    with ctx.engine.begin() as conn:
        row = service.request_override(
            conn, policy_of(ctx), body.customer_id, _yuan(body.amount), body.reason,
            principal.subject, principal.role.value, ctx.now(),
        )  # fmt: skip
    return OverrideOut(**row)


@router.post(
    "/overrides/{override_id}/approve",
    response_model=OverrideOut,
    responses={**NOT_FOUND, **CONFLICT},
)
def approve_route(
    ctx: Ctx,
    principal: Annotated[Principal, allow(Action.CREDIT_OVERRIDE)],
    override_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
) -> OverrideOut:
    """The second approver of a pending override (not the one who asked: 409)."""
    with ctx.engine.begin() as conn:
        row = service.approve_override(
            conn, override_id, principal.subject, principal.role.value, ctx.now()
        )
    return OverrideOut(**row)
