"""``/overrides``: manual tiers with a reason and an expiry (R-GRD-10)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from tierwise.api.access import Action, CustomerRef, Principal, decide, scope
from tierwise.api.deps import AppContext, Ctx, allow
from tierwise.api.errors import AUTH_ERRORS, BAD_INPUT, CONFLICT, NOT_FOUND
from tierwise.api.schemas.admin import OverrideCreate, OverridePublic
from tierwise.api.schemas.common import MAX_PAGE_SIZE, Page
from tierwise.errors import ConflictError, DataError, NotFoundError, PermissionDeniedError

router = APIRouter(prefix="/overrides", tags=["overrides"], responses={**AUTH_ERRORS, **BAD_INPUT})
OverrideId = Annotated[int, Path(ge=1, le=2**31 - 1)]


def set_override(
    ctx: AppContext,
    principal: Principal,
    customer_id: str,
    tier: str,
    reason: str,
    days: int,
) -> dict[str, Any]:
    """Set a customer's tier by hand for ``days`` days (the API's route and the console's
    360° page both call this): checked with ``decide`` for that customer, audited."""
    now = ctx.now()
    expires = now + timedelta(days=days)
    tiers = ctx.runs.current_tiers()
    if tier not in tiers:
        raise ConflictError(
            f"tier {tier!r} is not a tier of the current policy",
            hint="tiers are " + (", ".join(tiers) or "none yet: publish a run first"),
            field="tier",
        )
    if not reason.strip():
        raise DataError("an override needs a reason", hint="say why", field="reason")
    ref = ctx.customers.ref(customer_id)
    if ref is None:
        raise NotFoundError(f"no customer {customer_id!r}", customer_id=customer_id)
    d = decide(principal, Action.OVERRIDE_WRITE, CustomerRef(ref.customer_id, ref.account_manager))
    if not d:
        raise PermissionDeniedError(d.reason)
    row = ctx.overrides.create(
        customer_id, tier, reason.strip(), expires, author=principal.subject, now=now
    )
    ctx.audit.record(
        principal,
        "override.create",
        now=now,
        target=customer_id,
        detail={"override_id": row["id"], "tier": tier, "reason": reason.strip()},
    )
    return row


def end_override(
    ctx: AppContext, principal: Principal, override_id: int, reason: str | None = None
) -> dict[str, Any]:
    """End an override now (the API's revoke route and the console both call this); checked
    with ``decide`` for the override's customer; ``reason`` goes to the audit log."""
    now = ctx.now()
    current = ctx.overrides.get(override_id)
    ref = ctx.customers.ref(current["customer_id"])
    d = decide(
        principal,
        Action.OVERRIDE_WRITE,
        None if ref is None else CustomerRef(ref.customer_id, ref.account_manager),
    )
    if not d:
        raise PermissionDeniedError(d.reason)
    row = ctx.overrides.revoke(override_id, now)
    detail: dict[str, Any] = {"override_id": override_id}
    if reason:
        detail["reason"] = reason.strip()
    ctx.audit.record(
        principal, "override.revoke", now=now, target=row["customer_id"], detail=detail
    )
    return row


@router.post(
    "", status_code=201, response_model=OverridePublic, responses={**NOT_FOUND, **CONFLICT}
)
def create_override(
    ctx: Ctx,
    principal: Annotated[Principal, allow(Action.OVERRIDE_WRITE)],
    body: OverrideCreate,
) -> OverridePublic:
    """Set a customer's tier by hand for ``days`` days; the next publish applies it.

    The tier must be one of the current run's tiers (409 otherwise)."""
    row = set_override(ctx, principal, body.customer_id, body.tier, body.reason, body.days)
    return OverridePublic(**row)


@router.get("", response_model=Page[OverridePublic])
def list_overrides(
    ctx: Ctx,
    principal: Annotated[Principal, allow(Action.OVERRIDE_LIST)],
    customer_id: Annotated[str | None, Query(min_length=1, max_length=40)] = None,
    active: Annotated[bool, Query(description="Only unrevoked, unexpired ones")] = False,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 50,
) -> Page[OverridePublic]:
    rows, total = ctx.overrides.page(
        scope(principal),
        customer_id=customer_id,
        active_at=ctx.now() if active else None,
        offset=offset,
        limit=limit,
    )
    return Page(items=[OverridePublic(**r) for r in rows], total=total, offset=offset, limit=limit)


@router.post("/{override_id}/revoke", response_model=OverridePublic, responses=NOT_FOUND)
def revoke_override(
    ctx: Ctx,
    principal: Annotated[Principal, allow(Action.OVERRIDE_WRITE)],
    override_id: OverrideId,
) -> OverridePublic:
    """End an override now."""
    return OverridePublic(**end_override(ctx, principal, override_id))
