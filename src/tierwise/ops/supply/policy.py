"""The supply policy (R-OPS-9): a service level per tier, the review cadence per category, the
forecast window and the allocation's fairness floor. Data (``policies/operations/supply.yaml``),
validated strictly when loaded: unknown keys, a service level outside (0, 1), a default tier
that has no service level and a fairness floor outside [0, 1] are refused, every problem at
once with its key path."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from tierwise.errors import PolicyError
from tierwise.policy.load import read_yaml

DEFAULT_POLICY = Path(__file__).resolve().parents[4] / "policies" / "operations" / "supply.yaml"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ForecastWindow(_Strict):
    history_weeks: int = Field(default=52, ge=8, le=520)
    horizon_weeks: int = Field(default=4, ge=1, le=26)
    top_skus: int = Field(default=200, ge=0)


class Allocation(_Strict):
    fairness_floor: float = Field(default=0.5, ge=0, le=1)


class SupplyPolicy(_Strict):
    """See docs/supply.md for every key."""

    name: str
    service_levels: dict[str, float] = Field(min_length=1)
    default_tier: str
    review_days: dict[str, int] = Field(default={"default": 7})
    forecast: ForecastWindow = ForecastWindow()
    allocation: Allocation = Allocation()

    @field_validator("service_levels")
    @classmethod
    def _levels(cls, v: dict[str, float]) -> dict[str, float]:
        bad = {k: x for k, x in v.items() if not 0 < x < 1}
        if bad:
            raise ValueError(f"service level(s) {bad} outside (0, 1): e.g. 0.99 for 99 %")
        return v

    @field_validator("review_days")
    @classmethod
    def _review(cls, v: dict[str, int]) -> dict[str, int]:
        bad = {k: d for k, d in v.items() if not 1 <= d <= 90}
        if bad:
            raise ValueError(f"review_days {bad}: between 1 and 90 days")
        if "default" not in v:
            raise ValueError("review_days needs a 'default' entry")
        return v

    @model_validator(mode="after")
    def _default_tier(self) -> SupplyPolicy:
        if self.default_tier not in self.service_levels:
            raise ValueError(
                f"default_tier {self.default_tier!r} has no service level "
                f"(tiers: {list(self.service_levels)})"
            )
        return self

    @property
    def tiers(self) -> list[str]:
        """Tier codes, highest priority first (the order of ``service_levels``)."""
        return list(self.service_levels)

    def review(self, category: str) -> int:
        return self.review_days.get(category, self.review_days["default"])


def parse_supply_policy(data: Any, *, source: str = "<supply policy>") -> SupplyPolicy:
    """Validate raw policy data; raise one :class:`PolicyError` listing every problem."""
    if not isinstance(data, dict):
        raise PolicyError(f"{source}: a supply policy is a mapping of keys", file=source)
    try:
        return SupplyPolicy.model_validate(data)
    except ValidationError as err:
        problems = []
        for e in err.errors():
            msg = "unknown key" if e["type"] == "extra_forbidden" else e["msg"]
            if e["type"] == "value_error" and "ctx" in e:
                msg = str(e["ctx"]["error"])
            problems.append((".".join(str(p) for p in e["loc"]) or "(top)", msg))
        listing = "; ".join(f"{p}: {m}" for p, m in problems)
        raise PolicyError(
            f"{source}: {len(problems)} problem(s): {listing}",
            hint="see docs/supply.md",
            file=source,
            problems=[{"path": p, "message": m} for p, m in problems],
        ) from None


def load_supply_policy(path: Path | None = None) -> SupplyPolicy:
    """Read and validate ``path`` (default ``policies/operations/supply.yaml``)."""
    p = path or DEFAULT_POLICY
    return parse_supply_policy(read_yaml(p), source=str(p))
