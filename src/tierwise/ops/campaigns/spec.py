"""A campaign's definition and the campaigns policy: data, validated strictly (R-OPS-6).

A campaign (:class:`CampaignSpec`) names a saved audience (``tierwise.tags`` audiences), a
schedule (once, recurring, or triggered by a tier change or a churn warning), its channels,
content, an optional coupon per tier, a budget and a holdout share (default 10 %). The module
policy (:class:`CampaignPolicy`, ``policies/operations/campaigns.yaml``) holds what applies
across campaigns: the frequency cap, quiet hours, the cost of a message per channel and the
sending rate. Unknown keys are refused; every problem is reported at once with its key path.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from tierwise.errors import PolicyError
from tierwise.ops.campaigns.content import Content
from tierwise.policy.load import read_yaml

DEFAULT_POLICY = Path(__file__).resolve().parents[4] / "policies" / "operations" / "campaigns.yaml"
Channel = Literal["sms", "push", "wechat", "task"]
CHANNELS: tuple[Channel, ...] = ("sms", "push", "wechat", "task")
EVENTS = ("tier_change", "churn_warning")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Schedule(_Strict):
    """When the campaign sends: ``once`` on ``start``, ``recurring`` every ``every_days``
    from ``start`` until ``until``, or ``triggered`` by ``event`` while active (a
    ``tier_change`` optionally only from ``from_tier`` and / or to ``to_tier``)."""

    kind: Literal["once", "recurring", "triggered"]
    start: dt.date | None = None
    every_days: int | None = Field(default=None, ge=1, le=365)
    until: dt.date | None = None
    event: Literal["tier_change", "churn_warning"] | None = None
    from_tier: str | None = Field(default=None, min_length=1, max_length=40)
    to_tier: str | None = Field(default=None, min_length=1, max_length=40)

    @model_validator(mode="after")
    def _complete(self) -> Schedule:
        if self.kind in ("once", "recurring") and self.start is None:
            raise ValueError(f"a {self.kind} schedule needs `start`")
        if self.kind == "recurring" and self.every_days is None:
            raise ValueError("a recurring schedule needs `every_days`")
        if self.kind != "recurring" and self.every_days is not None:
            raise ValueError("`every_days` is for a recurring schedule")
        if self.kind == "triggered" and self.event is None:
            raise ValueError(f"a triggered schedule needs `event` ({', '.join(EVENTS)})")
        if self.kind != "triggered" and self.event is not None:
            raise ValueError("`event` is for a triggered schedule")
        if (self.from_tier or self.to_tier) and self.event != "tier_change":
            raise ValueError("`from_tier` / `to_tier` are for a schedule triggered by tier_change")
        if self.until and self.start and self.until < self.start:
            raise ValueError(f"`until` {self.until} is before `start` {self.start}")
        return self


class CouponTemplate(_Strict):
    """A coupon: ``amount`` yuan off, or ``percent`` off capped at ``max_off`` yuan (the cap
    bounds what an issued coupon may cost, so issuance can stay within the budget); usable on
    an order of at least ``threshold`` yuan (满减) in ``categories`` (empty: any), for
    ``valid_days`` days from issuance; ``stackable`` with another coupon on one order or not."""

    kind: Literal["amount", "percent"]
    value: float = Field(gt=0, le=5000)
    max_off: float | None = Field(default=None, gt=0, le=5000)
    threshold: float = Field(default=0, ge=0, le=100_000)
    categories: list[str] = Field(default_factory=list)
    valid_days: int = Field(default=14, ge=1, le=365)
    stackable: bool = False

    @model_validator(mode="after")
    def _bounded(self) -> CouponTemplate:
        if self.kind == "percent" and not 0 < self.value <= 90:
            raise ValueError(f"a percent coupon's value is in (0, 90], not {self.value}")
        if self.kind == "percent" and self.max_off is None:
            raise ValueError("a percent coupon needs `max_off` (yuan): its cost must be bounded")
        if self.kind == "amount" and self.max_off is not None:
            raise ValueError("`max_off` is for a percent coupon")
        if self.kind == "amount" and self.threshold and self.value > self.threshold:
            raise ValueError(f"{self.value} yuan off exceeds the threshold {self.threshold}")
        return self

    @property
    def face_fen(self) -> int:
        """The most one coupon can take off an order (fen): what issuance reserves."""
        top = self.value if self.kind == "amount" else float(self.max_off or 0)
        return round(top * 100)


class CampaignSpec(_Strict):
    """See docs/campaigns.md for every key."""

    name: str = Field(min_length=1, max_length=80, pattern=r"^[a-z0-9][a-z0-9_-]*$")
    title: str = Field(default="", max_length=120)
    audience: str = Field(min_length=1, max_length=80)
    schedule: Schedule
    channels: list[Channel] = Field(min_length=1)
    content: Content
    coupon: dict[str, CouponTemplate] = Field(
        default_factory=dict, description="Tier code (or `default`) → coupon template."
    )
    budget: float = Field(gt=0, le=10_000_000, description="Yuan: messages + coupons issued.")
    holdout_share: float = Field(default=0.10, ge=0.01, le=0.5)

    @model_validator(mode="after")
    def _channels_unique(self) -> CampaignSpec:
        if len(set(self.channels)) != len(self.channels):
            raise ValueError(f"channels repeated: {self.channels}")
        return self

    def coupon_for(self, tier: str | None) -> CouponTemplate | None:
        """The coupon template of ``tier`` (else ``default``, else none)."""
        return self.coupon.get(tier or "", self.coupon.get("default"))

    @property
    def budget_fen(self) -> int:
        return round(self.budget * 100)


class FrequencyCap(_Strict):
    """At most ``messages`` sent to one customer in any ``days`` days, all campaigns."""

    messages: int = Field(default=2, ge=1, le=100)
    days: int = Field(default=7, ge=1, le=365)


class QuietHours(_Strict):
    """No SMS / push / WeChat between ``start`` and ``end`` local time (tasks are exempt)."""

    start: dt.time = dt.time(21, 0)
    end: dt.time = dt.time(8, 0)
    timezone: str = "Asia/Shanghai"


class CampaignPolicy(_Strict):
    name: str
    frequency_cap: FrequencyCap = FrequencyCap()
    quiet_hours: QuietHours = QuietHours()
    cost: dict[Channel, float] = Field(
        default_factory=lambda: {"sms": 0.05, "push": 0.0, "wechat": 0.01, "task": 0.0},  # type: ignore[arg-type]
        description="Yuan per message and channel.",
    )
    rate_per_minute: dict[Channel, int] = Field(
        default_factory=lambda: {"sms": 6000, "push": 60000, "wechat": 6000, "task": 600}  # type: ignore[arg-type]
    )
    tier_labels: dict[str, str] = Field(default_factory=dict)
    attribution_days: int = Field(default=14, ge=1, le=180)

    def cost_fen(self, channel: str) -> int:
        return round(float(self.cost.get(channel, 0.0)) * 100)  # type: ignore[call-overload]


def _problems(err: ValidationError) -> list[tuple[str, str]]:
    out = []
    for e in err.errors():
        msg = "unknown key" if e["type"] == "extra_forbidden" else e["msg"]
        msg = msg.removeprefix("Value error, ")
        out.append((".".join(str(p) for p in e["loc"]) or "(top)", msg))
    return out


def _raise(source: str, problems: list[tuple[str, str]]) -> None:
    listing = "; ".join(f"{p}: {m}" for p, m in problems)
    raise PolicyError(
        f"{source}: {len(problems)} problem(s): {listing}",
        hint="see docs/campaigns.md",
        file=source,
        problems=[{"path": p, "message": m} for p, m in problems],
    )


def parse_campaign(
    data: Any,
    *,
    today: dt.date,
    audiences: Collection[str] | None = None,
    source: str = "<campaign>",
) -> CampaignSpec:
    """Validate a campaign definition; one :class:`PolicyError` listing every problem.

    Beyond the schema: the audience must be a saved one (when ``audiences`` is given), a
    schedule may not start before ``today``, and the content may use only known variables.
    """
    if not isinstance(data, dict):
        raise PolicyError(f"{source}: a campaign is a mapping of keys", file=source)
    problems: list[tuple[str, str]] = []
    spec: CampaignSpec | None = None
    try:
        spec = CampaignSpec.model_validate(data)
    except ValidationError as err:
        problems += _problems(err)
    audience = data.get("audience")
    if audiences is not None and isinstance(audience, str) and audience not in audiences:
        problems.append(("audience", f"no saved audience {audience!r}"))
    if spec is not None:
        start = spec.schedule.start
        if start is not None and start < today:
            problems.append(("schedule.start", f"{start} is in the past (today is {today})"))
        if spec.schedule.until is not None and spec.schedule.until < today:
            problems.append(("schedule.until", f"{spec.schedule.until} is in the past"))
    if problems:
        _raise(source, sorted(set(problems), key=problems.index))
    assert spec is not None
    return spec


def parse_campaign_policy(data: Any, *, source: str = "<campaigns policy>") -> CampaignPolicy:
    """Validate the module policy; one :class:`PolicyError` listing every problem."""
    if not isinstance(data, dict):
        raise PolicyError(f"{source}: a campaigns policy is a mapping of keys", file=source)
    try:
        return CampaignPolicy.model_validate(data)
    except ValidationError as err:
        _raise(source, _problems(err))
        raise  # unreachable: _raise always raises


def load_campaign_policy(path: Path | None = None) -> CampaignPolicy:
    """Read and validate ``path`` (default ``policies/operations/campaigns.yaml``)."""
    p = path or DEFAULT_POLICY
    return parse_campaign_policy(read_yaml(p), source=str(p))
