"""The visit policy: a cadence per tier, the churn-warning and onboarding visits, the
managers' day and capacity (R-OPS-8).

A policy is data (``policies/operations/visits.yaml``), validated strictly when loaded:
unknown keys, a cadence of 0 days, a day that ends before it starts and an ISO weekday
outside 1-7 are refused, every problem at once with its key path.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from tierwise.policy.load import parse_module_policy, read_yaml

DEFAULT_POLICY = Path(__file__).resolve().parents[4] / "policies" / "operations" / "visits.yaml"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Cadence(_Strict):
    """How a tier is seen: ``visit`` (in person, planned and routed) or ``phone`` (a call,
    not on the visit plan), every ``every_days`` days."""

    channel: Literal["visit", "phone"] = "visit"
    every_days: int = Field(ge=1, le=365)


class ChurnWarning(_Strict):
    """A customer carrying ``tag`` and not visited in the last ``repeat_days`` days is due
    for a visit within ``within_days`` days (in person, whatever the tier's channel)."""

    tag: str = "churn_warning"
    within_days: int = Field(default=3, ge=0, le=60)
    repeat_days: int = Field(default=30, ge=1, le=365)  # no visit for this long: warn again


class Onboarding(_Strict):
    """An outlet signed up less than ``new_days`` ago and never visited is due within
    ``within_days`` days of its signup."""

    new_days: int = Field(default=30, ge=1, le=365)
    within_days: int = Field(default=7, ge=0, le=60)


class Day(_Strict):
    """A manager's working day (local time) and what one visit and the travel take."""

    start: dt.time = dt.time(9, 0)
    end: dt.time = dt.time(18, 0)
    visit_minutes: int = Field(default=30, ge=1, le=480)
    speed_kmh: float = Field(default=25.0, gt=0, le=120)

    @model_validator(mode="after")
    def _ordered(self) -> Day:
        if self.end <= self.start:
            raise ValueError(f"day: end {self.end} is not after start {self.start}")
        return self

    @property
    def minutes(self) -> int:
        """Length of the working day in minutes."""
        return (self.end.hour - self.start.hour) * 60 + self.end.minute - self.start.minute


class Capacity(_Strict):
    visits_per_day: int = Field(default=8, ge=1, le=100)
    working_days: list[int] = Field(default=[1, 2, 3, 4, 5], min_length=1)

    @model_validator(mode="after")
    def _weekdays(self) -> Capacity:
        bad = [d for d in self.working_days if not 1 <= d <= 7]
        if bad:
            raise ValueError(f"capacity.working_days: {bad} are not ISO weekdays (1-7)")
        return self


class VisitPolicy(_Strict):
    """See docs/visits.md for every key."""

    name: str
    cadence: dict[str, Cadence] = Field(min_length=1)
    untiered: Cadence = Cadence(channel="phone", every_days=60)
    churn_warning: ChurnWarning = ChurnWarning()
    onboarding: Onboarding = Onboarding()
    day: Day = Day()
    capacity: Capacity = Capacity()
    far_checkin_m: float = Field(default=500.0, gt=0)
    route_seconds: float = Field(default=0.5, gt=0, le=60)

    def of(self, tier: str | None) -> Cadence:
        """The cadence of ``tier`` (an unknown or missing tier: ``untiered``)."""
        return self.cadence.get(tier or "", self.untiered)


def parse_visit_policy(data: Any, *, source: str = "<visit policy>") -> VisitPolicy:
    """Validate raw policy data; raise one :class:`PolicyError` listing every problem."""
    return parse_module_policy(
        VisitPolicy, data, source=source, what="visit policy", hint="see docs/visits.md"
    )


def load_visit_policy(path: Path | None = None) -> VisitPolicy:
    """Read and validate ``path`` (default ``policies/operations/visits.yaml``)."""
    p = path or DEFAULT_POLICY
    return parse_visit_policy(read_yaml(p), source=str(p))


@lru_cache(maxsize=4)
def cached_policy(path: Path | None) -> VisitPolicy:
    """:func:`load_visit_policy`, read once per path by a long-running process."""
    return load_visit_policy(path)
