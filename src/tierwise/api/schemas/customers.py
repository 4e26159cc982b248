"""Customers: list rows, the 360° view and the customer-facing view."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from tierwise.api.schemas.common import Timestamp


class CustomerPublic(BaseModel):
    """A customer as the caller may see it (personal fields masked unless allowed)."""

    customer_id: str
    account_id: str | None = None
    account_name: str | None = None
    name: str
    business_type: str | None = None
    cuisine: str | None = None
    scale: str | None = None
    province: str | None = None
    city: str | None = None
    district: str | None = None
    address: str | None = Field(default=None, description="Masked (路名***) unless allowed")
    region_id: str | None = None
    channel: str | None = None
    signup_date: date | None = None
    contract_amount: float | None = None
    payment_terms: str | None = None
    credit_limit: float | None = None
    account_manager: str | None = None
    contact_name: str | None = Field(default=None, description="Masked (王**) unless allowed")
    phone: str | None = Field(default=None, description="Masked (138****1234) unless allowed")
    special_needs: str | None = None
    run_id: str | None = None
    status: str | None = None
    tier: str | None = None
    score: float | None = None
    tier_since: date | None = None
    segment: str | None = None
    spend_365d: float | None = None
    ltv: float | None = None
    tags: list[str] = Field(default_factory=list)
    layers: dict[str, str] = Field(default_factory=dict)
    masked: bool = Field(description="Whether personal fields were masked for this caller")


class TierChangePublic(BaseModel):
    run_id: str | None
    from_tier: str | None
    to_tier: str | None
    changed_at: Timestamp
    effective: date
    reason_code: str
    reason: dict[str, Any]


class UpgradeProgress(BaseModel):
    """How far the customer is from the next tier (R-INT-3)."""

    tier: str | None
    next_tier: str | None = None
    gap_score: float | None = None
    needs: dict[str, float] = Field(
        default_factory=dict, description="Per feature: how much more (or less) is needed"
    )


class Customer360(BaseModel):
    """Everything about one customer (R-DAT-5, R-INT-2)."""

    profile: CustomerPublic
    features: dict[str, Any]
    explanation: list[dict[str, Any]]
    history: list[TierChangePublic]
    benefits: dict[str, Any]
    upgrade: UpgradeProgress
    active_override: dict[str, Any] | None = None


class TierName(BaseModel):
    code: str
    label: dict[str, str] = Field(description="{zh, en}")


class ProgressItem(BaseModel):
    unit: str = Field(description="yuan (purchases) or orders")
    amount: float = Field(description="How much more, rounded up (yuan: two decimals)")
    current: float | None = Field(default=None, description="The customer's own figure now")
    text: dict[str, str] = Field(description="The sentence in zh and en")


class MyProgress(BaseModel):
    """What keeps the tier or reaches the next one, in the customer's own numbers."""

    kind: str = Field(description="keep (held in a grace period), next (the tier above), top")
    tier: str = Field(description="The tier to keep or to reach")
    all_needed: bool = Field(description="Every item is needed (rules) or any one is enough")
    items: list[ProgressItem] = Field(default_factory=list)


class MyTierChange(BaseModel):
    effective: date
    from_tier: str | None
    to_tier: str | None
    change: str = Field(description="initial, upgrade, downgrade, override, upgrade_reverted")


class MyTier(BaseModel):
    """The customer-facing view (R-INT-3): my tier badge, my benefits, my progress in numbers
    and the history of my tier; the fields are those ``access.SELF_VIEW_FIELDS`` allows."""

    model_config = ConfigDict(extra="forbid")

    customer_id: str
    name: str
    tier: str | None
    tier_since: date | None
    tiers: list[TierName] = Field(description="The policy's tiers, top first, with labels")
    benefits: dict[str, Any]
    progress: MyProgress | None
    history: list[MyTierChange]
