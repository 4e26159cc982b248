"""``/me``: the customer-facing view (R-INT-3). A customer principal sees only itself."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from tierwise.api.access import Action, CustomerRef, Principal, decide
from tierwise.api.deps import Ctx, allow
from tierwise.api.errors import AUTH_ERRORS, NOT_FOUND
from tierwise.api.schemas.customers import MyTier
from tierwise.api.views import benefits_of, upgrade_of
from tierwise.errors import NotFoundError, PermissionDeniedError

router = APIRouter(prefix="/me", tags=["customer-facing"], responses={**AUTH_ERRORS, **NOT_FOUND})


@router.get("", response_model=MyTier, summary="My tier, benefits and upgrade progress")
def my_tier(ctx: Ctx, principal: Annotated[Principal, allow(Action.SELF_READ)]) -> MyTier:
    """The tier badge, benefits and the way to the next tier of the calling customer."""
    cid = principal.customer_id
    row = ctx.customers.get(cid) if cid else None
    if row is None:
        raise NotFoundError(f"no customer {cid!r}", customer_id=cid)
    d = decide(principal, Action.SELF_READ, CustomerRef(row["customer_id"], row["account_manager"]))
    if not d:
        raise PermissionDeniedError(d.reason)
    return MyTier(
        customer_id=row["customer_id"],
        name=row["name"],
        tier=row["tier"],
        tier_since=row["tier_since"],
        benefits=benefits_of(ctx.settings.runs_dir, row.get("run_id"), row.get("tier"), ctx.cache),
        upgrade=upgrade_of(row),
        explanation=row.get("explanation") or [],
    )
