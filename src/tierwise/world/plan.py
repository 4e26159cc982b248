"""A plan for the world: who gets which treatment from when (YAML → validated models).

Unknown keys are errors (``extra="forbid"``), every problem is reported at once with the
plan file and the key path, and the checks that need the book (customers, the end of the
book, overlapping arms) name the arm and the customer.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from tierwise.errors import UsageError

#: the world's payment terms (账期): the generator's four, then 半月结 and 45-day terms (their
#: strictness sits between weekly and monthly, and after monthly: response.TERMS_STEP)
TERMS = ("prepaid", "cod", "weekly", "monthly", "semimonthly", "net45")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Discount(_Strict):
    """An immediate price cut on every line (a tier discount)."""

    kind: Literal["discount"]
    percent: float = Field(gt=0, le=50, description="Percent off the list price.")


class Rebate(_Strict):
    """A rebate (返利) on the window's net revenue, accrued at the end of the window."""

    kind: Literal["rebate"]
    percent: float = Field(gt=0, le=20, description="Percent of net revenue paid back.")


class Coupon(_Strict):
    """One coupon per customer, issued on the first day, valid ``valid_days`` days."""

    kind: Literal["coupon"]
    value: float = Field(gt=0, le=5000, description="Yuan off one order.")
    threshold: float = Field(default=0, ge=0, description="Minimum order amount in yuan.")
    valid_days: int = Field(default=14, ge=1, le=90)


class Campaign(_Strict):
    """Pushed content (a 营销活动) with touches every ``touch_every_days`` days."""

    kind: Literal["campaign"]
    intensity: float = Field(default=1.0, gt=0, le=3, description="1 = a typical campaign.")
    touch_every_days: int = Field(default=7, ge=1, le=90)


class VisitCadence(_Strict):
    """Account-manager visits every ``every_days`` days (within the managers' capacity)."""

    kind: Literal["visit_cadence"]
    every_days: int = Field(ge=1, le=90)


class PaymentTerms(_Strict):
    """Switch the customer's payment terms (账期)."""

    kind: Literal["payment_terms"]
    terms: Literal["prepaid", "cod", "weekly", "monthly", "semimonthly", "net45"]


class Deposit(_Strict):
    """Ask for a deposit (保证金) of ``percent`` of a month's expected purchases."""

    kind: Literal["deposit"]
    percent: float = Field(gt=0, le=100)


class ServiceLevel(_Strict):
    """Priority delivery and faster complaint handling."""

    kind: Literal["service_level"]
    priority_delivery: bool = True
    complaint_hours: int = Field(default=24, ge=1, le=168)


class Recommend(_Strict):
    """Show ``k`` recommended SKUs the customer does not buy yet."""

    kind: Literal["recommend"]
    k: int = Field(default=5, ge=1, le=10)
    strategy: Literal["taste", "popular"] = "taste"


Treatment = Annotated[
    Discount
    | Rebate
    | Coupon
    | Campaign
    | VisitCadence
    | PaymentTerms
    | Deposit
    | ServiceLevel
    | Recommend,
    Field(discriminator="kind"),
]
KINDS = (
    "discount", "rebate", "coupon", "campaign", "visit_cadence", "payment_terms", "deposit",
    "service_level", "recommend",
)  # fmt: skip


class Arm(_Strict):
    """One arm: its customers (a file, a random share of a filter, or the rest) and treatment."""

    name: str = Field(min_length=1)
    customers: str | list[str] | None = Field(
        default=None, description="A CSV/text file of customer ids (relative to the plan), or ids."
    )
    share: float | None = Field(default=None, gt=0, le=1)
    of: dict[str, str | list[str]] = Field(
        default_factory=dict, description="Filter on customer columns (or the plan's labels)."
    )
    rest: bool = False
    treatment: Treatment | None = None

    @model_validator(mode="after")
    def _one_way(self) -> Arm:
        ways = sum([self.customers is not None, self.share is not None, self.rest])
        if ways != 1:
            raise ValueError("give exactly one of `customers`, `share` (with `of`) or `rest: true`")
        if self.of and self.share is None:
            raise ValueError("`of` filters the customers of a `share`")
        return self


class Plan(_Strict):
    """A plan: when the world runs forward, for how long, with which seed and arms."""

    start: dt.date
    days: int = Field(default=90, ge=1, le=366)
    seed: int = Field(default=0, ge=0, lt=2**63)
    labels: str | None = Field(
        default=None,
        description="CSV with customer_id and more columns (e.g. tier) that `of` can filter on.",
    )
    arms: list[Arm] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique_names(self) -> Plan:
        names = [a.name for a in self.arms]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"arm names must be unique; repeated: {', '.join(dup)}")
        return self


def _loc(loc: tuple[int | str, ...], data: Any) -> str:
    """A readable key path (``arms[0] (rebate_2pct).treatment.kind``)."""
    out = ""
    node = data
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
            try:
                node = node[part]
                if isinstance(node, dict) and "name" in node:
                    out += f" ({node['name']})"
            except (IndexError, KeyError, TypeError):
                node = None
        elif part in KINDS or part.startswith(("function-", "tagged-union")):
            continue  # pydantic's union branch names are not keys of the file
        else:
            out += f".{part}" if out else part
            node = node.get(part) if isinstance(node, dict) else None
    return out or "(top)"


def parse_plan(data: Any, *, source: str = "<plan>") -> Plan:
    """Validate raw plan data; one :class:`UsageError` listing every problem with its key path."""
    if not isinstance(data, dict):
        raise UsageError(f"{source}: a plan is a mapping with start, days, seed and arms")
    try:
        return Plan.model_validate(data)
    except ValidationError as err:
        problems = []
        for e in err.errors():
            msg = e["msg"].removeprefix("Value error, ")
            if e["type"] == "union_tag_invalid":
                msg = f"unknown treatment kind {e['input'].get('kind')!r}; kinds are: " + ", ".join(
                    KINDS
                )
            problems.append(f"{_loc(e['loc'], data)}: {msg}")
        raise UsageError(
            f"{source}: " + "; ".join(problems),
            hint="see docs/generator.md (plan schema)",
            file=source,
            problems=problems,
        ) from None


def load_plan(path: Path) -> Plan:
    """Read and validate the plan file at ``path``."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise UsageError(
            f"cannot read plan {path}: {err.strerror or err}", file=str(path)
        ) from None
    except yaml.YAMLError as err:
        raise UsageError(f"{path}: not valid YAML: {err}", file=str(path)) from None
    return parse_plan(data, source=str(path))
