"""The survey policy: quotas per tier, the cooldown, the weighting cells and the detractor
follow-up (R-OPS-8). Data (``policies/operations/surveys.yaml``), validated strictly when
loaded: unknown keys, a negative quota and unordered cell bands are refused, every problem at
once with its key path."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from tierwise.policy.load import parse_module_policy, read_yaml

DEFAULT_POLICY = Path(__file__).resolve().parents[4] / "policies" / "operations" / "surveys.yaml"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Followup(_Strict):
    """An answer 0-6 opens a retention task with this ``tag``, due ``within_days`` later."""

    tag: str = Field(default="nps_detractor", min_length=1, max_length=40)
    within_days: int = Field(default=3, ge=0, le=60)


class Reason(_Strict):
    """A reason the answer page offers (several may be ticked): its code and labels."""

    code: str = Field(min_length=1, max_length=40, pattern=r"^[a-z0-9_]+$")
    zh: str = Field(min_length=1, max_length=40)
    en: str = Field(min_length=1, max_length=60)


DEFAULT_REASONS = (
    Reason(code="delivery", zh="配送准时", en="Delivery on time"),
    Reason(code="quality", zh="商品质量", en="Product quality"),
    Reason(code="price", zh="价格", en="Price"),
    Reason(code="range", zh="品类齐全", en="Product range"),
    Reason(code="service", zh="客户经理服务", en="Account manager's service"),
    Reason(code="app", zh="下单方便", en="Easy ordering"),
)


class Send(_Strict):
    """How a wave is sent with personal answer links (through the campaign module)."""

    channels: list[Literal["sms", "push", "wechat"]] = Field(
        default=["wechat", "sms"], min_length=1
    )
    text: str = Field(
        default="{name}您好！您会向同行推荐我们吗？请用1分钟打分（0-10分）：{link}",
        min_length=1,
        max_length=300,
    )
    link_days: int = Field(default=14, ge=1, le=90, description="A link expires after this")
    budget: float = Field(default=1000.0, gt=0, le=1_000_000, description="Yuan for messages")

    @field_validator("text")
    @classmethod
    def _has_link(cls, v: str) -> str:
        if "{link}" not in v:
            raise ValueError("the text must carry {link}")
        return v


class SurveyPolicy(_Strict):
    """See docs/surveys.md for every key."""

    name: str
    survey: str = Field(default="nps", min_length=1, max_length=40)
    quotas: dict[str, int] = Field(min_length=1)
    untiered: int = Field(default=0, ge=0)
    cooldown_days: int = Field(default=90, ge=0, le=3650)
    cell_bands: list[float] = Field(default=[0.2, 0.5])
    followup: Followup = Followup()
    reasons: list[Reason] = Field(default=list(DEFAULT_REASONS), max_length=20)
    send: Send = Send()

    @field_validator("reasons")
    @classmethod
    def _unique(cls, v: list[Reason]) -> list[Reason]:
        codes = [r.code for r in v]
        if len(set(codes)) != len(codes):
            raise ValueError(f"reason codes repeated: {codes}")
        return v

    @field_validator("quotas")
    @classmethod
    def _quotas(cls, v: dict[str, int]) -> dict[str, int]:
        bad = {k: q for k, q in v.items() if q < 0}
        if bad:
            raise ValueError(f"negative quota(s): {bad}")
        return v

    @field_validator("cell_bands")
    @classmethod
    def _bands(cls, v: list[float]) -> list[float]:
        if any(not 0 < b < 1 for b in v) or v != sorted(set(v)):
            raise ValueError(f"cell_bands {v}: increasing probabilities strictly between 0 and 1")
        return v

    def quota(self, tier: str | None) -> int:
        """The quota of ``tier`` (an unknown or missing tier: ``untiered``)."""
        return self.quotas.get(tier or "", self.untiered)


def parse_survey_policy(data: Any, *, source: str = "<survey policy>") -> SurveyPolicy:
    """Validate raw policy data; raise one :class:`PolicyError` listing every problem."""
    return parse_module_policy(
        SurveyPolicy, data, source=source, what="survey policy", hint="see docs/surveys.md"
    )


def load_survey_policy(path: Path | None = None) -> SurveyPolicy:
    """Read and validate ``path`` (default ``policies/operations/surveys.yaml``)."""
    p = path or DEFAULT_POLICY
    return parse_survey_policy(read_yaml(p), source=str(p))
