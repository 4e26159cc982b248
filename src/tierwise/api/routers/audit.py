"""``/audit``: the audit log, for admins."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from tierwise.api.access import Action, Principal
from tierwise.api.deps import Ctx, allow
from tierwise.api.errors import AUTH_ERRORS, BAD_INPUT
from tierwise.api.schemas.admin import AuditPublic
from tierwise.api.schemas.common import MAX_PAGE_SIZE, Page

router = APIRouter(prefix="/audit", tags=["audit"], responses={**AUTH_ERRORS, **BAD_INPUT})


@router.get("", response_model=Page[AuditPublic])
def read_audit(
    ctx: Ctx,
    _p: Annotated[Principal, allow(Action.AUDIT_READ)],
    action: Annotated[str | None, Query(min_length=1, max_length=40)] = None,
    actor: Annotated[str | None, Query(min_length=1, max_length=120)] = None,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 50,
) -> Page[AuditPublic]:
    """Entries newest first: personal data read unmasked, policies, overrides, exports ..."""
    rows, total = ctx.audit.page(action=action, actor=actor, offset=offset, limit=limit)
    return Page(items=[AuditPublic(**r) for r in rows], total=total, offset=offset, limit=limit)
