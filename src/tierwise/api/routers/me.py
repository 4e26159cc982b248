"""``/me``: the customer-facing view (R-INT-3). A customer principal sees only itself."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from tierwise.api.access import Action, Principal
from tierwise.api.deps import Ctx, allow
from tierwise.api.errors import AUTH_ERRORS, NOT_FOUND
from tierwise.api.schemas.customers import MyTier
from tierwise.api.selfview import my_view

router = APIRouter(prefix="/me", tags=["customer-facing"], responses={**AUTH_ERRORS, **NOT_FOUND})


@router.get("", response_model=MyTier, summary="My tier, benefits, progress and tier history")
def my_tier(ctx: Ctx, principal: Annotated[Principal, allow(Action.SELF_READ)]) -> MyTier:
    """The tier badge, benefits, what keeps the tier or reaches the next one (in yuan and
    orders) and the history of the calling customer's tier: nothing internal (no score,
    segment, tags, rules or explanations)."""
    return MyTier(**my_view(ctx, principal))
