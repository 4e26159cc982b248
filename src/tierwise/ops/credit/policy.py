"""The credit policy: tier × risk band → payment terms, deposit and credit limit.

A policy is data (``policies/operations/credit.yaml``), validated like the grading policy:
unknown keys, an unknown terms code, a negative limit or deposit and a tier × band
combination without terms are all refused when the policy is loaded, every problem at once
with its key path (the combination named).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic_core import ErrorDetails

from tierwise.policy.load import parse_module_policy, read_yaml

#: payment terms codes from the strictest to the loosest, with their labels
TERMS: dict[str, tuple[str, str]] = {
    "prepaid": ("预付款", "Prepaid"),
    "cod": ("现结", "Cash on delivery"),
    "weekly": ("周结", "Weekly"),
    "semimonthly": ("半月结", "Semi-monthly"),
    "monthly": ("月结", "Monthly"),
    "net45": ("45天", "45 days"),
}
TermsCode = Literal["prepaid", "cod", "weekly", "semimonthly", "monthly", "net45"]
#: strictness rank of a terms code (0 = strictest)
RANK: dict[str, int] = {code: i for i, code in enumerate(TERMS)}
#: days of credit a terms code gives (from the bill to its due date, bill cycle included)
CREDIT_DAYS: dict[str, int] = {
    "prepaid": 0, "cod": 0, "weekly": 7, "semimonthly": 15, "monthly": 30, "net45": 45,
}  # fmt: skip
DEFAULT_POLICY = Path(__file__).resolve().parents[4] / "policies" / "operations" / "credit.yaml"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Label(_Strict):
    zh: str
    en: str


class Band(_Strict):
    """A risk band: customers whose probability of default is below ``max_pd``."""

    code: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: Label
    max_pd: float | None = Field(default=None, gt=0, le=1)


class Cell(_Strict):
    """What one tier × band combination gets."""

    terms: TermsCode
    deposit_pct: float = Field(default=0, ge=0, le=100)
    limit_months: float = Field(default=1.0, ge=0)  # credit limit = months × monthly spend


class Limit(_Strict):
    """Credit limit = ``months`` (the cell's) × average monthly spend of the last 90 days,
    at least ``floor`` and at most ``cap`` yuan; 0 for prepaid."""

    floor: float = Field(default=0, ge=0)
    cap: float = Field(default=500_000, ge=0)


class Holds(_Strict):
    overdue_days: int = Field(default=30, ge=1)  # hold orders past this many days overdue
    second_approver_above: float = Field(default=50_000, ge=0)  # override amount, yuan


class CreditPolicy(_Strict):
    """See docs/credit.md for every key."""

    name: str
    tiers: list[str] = Field(min_length=1)
    bands: list[Band] = Field(min_length=1)
    unscored_band: str
    notice_days: int = Field(default=14, ge=0)
    limit: Limit = Limit()
    holds: Holds = Holds()
    matrix: dict[str, dict[str, Cell]]

    @model_validator(mode="after")
    def _complete(self) -> CreditPolicy:
        codes = [b.code for b in self.bands]
        problems = []
        if len(set(codes)) != len(codes):
            problems.append("bands: a band code is listed twice")
        cuts = [b.max_pd for b in self.bands[:-1]]
        if any(c is None for c in cuts) or self.bands[-1].max_pd is not None:
            problems.append("bands: every band but the last needs max_pd; the last has none")
        elif cuts != sorted(cuts):  # type: ignore[type-var]
            problems.append("bands: max_pd must rise from the first band to the last")
        if self.unscored_band not in codes:
            problems.append(
                f"unscored_band: {self.unscored_band!r} is not a band ({', '.join(codes)})"
            )
        problems += coverage_problems(self.tiers, codes, self.matrix)
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def band_of(self, pd_value: float | None) -> str:
        """The band of a probability of default (``None``: the unscored band)."""
        if pd_value is None:
            return self.unscored_band
        for b in self.bands:
            if b.max_pd is None or pd_value < b.max_pd:
                return b.code
        return self.bands[-1].code  # pragma: no cover - the last band has no max


def coverage_problems(tiers: Any, bands: Any, matrix: Any) -> list[str]:
    """Every tier × band combination the matrix leaves without terms, and every matrix key
    that is not a tier or band (works on raw data too, so all problems come at once)."""
    if not isinstance(tiers, list) or not isinstance(matrix, dict):
        return []
    out = []
    tiers = [str(t) for t in tiers]
    for tier in matrix:
        if tier not in tiers:
            out.append(f"matrix.{tier}: not a tier of the policy ({', '.join(tiers)})")
    for tier in tiers:
        row = matrix.get(tier)
        row = row if isinstance(row, dict) else {}
        for band in row:
            if band not in bands:
                out.append(f"matrix.{tier}.{band}: not a band ({', '.join(bands)})")
        for band in bands:
            if band not in row:
                out.append(f"matrix.{tier}.{band}: tier {tier} × band {band} has no terms")
    return out


def _terms_message(e: ErrorDetails) -> str | None:
    if e["type"] == "literal_error":
        return f"unknown terms code {e['input']!r} (expected one of {', '.join(TERMS)})"
    return None


def _coverage(data: Any, problems: list[tuple[str, str]]) -> None:
    raw_bands = data.get("bands")
    codes = [
        b.get("code") for b in (raw_bands if isinstance(raw_bands, list) else [])
        if isinstance(b, dict)
    ]  # fmt: skip
    for line in coverage_problems(data.get("tiers"), codes, data.get("matrix")):
        if not any(line in m for _, m in problems):
            problems.append(("(top)", line))


def parse_credit_policy(data: Any, *, source: str = "<credit policy>") -> CreditPolicy:
    """Validate raw policy data; raise one :class:`PolicyError` listing every problem."""
    return parse_module_policy(
        CreditPolicy,
        data,
        source=source,
        what="credit policy",
        hint="see docs/credit.md",
        message=_terms_message,
        more=_coverage,
        bare_top=True,
    )


def load_credit_policy(path: Path | None = None) -> CreditPolicy:
    """Read and validate ``path`` (default ``policies/operations/credit.yaml``)."""
    p = path or DEFAULT_POLICY
    return parse_credit_policy(read_yaml(p), source=str(p))


@lru_cache(maxsize=4)
def cached_policy(path: Path | None) -> CreditPolicy:
    """:func:`load_credit_policy`, read once per path by a long-running service."""
    return load_credit_policy(path)
