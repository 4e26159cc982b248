"""``/me``: the customer-facing view (R-INT-3). A customer principal sees only itself."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter

from tierwise.api.access import Action, CustomerRef, Principal, decide
from tierwise.api.deps import AppContext, Ctx, allow
from tierwise.api.errors import AUTH_ERRORS, NOT_FOUND
from tierwise.api.schemas.customers import MyTier
from tierwise.api.selfview import self_view
from tierwise.api.views import benefits_of, run_policy, tier_labels
from tierwise.errors import NotFoundError, PermissionDeniedError

router = APIRouter(prefix="/me", tags=["customer-facing"], responses={**AUTH_ERRORS, **NOT_FOUND})


def my_view(ctx: AppContext, principal: Principal) -> dict[str, Any]:
    """The calling customer's own view (the fields ``access.self_view_fields`` allows)."""
    cid = principal.customer_id
    row = ctx.customers.get(cid, full=True) if cid else None
    if row is None:
        raise NotFoundError(f"no customer {cid!r}", customer_id=cid)
    d = decide(principal, Action.SELF_READ, CustomerRef(row["customer_id"], row["account_manager"]))
    if not d:
        raise PermissionDeniedError(d.reason)
    runs = ctx.settings.runs_dir
    policy = run_policy(runs, row.get("run_id"), ctx.cache)
    order, labels = tier_labels(policy)
    return self_view(
        principal,
        row,
        changes=ctx.customers.history(row["customer_id"]),
        benefits=benefits_of(runs, row.get("run_id"), row.get("tier"), ctx.cache),
        tier_order=order,
        labels=labels,
        all_needed=policy is not None and policy.tiers.method == "threshold",
    )


@router.get("", response_model=MyTier, summary="My tier, benefits, progress and tier history")
def my_tier(ctx: Ctx, principal: Annotated[Principal, allow(Action.SELF_READ)]) -> MyTier:
    """The tier badge, benefits, what keeps the tier or reaches the next one (in yuan and
    orders) and the history of the calling customer's tier: nothing internal (no score,
    segment, tags, rules or explanations)."""
    return MyTier(**my_view(ctx, principal))
