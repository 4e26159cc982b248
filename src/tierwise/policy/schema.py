"""The policy schema: YAML → pydantic models that forbid unknown keys.

``docs/policy.md`` documents every key. Rule strings are checked separately (see
:mod:`tierwise.policy.check`) so that structural and rule errors are reported together.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    ValidatorFunctionWrapHandler,
    WrapValidator,
)
from pydantic import (
    Tag as UnionTag,
)
from pydantic_core import PydanticCustomError

from tierwise.policy.benefits import BenefitSpec

Code = Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9_]*$", max_length=40)]
Conditions = str | list[str]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Label(Strict):
    """A name shown to people, in Chinese and English."""

    zh: str
    en: str

    def text(self, lang: str) -> str:
        """The name in ``lang`` (``zh``; anything else reads English)."""
        return self.zh if lang == "zh" else self.en


def _benefit_kind(value: Any) -> str:
    return "benefit_label" if isinstance(value, dict | Label) else "benefit_plain"


#: A benefit's value: a text in both languages (``{zh: 专属客服, en: Dedicated service desk}``)
#: or a plain value shown as it is in both (a code such as ``monthly``, a number, a flag, a
#: list). A mapping is read as a :class:`Label` only, so a typo in it is reported once, at
#: its key path (``benefits.gold.service.colour: unknown key``), not once per union member.
def _plain_benefit(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
    """One clear error for a value of no allowed kind (not one per member of the union)."""
    ok = isinstance(value, str | int | float | bool) or (
        isinstance(value, list) and all(isinstance(v, str) for v in value)
    )
    if not ok:
        raise PydanticCustomError(
            "benefit_value",
            "a benefit is a text, a number, true/false, a list of texts, or {zh: ..., en: ...}",
        )
    return handler(value)


BenefitValue = Annotated[
    Annotated[Label, UnionTag("benefit_label")]
    | Annotated[
        str | int | float | bool | list[str],
        WrapValidator(_plain_benefit),
        UnionTag("benefit_plain"),
    ],
    Discriminator(_benefit_kind),
]


class Level(Strict):
    """One tier, layer level, or segment.

    ``top`` (percentile tiers): cumulative share of eligible customers, e.g. 0.05, 0.20.
    ``when`` (threshold tiers, layers, segments): rule(s) that must all hold; the last level
    has none and catches everybody else.
    """

    code: Code
    label: Label
    top: Annotated[float, Field(gt=0, le=1)] | None = None
    when: Conditions | None = None

    @property
    def rules(self) -> list[str]:
        return [] if self.when is None else [self.when] if isinstance(self.when, str) else self.when


class TierLevel(Level):
    """A tier: a :class:`Level` that may give structured benefits (R-OPS-2,
    :mod:`tierwise.policy.benefits`), which the benefits ledger grants to its customers."""

    benefits: list[BenefitSpec] = Field(default_factory=list)  # codes unique: policy.check


class RfmFormula(Strict):
    """The seed's RFM formula exactly (R-GRD-1)."""

    method: Literal["rfm_formula"]
    recency: str = "recency_days"
    frequency: str = "orders_365d"
    monetary: str | None = None  # default: spend_365d, or gross_margin_lookback
    weights: tuple[float, float, float] = (0.4, 0.3, 0.3)
    recency_step_days: Annotated[int, Field(gt=0)] = 30
    frequency_step: Annotated[float, Field(gt=0)] = 10
    monetary_step: Annotated[float, Field(gt=0)] = 10000


class RfmQuantile(Strict):
    """R, F and M scored 1..bins by rank among eligible customers; ties share a bin."""

    method: Literal["rfm_quantile"]
    bins: Annotated[int, Field(ge=2, le=10)] = 5
    recency: str = "recency_days"
    frequency: str = "orders_365d"
    monetary: str | None = None
    weights: tuple[float, float, float] = (1.0, 1.0, 1.0)
    segments: list[Level] = Field(default_factory=list)


class Weighted(Strict):
    """Any features, any weights (R-GRD-2), optionally starting from a goal preset."""

    method: Literal["weighted"]
    preset: Literal["value", "profit", "scale"] | None = None
    weights: dict[str, float] = Field(default_factory=dict)
    normalize: Literal["percentile", "minmax", "zscore", "none"] = "percentile"
    scale: Annotated[float, Field(gt=0)] = 100.0


class ModelScore(Strict):
    """A score column supplied by a model (e.g. a CLV prediction), joined on ``entity_id``."""

    method: Literal["model"]
    column: str
    path: str  # Parquet file with entity_id and the column; relative to the policy file


Score = Annotated[RfmFormula | RfmQuantile | Weighted | ModelScore, Field(discriminator="method")]


class Predictions(Strict):
    """Model predictions as rule inputs (R-GRD-6): ``columns`` of the Parquet file at ``path``.

    The file has ``entity_id`` and the columns (numbers; a boolean reads as 1/0), and may have
    ``as_of`` (then the latest row on or before the run's as_of counts). Tags, layers and
    segments may name the columns; a customer without a prediction has null there, and a
    comparison with null is false. ``path`` is relative to the policy file's folder.
    """

    path: str
    columns: Annotated[list[Code], Field(min_length=1)]


class Tiers(Strict):
    """Percentile tiers (R-GRD-3) or threshold tiers (R-GRD-4), ordered from the top."""

    method: Literal["percentile", "threshold"]
    levels: Annotated[list[TierLevel], Field(min_length=2)]


class Layer(Strict):
    """An independent dimension (R-GRD-5) or the business segments (R-GRD-7): first match."""

    label: Label
    levels: Annotated[list[Level], Field(min_length=1)]


class Tag(Strict):
    """A special tag (R-GRD-6): set when the rule holds."""

    code: Code
    label: Label
    when: str


class Eligibility(Strict):
    """Who has enough history to be graded; the others get ``insufficient_data``."""

    when: str = "orders_lookback >= 1"


class Stability(Strict):
    """Transition rules (R-GRD-10), applied when a run is published (``tierwise.tierstate.decide``).

    Defaults mean no grace: a customer below their tier is downgraded by the next run.
    """

    downgrade_after_runs: Annotated[int, Field(ge=1)] = 1
    downgrade_after_days: Annotated[int, Field(ge=1)] | None = None
    max_steps_down: Annotated[int, Field(ge=1)] = 1
    stay_margin: Annotated[float, Field(ge=0)] = 0.0
    # a downgraded customer keeps the grants only the old tier gave this many days after the
    # downgrade's effective date (0: they end with the downgrade; docs/benefits.md)
    benefit_grace_days: Annotated[int, Field(ge=0, le=365)] = 0


class RetentionStep(Strict):
    """One recall step of the retention flow (R-OPS-5), emitted as a webhook event.

    Tierwise sends no coupon and no SMS itself: each step is a ``retention.coupon`` or
    ``retention.sms`` event with its due date (the task's opening day + ``after_days``) for
    the CRM / SMS system to act on (docs/operations.md).
    """

    kind: Literal["coupon", "sms"]
    after_days: Annotated[int, Field(ge=0, le=365)] = 0
    amount: Annotated[float, Field(gt=0)] | None = None  # coupon: face value in yuan
    valid_days: Annotated[int, Field(ge=1, le=365)] = 14  # coupon: how long it is valid
    template: Annotated[str, Field(min_length=1, max_length=80)] | None = None  # sms: template id


def _retention_steps(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
    """Steps are in the order they happen: ``after_days`` never goes down; a coupon names its
    amount and an SMS its template."""
    steps: list[RetentionStep] = handler(value)
    for i, s in enumerate(steps):
        if s.kind == "coupon" and s.amount is None:
            raise PydanticCustomError(
                "retention_step", "steps[{i}]: a coupon step needs amount (yuan)", {"i": i}
            )
        if s.kind == "sms" and s.template is None:
            raise PydanticCustomError(
                "retention_step", "steps[{i}]: an sms step needs template", {"i": i}
            )
        if i and s.after_days < steps[i - 1].after_days:
            raise PydanticCustomError(
                "retention_step",
                "steps[{i}]: after_days {d} is before the step above it ({p}); list the "
                "steps in the order they happen",
                {"i": i, "d": s.after_days, "p": steps[i - 1].after_days},
            )
    return steps


class Retention(Strict):
    """The churn retention flow (R-OPS-5, docs/operations.md): a customer newly tagged
    ``tag`` gets a call-back task for their account manager, due ``callback_within_days``
    after it opens, and the ``steps`` are emitted as webhook events in order."""

    tag: Code = "churn_warning"
    callback_within_days: Annotated[int, Field(ge=0, le=90)] = 3
    #: call-backs a manager makes a day, when the lake's ``account_managers`` table does not
    #: say (its ``capacity_per_day``); new tasks are then due in order of value at risk, a
    #: day's calls at a time (issue 18 finding 10). None and no table: all due at once.
    calls_per_day: Annotated[int, Field(ge=1, le=500)] | None = None
    steps: Annotated[list[RetentionStep], WrapValidator(_retention_steps)] = Field(
        default_factory=list
    )


class Review(Strict):
    """Publication waits for a finished spot check (R-GRD-11, docs/runs.md): a run of a policy
    with this block is graded and staged as ``awaiting_review``; a stratified sample of its
    proposed changes (``per_stratum`` per direction × tier) goes to the review queue, and the
    run is published only when every sampled change has a verdict and someone releases it."""

    per_stratum: Annotated[int, Field(ge=1, le=1000)] = 10
    #: release is refused while the check's agreement rate is below this (None: any rate)
    min_agreement: Annotated[float, Field(ge=0, le=1)] | None = None
    #: four eyes: the one who releases the run may not be one of its sample's reviewers
    four_eyes: bool = False


class Policy(Strict):
    """A grading policy: who, how scored, how tiered, labelled and explained."""

    name: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$", max_length=80)]
    title: Label | None = None
    description: str = ""
    entity: Literal["outlet", "account"] = "outlet"
    monetary: Literal["revenue", "gross_margin"] = "revenue"
    lookback_days: Annotated[int, Field(ge=28, le=1095)] = 365
    eligibility: Eligibility = Eligibility()
    predictions: Predictions | None = None
    score: Score
    tiers: Tiers
    layers: dict[Code, Layer] = Field(default_factory=dict)
    segments: Layer | None = None
    tags: list[Tag] = Field(default_factory=list)
    benefits: dict[str, dict[str, BenefitValue]] = Field(default_factory=dict)
    stability: Stability = Stability()
    retention: Retention | None = None  # no block: no retention tasks
    review: Review | None = None  # no block: a run is published as soon as it is graded

    @property
    def prediction_columns(self) -> tuple[str, ...]:
        """The model prediction columns the label rules may name (none without predictions)."""
        return () if self.predictions is None else tuple(self.predictions.columns)
