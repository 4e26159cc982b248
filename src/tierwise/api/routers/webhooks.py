"""``/webhooks``: CRM/ERP endpoints that receive tier changes (R-INT-1)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from tierwise.api.access import Action, Principal
from tierwise.api.deps import Ctx, allow
from tierwise.api.errors import AUTH_ERRORS, BAD_INPUT, NOT_FOUND
from tierwise.api.schemas.admin import WebhookCreate, WebhookCreated, WebhookPublic, WebhookUpdate

router = APIRouter(prefix="/webhooks", tags=["webhooks"], responses={**AUTH_ERRORS, **BAD_INPUT})
WebhookId = Annotated[int, Path(ge=1, le=2**31 - 1)]


@router.get("", response_model=list[WebhookPublic])
def list_webhooks(
    ctx: Ctx, _p: Annotated[Principal, allow(Action.WEBHOOK_MANAGE)]
) -> list[WebhookPublic]:
    """Every webhook with its outbox counts (the secret is never shown again)."""
    return [WebhookPublic(**w) for w in ctx.webhooks.list()]


@router.post("", status_code=201, response_model=WebhookCreated)
def create_webhook(
    ctx: Ctx, principal: Annotated[Principal, allow(Action.WEBHOOK_MANAGE)], body: WebhookCreate
) -> WebhookCreated:
    """Register an endpoint; the answer carries the HMAC secret, once."""
    now = ctx.now()
    secret, row = ctx.webhooks.create(body.name, str(body.url), list(body.events), now=now)
    ctx.audit.record(
        principal, "webhook.create", now=now, target=str(row["id"]), detail={"url": row["url"]}
    )
    return WebhookCreated(**row, secret=secret)


@router.get("/{webhook_id}", response_model=WebhookPublic, responses=NOT_FOUND)
def get_webhook(
    ctx: Ctx, _p: Annotated[Principal, allow(Action.WEBHOOK_MANAGE)], webhook_id: WebhookId
) -> WebhookPublic:
    return WebhookPublic(**ctx.webhooks.get(webhook_id))


@router.patch("/{webhook_id}", response_model=WebhookPublic, responses=NOT_FOUND)
def update_webhook(
    ctx: Ctx,
    principal: Annotated[Principal, allow(Action.WEBHOOK_MANAGE)],
    webhook_id: WebhookId,
    body: WebhookUpdate,
) -> WebhookPublic:
    """Pause or resume deliveries."""
    row = ctx.webhooks.set_active(webhook_id, body.active)
    ctx.audit.record(
        principal,
        "webhook.update",
        now=ctx.now(),
        target=str(webhook_id),
        detail={"active": body.active},
    )
    return WebhookPublic(**row)
