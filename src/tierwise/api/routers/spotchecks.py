"""``/spot-checks``: manual spot checks of a run's tier changes (人工抽检, R-GRD-11).

Reviewers (analysts, risk) open a check of a run (a stratified sample of its changed
customers), then agree or disagree with each one (a disagreement needs its reason); the
agreement comes per run and per policy with a Wilson interval.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from tierwise.api.access import Action, Principal
from tierwise.api.deps import Ctx, allow
from tierwise.api.errors import AUTH_ERRORS, BAD_INPUT, CONFLICT, NOT_FOUND
from tierwise.api.schemas.common import Input, StrictInt, Timestamp
from tierwise.experiments import spotcheck

router = APIRouter(
    prefix="/spot-checks", tags=["spot checks"], responses={**AUTH_ERRORS, **BAD_INPUT}
)
Id = Annotated[int, Path(ge=1, le=2**31 - 1)]


class CheckIn(Input):
    run_id: str = Field(min_length=1, max_length=120)
    per_stratum: StrictInt = Field(
        default=10, ge=1, le=1000, description="Customers per (direction, tier)"
    )


class Agreement(BaseModel):
    agreed: int
    reviewed: int
    rate: float | None
    ci_low: float | None
    ci_high: float | None


class Item(BaseModel):
    id: int
    customer_id: str
    stratum: str = Field(description="up | down | new | out | changed : the tier moved to")
    from_tier: str | None
    to_tier: str | None
    verdict: str | None
    reason: str | None
    reviewer: str | None
    reviewed_at: Timestamp | None


class CheckPublic(BaseModel):
    id: int
    run_id: str
    policy_name: str | None
    status: str = Field(description="open | finished")
    created_at: Timestamp
    created_by: str
    finished_at: Timestamp | None
    sampled: int
    agreement: Agreement


class CheckDetail(CheckPublic):
    items: list[Item]


class Agree(Input):
    verdict: Literal["agree"]
    reason: str | None = Field(default=None, max_length=2000)


class Disagree(Input):
    verdict: Literal["disagree"]
    # the rule "a disagreement needs its reason" is in the schema, so that a client (and
    # schemathesis) can see it: a reason with at least one non-blank character
    reason: str = Field(min_length=1, max_length=2000, pattern=r"\S")


Verdict = Annotated[Agree | Disagree, Field(discriminator="verdict")]


class AgreementRow(Agreement):
    run: str | None = None
    policy: str | None = None


@router.get("", response_model=list[CheckPublic])
def list_route(
    ctx: Ctx, _p: Annotated[Principal, allow(Action.EXPERIMENT_READ)]
) -> list[CheckPublic]:
    return [CheckPublic(**c) for c in spotcheck.list_checks(ctx.engine)]


@router.post("", response_model=CheckDetail, status_code=201, responses={**NOT_FOUND, **CONFLICT})
def open_route(
    ctx: Ctx, principal: Annotated[Principal, allow(Action.SPOTCHECK_REVIEW)], body: CheckIn
) -> CheckDetail:
    """Sample a run's changed customers into a review queue (one check per run)."""
    now = ctx.now()
    row = spotcheck.open_check(
        ctx.engine, body.run_id, per_stratum=body.per_stratum, actor=principal.subject, now=now
    )
    ctx.audit.record(principal, "spotcheck.open", now=now, target=body.run_id, detail={})
    return CheckDetail(**row)


@router.get("/agreement", response_model=list[AgreementRow])
def agreement_route(
    ctx: Ctx,
    _p: Annotated[Principal, allow(Action.EXPERIMENT_READ)],
    by: Annotated[Literal["run", "policy"], Query()] = "run",
) -> list[AgreementRow]:
    """Agreement per run or per policy, with its 95 % Wilson interval."""
    return [AgreementRow(**r) for r in spotcheck.agreement_by(ctx.engine, by)]


@router.get("/{check_id}", response_model=CheckDetail, responses=NOT_FOUND)
def get_route(
    ctx: Ctx, _p: Annotated[Principal, allow(Action.EXPERIMENT_READ)], check_id: Id
) -> CheckDetail:
    return CheckDetail(**spotcheck.get_check(ctx.engine, check_id))


@router.post("/items/{item_id}", response_model=CheckDetail, responses={**NOT_FOUND, **CONFLICT})
def review_route(
    ctx: Ctx,
    principal: Annotated[Principal, allow(Action.SPOTCHECK_REVIEW)],
    item_id: Id,
    body: Verdict,
) -> CheckDetail:
    """Agree or disagree with one sampled customer's new tier (disagree needs a reason)."""
    now = ctx.now()
    row = spotcheck.review(
        ctx.engine, item_id, body.verdict, reason=body.reason, reviewer=principal.subject, now=now
    )
    ctx.audit.record(
        principal,
        "spotcheck.review",
        now=now,
        target=str(item_id),
        detail={"verdict": body.verdict, "reason": body.reason},
    )
    return CheckDetail(**row)
