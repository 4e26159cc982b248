"""Overrides, webhooks, users, API keys, audit entries, events."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AnyHttpUrl, AwareDatetime, BaseModel, Field

from tierwise.api.schemas.common import Input, StrictBool, StrictFloat, StrictInt, Timestamp

Name = str


class OverrideCreate(Input):
    customer_id: str = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_.-]+$")
    tier: str = Field(min_length=1, max_length=40, pattern=r"^[a-z0-9_]+$")
    reason: str = Field(min_length=3, max_length=2000, description="Why (shown in history)")
    days: StrictInt = Field(
        ge=1, le=366, description="How long it holds: it expires this many days from now"
    )


class OverridePublic(BaseModel):
    id: int
    customer_id: str
    tier: str
    reason: str
    author: str
    created_at: Timestamp
    expires_at: Timestamp
    revoked_at: Timestamp | None


class WebhookCreate(Input):
    name: str = Field(min_length=1, max_length=120)
    url: AnyHttpUrl
    events: list[
        Literal[
            "tier.changed",
            "retention.task",
            "retention.coupon",
            "retention.sms",
            "audience.members",
            "experiment.started",
            "pilot.decided",
            "credit.terms_changed",
            "benefit.granted",
            "benefit.revoked",
            "price_rule.changed",
            "campaign.message",
        ]
    ] = Field(default=["tier.changed"], min_length=1)


class WebhookUpdate(Input):
    active: StrictBool


class WebhookPublic(BaseModel):
    id: int
    name: str
    url: str
    events: list[str]
    active: bool
    created_at: Timestamp
    outbox: dict[str, int] = Field(description="Messages by status")


class WebhookCreated(WebhookPublic):
    secret: str = Field(description="HMAC key: shown once, never again")


STAFF_ROLES = Literal["admin", "analyst", "marketing", "risk", "service"]
UserName = Annotated[str, Field(min_length=2, max_length=80, pattern=r"^[A-Za-z0-9_.@-]+$")]
Password = Annotated[str, Field(min_length=10, max_length=200)]
ManagerId = Annotated[
    str, Field(min_length=1, max_length=40, description="customers.account_manager")
]
BoundCustomer = Annotated[
    str, Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_.-]+$", description="customer_id")
]


class StaffUserCreate(Input):
    name: UserName
    role: STAFF_ROLES
    password: Password


class SalesUserCreate(Input):
    """An account manager: sees only customers whose account_manager is ``manager_id``."""

    name: UserName
    role: Literal["sales"]
    password: Password
    manager_id: ManagerId


class CustomerUserCreate(Input):
    """A customer signing in to its own view (``/me``)."""

    name: UserName
    role: Literal["customer"]
    password: Password
    customer_id: BoundCustomer


UserCreate = Annotated[
    StaffUserCreate | SalesUserCreate | CustomerUserCreate, Field(discriminator="role")
]


class UserUpdate(Input):
    active: StrictBool = Field(description="false disables the user: its tokens stop at once")


class UserPublic(BaseModel):
    id: int
    name: str
    role: str
    manager_id: str | None
    customer_id: str | None
    active: bool
    created_at: Timestamp
    last_login_at: Timestamp | None = Field(
        default=None, description="The latest successful sign-in (null: never)"
    )
    failed_logins: int = Field(
        default=0, description="Failed sign-ins since the latest successful one"
    )


KeyName = Annotated[str, Field(min_length=1, max_length=80)]


class StaffKeyCreate(Input):
    name: KeyName
    role: STAFF_ROLES


class SalesKeyCreate(Input):
    name: KeyName
    role: Literal["sales"]
    manager_id: ManagerId


class CustomerKeyCreate(Input):
    """A key for the customer app acting for one customer."""

    name: KeyName
    role: Literal["customer"]
    customer_id: BoundCustomer


ApiKeyCreate = Annotated[
    StaffKeyCreate | SalesKeyCreate | CustomerKeyCreate, Field(discriminator="role")
]


class ApiKeyPublic(BaseModel):
    id: int
    name: str
    prefix: str
    role: str
    manager_id: str | None
    customer_id: str | None
    created_at: Timestamp
    revoked_at: Timestamp | None
    last_used_at: Timestamp | None = Field(
        default=None, description="When the key was last used (to the minute; null: never)"
    )


class ApiKeyCreated(ApiKeyPublic):
    key: str = Field(description="The key: shown once, never again")


class AuditPublic(BaseModel):
    id: int
    at: Timestamp
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


class OrderLineIn(Input):
    sku: str = Field(min_length=1, max_length=40)
    quantity: StrictFloat = Field(gt=0, le=1_000_000)
    unit_price: StrictFloat = Field(ge=0, le=100_000_000, description="Yuan")


class EventCreate(Input):
    """An order, a return or a payment of one customer."""

    idempotency_key: str = Field(
        min_length=8, max_length=120, description="Unique per event; a retry sends the same"
    )
    kind: Literal["order", "return", "payment"]
    customer_id: str = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_.-]+$")
    occurred_at: AwareDatetime = Field(description="When it happened, with its zone")
    amount: StrictFloat = Field(ge=0, le=100_000_000, description="Yuan")
    reference: str | None = Field(
        default=None, max_length=60, description="Order / return / payment number"
    )
    lines: list[OrderLineIn] = Field(default_factory=list, max_length=500)
    order_id: str | None = Field(
        default=None,
        max_length=60,
        description="A return's order number: required for returns (a return that undoes the "
        "order behind an upgrade reverts it)",
    )
    invoice_id: str | None = Field(
        default=None, max_length=60, description="A payment's invoice (default: the reference)"
    )


class EventAccepted(BaseModel):
    id: int
    idempotency_key: str
    status: str = Field(
        description="'applied' once a regrade applied it, 'received' while no usable run is "
        "published (the next publish applies it)"
    )
    duplicate: bool = Field(description="True when this key was already received")
    received_at: Timestamp
    regraded: bool = Field(
        default=False,
        description="True when the customer was regraded with the latest run's cutoffs "
        "(false before any run is published, and for a duplicate)",
    )
    tier: str | None = Field(default=None, description="The customer's published tier after it")
    changes: list[str] = Field(
        default_factory=list, description="Tier changes it caused, e.g. 'silver→gold (upgrade)'"
    )
