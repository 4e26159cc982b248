"""The credit policy (R-OPS-4, issue 22 item 2): refused when saved, with the key path named."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tierwise.errors import PolicyError
from tierwise.ops.credit.policy import (
    DEFAULT_POLICY,
    RANK,
    load_credit_policy,
    parse_credit_policy,
)


def _raw() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(DEFAULT_POLICY.read_text(encoding="utf-8"))
    return data


def test_the_shipped_policy_loads_and_bands_cut_the_probability() -> None:
    p = load_credit_policy()
    assert p.tiers == ["platinum", "gold", "silver", "bronze"]
    assert [p.band_of(x) for x in (0.0, 0.049, 0.05, 0.19, 0.2, 1.0, None)] == [
        "low", "low", "medium", "medium", "high", "high", "medium",
    ]  # fmt: skip
    # the source documents: platinum 月结, bronze 预付款; a high-risk platinum is not 月结
    assert p.matrix["platinum"]["low"].terms == "monthly"
    assert p.matrix["bronze"]["medium"].terms == "prepaid"
    assert p.matrix["platinum"]["high"].terms != "monthly"


def test_the_shipped_policy_tightens_by_risk_and_limits_by_tier() -> None:
    """docs/credit.md, "Why low risk keeps 月结": the overdue sits in the medium and high
    bands, so only they get terms stricter than 月结; a tier sets a low-risk customer's limit."""
    p = load_credit_policy()
    monthly = RANK["monthly"]
    for tier in p.tiers:
        low, medium, high = (p.matrix[tier][b] for b in ("low", "medium", "high"))
        assert (low.terms, low.deposit_pct) == ("monthly", 0), tier
        assert RANK[high.terms] <= RANK[medium.terms] < monthly, tier
        assert high.deposit_pct >= medium.deposit_pct >= low.deposit_pct, tier
        assert high.limit_months <= medium.limit_months <= low.limit_months, tier
    lows = [p.matrix[t]["low"].limit_months for t in p.tiers]
    assert lows == sorted(lows, reverse=True)  # the better the tier, the higher the limit


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (
            lambda d: d["matrix"]["gold"].pop("high"),
            "matrix.gold.high: tier gold × band high has no terms",
        ),
        (
            lambda d: d["matrix"].pop("silver"),
            "matrix.silver.low: tier silver × band low has no terms",
        ),
        (
            lambda d: d["matrix"]["gold"]["low"].update(terms="biweekly"),
            "matrix.gold.low.terms: unknown terms code 'biweekly'",
        ),
        (
            lambda d: d["matrix"]["gold"]["low"].update(deposit_pct=-1),
            "matrix.gold.low.deposit_pct: Input should be greater than or equal to 0",
        ),
        (
            lambda d: d["limit"].update(cap=-5),
            "limit.cap: Input should be greater than or equal to 0",
        ),
        (
            lambda d: d["matrix"]["gold"]["low"].update(limit_months=-1),
            "matrix.gold.low.limit_months",
        ),
        (lambda d: d.update(colour=1), "colour: unknown key"),
        (lambda d: d.update(unscored_band="grey"), "unscored_band: 'grey' is not a band"),
        (lambda d: d["bands"][0].update(max_pd=0.5), "max_pd must rise"),
        (
            lambda d: d["matrix"]["gold"].update(extreme={"terms": "cod"}),
            "matrix.gold.extreme: not a band",
        ),
    ],
)
def test_bad_policies_are_refused_naming_the_key(edit: Any, expected: str) -> None:
    data = _raw()
    edit(data)
    with pytest.raises(PolicyError) as err:
        parse_credit_policy(data, source="credit.yaml")
    assert expected in str(err.value)
    assert str(err.value).startswith("credit.yaml:")


def test_every_problem_is_reported_at_once() -> None:
    data = _raw()
    data["matrix"]["gold"].pop("high")
    data["matrix"]["silver"]["low"]["terms"] = "biweekly"
    with pytest.raises(PolicyError) as err:
        parse_credit_policy(data)
    assert "2 problem(s)" in str(err.value)
    assert {p["path"] for p in err.value.fields["problems"]} >= {"matrix.silver.low.terms"}


def test_bad_file(tmp_path: Path) -> None:
    bad = tmp_path / "credit.yaml"
    bad.write_text("name: [", encoding="utf-8")
    with pytest.raises(PolicyError, match="not valid YAML"):
        load_credit_policy(bad)
    with pytest.raises(PolicyError, match="cannot read"):
        load_credit_policy(tmp_path / "missing.yaml")
