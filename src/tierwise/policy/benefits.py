"""The catalogue of benefit kinds (R-OPS-2): what a tier can give, with validated parameters.

A tier's structured benefits are a list under its level in the policy
(``tiers.levels[i].benefits``)::

    - code: platinum
      label: {zh: 铂金, en: Platinum}
      top: 0.05
      benefits:
        - {kind: service_level, level: dedicated, response_hours: 2}
        - {kind: rebate, pct: 2}
        - {kind: coupon_allowance, amount_yuan: 50, per_month: 2}

Each entry is one of the kinds below (``kind`` picks the model; every model forbids unknown
keys, so a typo in a parameter is reported at its key path). ``code`` names the benefit
within the policy (it defaults to the kind): a customer holds at most one grant per code, and
two tiers that give the same code with the same parameters give "the same benefit" (kept
across a tier change). The free-text ``benefits:`` mapping of a policy (shown on a customer's
page) is separate and keeps working.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Yuan = Annotated[Decimal, Field(ge=0, max_digits=12, decimal_places=2)]
Pct = Annotated[Decimal, Field(gt=0, le=100, max_digits=5, decimal_places=2)]
BenefitCode = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=40)]


class _Kind(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: str
    code: BenefitCode | None = None

    @model_validator(mode="after")
    def _default_code(self) -> _Kind:
        if self.code is None:
            object.__setattr__(self, "code", self.kind)
        return self

    @property
    def key(self) -> str:
        """The benefit's code (its kind unless the policy names it)."""
        return str(self.code)

    def params(self) -> dict[str, Any]:
        """The parameters (everything but ``kind`` and ``code``), JSON-ready."""
        return self.model_dump(mode="json", exclude={"kind", "code"})


class ServiceLevel(_Kind):
    """Differentiated service (R-OPS-1): who serves the customer and how fast."""

    kind: Literal["service_level"]
    level: Literal["dedicated", "priority", "standard", "basic"]
    channel: Literal["account_manager", "hotline", "app"] = "hotline"
    response_hours: Annotated[int, Field(ge=1, le=720)] = 24  # complaint response target


class DeliveryPriority(_Kind):
    """A priority slot in the warehouse's delivery list (1 = first)."""

    kind: Literal["delivery_priority"]
    priority: Annotated[int, Field(ge=1, le=9)]
    slot: Literal["morning", "any"] = "any"


class CustomSelection(_Kind):
    """定制选品: products selected for the customer."""

    kind: Literal["custom_selection"]


class ExpeditedLogistics(_Kind):
    """加急物流: expedited delivery on request."""

    kind: Literal["expedited_logistics"]


class Rebate(_Kind):
    """返利: ``pct`` of the period's net spend, accrued per period (R-OPS-3)."""

    kind: Literal["rebate"]
    pct: Pct
    period: Literal["month", "quarter"] = "month"


class Discount(_Kind):
    """A tier discount on list prices (the detailed rules are price rules, R-OPS-3)."""

    kind: Literal["discount"]
    pct: Pct
    categories: list[Annotated[str, Field(min_length=1, max_length=40)]] = Field(
        default_factory=list
    )  # empty: every category


class CouponAllowance(_Kind):
    """A number of coupons of ``amount_yuan`` each per calendar month."""

    kind: Literal["coupon_allowance"]
    amount_yuan: Annotated[Decimal, Field(gt=0, max_digits=12, decimal_places=2)]
    per_month: Annotated[int, Field(ge=1, le=100)] = 1


class PaymentTerms(_Kind):
    """账期: prepaid, cash on delivery, weekly or monthly settlement (月结)."""

    kind: Literal["payment_terms"]
    terms: Literal["prepaid", "cod", "weekly", "monthly"]
    days: Annotated[int, Field(ge=0, le=180)] = 0


class FreeDeliveryThreshold(_Kind):
    """Free delivery for an order of at least ``min_order_yuan``."""

    kind: Literal["free_delivery_threshold"]
    min_order_yuan: Yuan


BenefitSpec = Annotated[
    ServiceLevel
    | DeliveryPriority
    | CustomSelection
    | ExpeditedLogistics
    | Rebate
    | Discount
    | CouponAllowance
    | PaymentTerms
    | FreeDeliveryThreshold,
    Field(discriminator="kind"),
]

#: Every benefit kind, with its one-line meaning (zh, en).
KINDS: dict[str, tuple[str, str]] = {
    "service_level": ("服务等级", "Service level"),
    "delivery_priority": ("优先配送", "Delivery priority"),
    "custom_selection": ("定制选品", "Custom selection"),
    "expedited_logistics": ("加急物流", "Expedited logistics"),
    "rebate": ("返利", "Rebate"),
    "discount": ("折扣", "Discount"),
    "coupon_allowance": ("优惠券额度", "Coupon allowance"),
    "payment_terms": ("账期", "Payment terms"),
    "free_delivery_threshold": ("免运费门槛", "Free delivery threshold"),
}

#: Kinds a customer *uses* one at a time (a redemption): the others apply by themselves
#: (a rebate accrues, a discount prices, payment terms settle, a service level serves).
REDEEMABLE = frozenset(
    {
        "delivery_priority",
        "custom_selection",
        "expedited_logistics",
        "coupon_allowance",
        "free_delivery_threshold",
    }
)
