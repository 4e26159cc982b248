"""An experiment's design as data (R-ANA-5): arms, population, window, metric, guardrails.

Validated strictly at save time (unknown keys refused, every error at once with its key
path), like a policy. The unit is the **account**: the outlets of one chain share their arm.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)

from tierwise.errors import PolicyError, UsageError

#: metric code → meaning; per outlet over a window, read from the lake (metrics.py)
METRICS: dict[str, str] = {
    "net_margin": "gross margin (line amount - cost) minus refunds minus the treatment's "
    "rebates and coupons, yuan",
    "spend": "order amount, yuan",
    "orders": "number of orders",
    "returns": "refunded amount, yuan",
    "complaints": "number of complaint tickets",
    "churn": "1 if the outlet ordered in the pre-period but not in the window",
    "overdue": "invoice amount due in the window and unpaid by its due date, yuan",
}
PRIMARY_METRICS = ("net_margin", "spend", "orders")
DEFAULT_GUARDRAILS = ["churn", "complaints", "returns", "overdue"]
STRATA = ("province", "city", "tier", "account_manager", "spend_decile")

Code = Annotated[str, StringConstraints(min_length=1, max_length=40)]
TreatmentKind = Literal[
    "none", "rebate", "discount", "coupon", "campaign", "visits", "terms", "service", "policy"
]


def _integer(value: Any) -> Any:
    """3 and 3.0 (JSON's integers), never ``true`` or ``"3"``."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("Input should be a valid integer")
    if isinstance(value, float) and not value.is_integer():
        raise ValueError("Input should be a valid integer, got a number with a fraction")
    return int(value)


StrictInt = Annotated[int, BeforeValidator(_integer)]
StrictFloat = Annotated[float, Strict()]  # takes 3 and 3.0, refuses true and "3"


class _Strict(BaseModel):
    """Unknown keys refused, scalars strict (no ``true`` for a number), text storable."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    @field_validator("*", mode="after")
    @classmethod
    def _storable_text(cls, value: Any) -> Any:
        # PostgreSQL stores neither NUL characters nor lone UTF-16 surrogates
        texts = value if isinstance(value, list) else [value]
        for v in texts:
            if isinstance(v, str) and ("\x00" in v or any(0xD800 <= ord(c) <= 0xDFFF for c in v)):
                raise ValueError("text with a NUL character or a lone surrogate cannot be stored")
        return value


class Treatment(_Strict):
    """What an arm's accounts get; exported to the system that applies it."""

    kind: TreatmentKind = "none"
    rebate_pct: StrictFloat | None = Field(default=None, gt=0, le=50)
    discount_pct: StrictFloat | None = Field(default=None, gt=0, le=50)
    coupon_amount: StrictFloat | None = Field(default=None, gt=0, le=100_000)
    campaign: str | None = Field(default=None, max_length=80)
    visits_per_month: StrictInt | None = Field(default=None, ge=0, le=60)
    payment_terms: Literal["prepaid", "cod", "weekly", "monthly"] | None = None
    service_level: str | None = Field(default=None, max_length=40)
    policy: str | None = Field(default=None, max_length=80)
    #: a fixed cost per account (visits, service) added to the treatment's cost
    cost_per_account: StrictFloat = Field(default=0.0, ge=0, le=1_000_000)

    @model_validator(mode="after")
    def _needs_its_field(self) -> Treatment:
        need = {
            "rebate": "rebate_pct",
            "discount": "discount_pct",
            "coupon": "coupon_amount",
            "campaign": "campaign",
            "visits": "visits_per_month",
            "terms": "payment_terms",
            "service": "service_level",
            "policy": "policy",
        }.get(self.kind)
        if need is not None and getattr(self, need) is None:
            raise ValueError(f"a {self.kind} treatment needs {need}")
        return self


class Arm(_Strict):
    code: str = Field(pattern=r"^[a-z][a-z0-9_]{0,31}$")
    label: str | None = Field(default=None, max_length=80)
    weight: StrictFloat = Field(default=1.0, gt=0, le=100)
    treatment: Treatment = Treatment()


class Population(_Strict):
    """Who is in: a filter over the published tiers and regions, a customer list, a saved
    audience (issue 20).

    Filters combine with AND; an empty filter means every graded customer.
    """

    tiers: list[Code] = Field(default_factory=list, max_length=50)
    provinces: list[Code] = Field(default_factory=list, max_length=50)
    cities: list[Code] = Field(default_factory=list, max_length=200)
    customers: list[Code] = Field(default_factory=list, max_length=1_000_000)
    #: a saved audience (issue 20): its members as of the start, ANDed with the filters above
    audience: str | None = Field(
        default=None, min_length=2, max_length=40, pattern=r"^[a-z][a-z0-9_]*$"
    )
    #: the audience's version (default: its newest when the experiment starts)
    audience_version: StrictInt | None = Field(default=None, ge=1)


class Design(_Strict):
    """An experiment as it is saved (draft) and fixed at start."""

    code: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
    name: str = Field(min_length=1, max_length=200)
    hypothesis: str | None = Field(default=None, max_length=2000)
    population: Population = Population()
    #: the first arm is the control
    arms: list[Arm] = Field(min_length=2, max_length=8)
    strata: list[Literal["province", "city", "tier", "account_manager", "spend_decile"]] = Field(
        default_factory=list, max_length=4
    )
    start: dt.date = Field(ge=dt.date(2000, 1, 1), le=dt.date(2100, 12, 31))
    end: dt.date = Field(ge=dt.date(2000, 1, 1), le=dt.date(2100, 12, 31))
    tail_days: StrictInt = Field(default=14, ge=0, le=365)
    metric: str = Field(default="net_margin", max_length=40)
    guardrails: list[str] = Field(
        default_factory=lambda: list(DEFAULT_GUARDRAILS), max_length=len(METRICS)
    )
    #: experiments on the same accounts and metric must sit in different explicit layers
    layer: str | None = Field(default=None, max_length=40)
    alpha: StrictFloat = Field(default=0.05, gt=0, lt=0.5)
    power: StrictFloat = Field(default=0.8, gt=0.5, lt=1)
    #: the smallest effect worth detecting, yuan per account over the window + tail
    target_effect: StrictFloat | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _coherent(self) -> Design:
        problems = []  # every problem at once, not the first only
        if self.end < self.start:
            problems.append(f"end {self.end} is before start {self.start}")
        if self.metric not in PRIMARY_METRICS:
            problems.append(
                f"metric {self.metric!r} does not exist; one of {', '.join(PRIMARY_METRICS)}"
            )
        problems += [
            f"guardrail {g!r} does not exist; one of {', '.join(METRICS)}"
            for g in self.guardrails
            if g not in METRICS
        ]
        codes = [a.code for a in self.arms]
        if len(set(codes)) != len(codes):
            problems.append(f"arm codes repeat: {codes}")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @property
    def window_end(self) -> dt.date:
        """The last day measured: the end plus the tail."""
        return self.end + dt.timedelta(days=self.tail_days)

    @property
    def days(self) -> int:
        return (self.window_end - self.start).days + 1

    @property
    def weights(self) -> list[float]:
        return [a.weight for a in self.arms]


def parse_design(data: Any, *, source: str = "design") -> Design:
    """A :class:`Design` from a mapping; every error at once, with its key path."""
    if not isinstance(data, dict):
        raise UsageError(f"{source}: an experiment design must be a mapping of keys")
    try:
        return Design.model_validate(data)
    except ValidationError as err:
        problems = []
        for e in err.errors():
            path = ".".join(str(p) for p in e["loc"]) or "(top)"
            msg = e["msg"].removeprefix("Value error, ")
            problems.append(f"{path}: {msg}")
        raise PolicyError(
            f"{source}: " + "; ".join(problems), file=source, errors=problems
        ) from err


def load_design(path: Path) -> Design:
    """A design from a YAML file."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as err:
        raise UsageError(f"cannot read {path}: {err}", file=str(path)) from err
    return parse_design(data, source=str(path))
