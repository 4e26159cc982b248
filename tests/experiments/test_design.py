"""Experiment designs are validated strictly; assignment is deterministic (R-ANA-5)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from tierwise.errors import DataError, PolicyError
from tierwise.experiments.assign import assign, unit_hash
from tierwise.experiments.design import load_design, parse_design
from tierwise.experiments.simulate import outlets


def _design(**over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "code": "rebate-2pct",
        "name": "2 % rebate for gold",
        "arms": [
            {"code": "control"},
            {"code": "rebate", "treatment": {"kind": "rebate", "rebate_pct": 2}},
        ],
        "start": "2026-01-01",
        "end": "2026-01-31",
    }
    return {**base, **over}


def test_a_good_design_parses_with_defaults() -> None:
    d = parse_design(_design())
    assert d.metric == "net_margin"
    assert d.guardrails == ["churn", "complaints", "returns", "overdue"]
    assert d.days == 31 + 14  # window plus the default tail


@pytest.mark.parametrize(
    ("over", "message"),
    [
        ({"end": "2025-12-01"}, "end 2025-12-01 is before start 2026-01-01"),
        ({"metric": "happiness"}, "metric 'happiness' does not exist"),
        ({"guardrails": ["churn", "mood"]}, "guardrail 'mood' does not exist"),
        ({"arms": [{"code": "control"}]}, "arms: List should have at least 2 items"),
        ({"arms": [{"code": "a"}, {"code": "a"}]}, "arm codes repeat"),
        ({"colour": "red"}, "colour: Extra inputs are not permitted"),
        (
            {"arms": [{"code": "c"}, {"code": "r", "treatment": {"kind": "rebate"}}]},
            "arms.1.treatment: a rebate treatment needs rebate_pct",
        ),
    ],
)
def test_bad_designs_are_refused_with_the_reason(over: dict[str, Any], message: str) -> None:
    with pytest.raises(PolicyError) as err:
        parse_design(_design(**over), source="exp.yaml")
    assert message in str(err.value)
    assert str(err.value).startswith("exp.yaml: ")


def test_a_design_loads_from_yaml(tmp_path: Path) -> None:
    p = tmp_path / "e.yaml"
    p.write_text(
        "code: c1\nname: 优惠券\narms: [{code: control}, {code: coupon, treatment: "
        "{kind: coupon, coupon_amount: 50}}]\nstart: 2026-01-01\nend: 2026-02-01\n",
        encoding="utf-8",
    )
    assert load_design(p).arms[1].treatment.coupon_amount == 50


def test_assignment_is_deterministic_per_account_and_follows_the_salt() -> None:
    o = outlets(3000, np.random.default_rng(0))
    a1 = assign(o, arms=["c", "t"], weights=[1, 1], salt="s1", strata=[])
    a2 = assign(
        o.sample(frac=1, random_state=1), arms=["c", "t"], weights=[1, 1], salt="s1", strata=[]
    )
    a3 = assign(o, arms=["c", "t"], weights=[1, 1], salt="s2", strata=[])
    m1, m2 = a1.set_index("customer_id")["arm"], a2.set_index("customer_id")["arm"]
    assert m1.equals(m2.reindex(m1.index))  # row order does not matter
    assert (a1.groupby("account_id")["arm"].nunique() == 1).all()  # a chain shares its arm
    assert (m1 != a3.set_index("customer_id")["arm"]).mean() > 0.3  # another salt, another draw
    share = a1.drop_duplicates("account_id")["arm"].value_counts(normalize=True)
    assert share["t"] == pytest.approx(0.5, abs=0.03)
    assert 0 <= unit_hash("s", "A1") < 1


def test_stratified_assignment_splits_every_stratum_as_designed() -> None:
    o = outlets(2000, np.random.default_rng(1))
    a = assign(o, arms=["c", "t1", "t2"], weights=[2, 1, 1], salt="x", strata=["tier", "province"])
    acc = a.drop_duplicates("account_id")
    for _, s in acc.groupby("stratum"):
        counts = s["arm"].value_counts()
        assert abs(counts["c"] - len(s) / 2) <= 1
        assert abs(counts["t1"] - len(s) / 4) <= 1


def test_assignment_names_a_missing_column() -> None:
    with pytest.raises(DataError, match="lacks column 'city'"):
        assign(
            pd.DataFrame({"customer_id": ["a"], "account_id": ["a"]}),
            arms=["c", "t"],
            weights=[1, 1],
            salt="s",
            strata=["city"],
        )
