"""Overrides, webhooks, users, API keys, audit entries, events."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import AnyHttpUrl, BaseModel, Field

from tierwise.api.access import Role
from tierwise.api.schemas.common import Input, StrictBool, StrictFloat, StrictInt

Name = str


class OverrideCreate(Input):
    customer_id: str = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_.-]+$")
    tier: str = Field(min_length=1, max_length=40, pattern=r"^[a-z0-9_]+$")
    reason: str = Field(min_length=3, max_length=2000, description="Why (shown in history)")
    expires_at: datetime = Field(description="When the override ends (UTC, in the future)")


class OverridePublic(BaseModel):
    id: int
    customer_id: str
    tier: str
    reason: str
    author: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None


class WebhookCreate(Input):
    name: str = Field(min_length=1, max_length=120)
    url: AnyHttpUrl
    events: list[Literal["tier.changed"]] = Field(default=["tier.changed"], min_length=1)


class WebhookUpdate(Input):
    active: StrictBool


class WebhookPublic(BaseModel):
    id: int
    name: str
    url: str
    events: list[str]
    active: bool
    created_at: datetime
    outbox: dict[str, int] = Field(description="Messages by status")


class WebhookCreated(WebhookPublic):
    secret: str = Field(description="HMAC key: shown once, never again")


class UserCreate(Input):
    name: str = Field(min_length=2, max_length=80, pattern=r"^[A-Za-z0-9_.@-]+$")
    role: Role
    password: str = Field(min_length=10, max_length=200)
    manager_id: str | None = Field(default=None, max_length=40)
    customer_id: str | None = Field(default=None, max_length=40)


class UserPublic(BaseModel):
    id: int
    name: str
    role: str
    manager_id: str | None
    customer_id: str | None
    active: bool
    created_at: datetime


class ApiKeyCreate(Input):
    name: str = Field(min_length=1, max_length=80)
    role: Role
    manager_id: str | None = Field(default=None, max_length=40)
    customer_id: str | None = Field(default=None, max_length=40)


class ApiKeyPublic(BaseModel):
    id: int
    name: str
    prefix: str
    role: str
    manager_id: str | None
    customer_id: str | None
    created_at: datetime
    revoked_at: datetime | None


class ApiKeyCreated(ApiKeyPublic):
    key: str = Field(description="The key: shown once, never again")


class AuditPublic(BaseModel):
    id: int
    at: datetime
    actor: str
    role: str
    action: str
    target: str | None
    detail: dict[str, Any]


class TokenRequest(Input):
    username: str = Field(min_length=1, max_length=80)
    password: str = Field(min_length=1, max_length=200)


class TokenPublic(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="Seconds")
    role: str


Money = StrictFloat | StrictInt


class OrderLineIn(Input):
    sku: str = Field(min_length=1, max_length=40)
    quantity: StrictFloat | StrictInt = Field(gt=0)
    unit_price: Money = Field(ge=0)


class EventCreate(Input):
    """An order, a return or a payment of one customer."""

    idempotency_key: str = Field(
        min_length=8, max_length=120, description="Unique per event; a retry sends the same"
    )
    kind: Literal["order", "return", "payment"]
    customer_id: str = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_.-]+$")
    occurred_at: datetime
    amount: Money = Field(ge=0, le=100_000_000, description="Yuan")
    reference: str | None = Field(
        default=None, max_length=60, description="Order / return / payment number"
    )
    lines: list[OrderLineIn] = Field(default_factory=list, max_length=500)


class EventAccepted(BaseModel):
    id: int
    idempotency_key: str
    status: str
    duplicate: bool = Field(description="True when this key was already received")
    received_at: datetime
