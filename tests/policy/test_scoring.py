"""Scores: the seed's RFM formula exactly (R-GRD-1), RFM quantiles under heavy ties,
the value formula (R-GRD-2) and goal presets."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gradeframe import grade_rows
from tierwise.policy import parse_policy
from tierwise.policy.presets import PRESETS, effective_weights

TWO_TIERS = {
    "method": "percentile",
    "levels": [
        {"code": "top", "label": {"zh": "高", "en": "High"}, "top": 0.5},
        {"code": "rest", "label": {"zh": "低", "en": "Low"}},
    ],
}


def _policy(score: dict[str, Any]) -> Any:
    return parse_policy(
        {
            "name": "t",
            "eligibility": {"when": "orders_lookback >= 0"},
            "score": score,
            "tiers": TWO_TIERS,
        }
    )


def seed_rfm(recency: int, frequency: int, monetary: float) -> float:
    """The seed document's function, verbatim (客户分级体系设计, 分级计算引擎)."""
    r_score = 5 - min(recency // 30, 4)
    f_score = min(frequency // 10, 5)
    m_score = min(monetary // 10000, 5)
    return r_score * 0.4 + f_score * 0.3 + m_score * 0.3


rfm_rows = st.lists(
    st.tuples(st.integers(0, 400), st.integers(0, 80), st.integers(0, 80000)),
    min_size=1,
    max_size=40,
)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rfm_rows)
def test_rfm_formula_matches_the_seed_function(values: list[tuple[int, int, int]]) -> None:
    rows = [
        {"entity_id": f"e{i}", "recency_days": r, "orders_365d": f, "spend_365d": m}
        for i, (r, f, m) in enumerate(values)
    ]
    out, _ = grade_rows(rows, _policy({"method": "rfm_formula"}))
    for i, (r, f, m) in enumerate(values):
        got = out[f"e{i}"]
        assert got["score"] == pytest.approx(seed_rfm(r, f, m), abs=1e-9)
        parts = got["contrib_recency_days"] + got["contrib_orders_365d"] + got["contrib_spend_365d"]
        assert parts == pytest.approx(got["score"], abs=1e-6)


def test_rfm_formula_never_ordered_gets_the_lowest_r() -> None:
    out, _ = grade_rows(
        [{"entity_id": "x", "recency_days": None, "orders_365d": 0, "spend_365d": 0}],
        _policy({"method": "rfm_formula"}),
    )
    assert out["x"]["r_score"] == 1
    assert out["x"]["score"] == pytest.approx(0.4)


def test_equal_formula_sums_are_equal_scores() -> None:
    """0.4*3 + 0.3*0 + 0.3*0 and 0.4*0... : 1.2 from different parts must tie exactly."""
    rows = [
        {"entity_id": "a", "recency_days": 100, "orders_365d": 0, "spend_365d": 40000},  # 0.8+0+1.2
        {"entity_id": "b", "recency_days": 100, "orders_365d": 40, "spend_365d": 0},  # 0.8+1.2+0
    ]
    out, _ = grade_rows(rows, _policy({"method": "rfm_formula"}))
    assert out["a"]["score"] == out["b"]["score"]
    assert out["a"]["tier"] == out["b"]["tier"]


def test_rfm_quantile_heavy_ties_share_the_lowest_bin() -> None:
    """70 of 100 customers have exactly 1 order: they all get F=1, not F spread over 1..4."""
    rows = [
        {
            "entity_id": f"e{i}",
            "recency_days": i,
            "orders_365d": 1 if i < 70 else i,
            "spend_365d": i,
        }
        for i in range(100)
    ]
    out, _ = grade_rows(rows, _policy({"method": "rfm_quantile", "bins": 5}))
    assert {out[f"e{i}"]["f_score"] for i in range(70)} == {1}
    f_rest = [out[f"e{i}"]["f_score"] for i in range(70, 100)]
    assert f_rest == sorted(f_rest)
    assert min(f_rest) == 4  # the 71st customer sits at the 70th percentile
    assert max(f_rest) == 5
    # recency: lower is better; m: 1..5 evenly
    assert out["e0"]["r_score"] == 5
    assert out["e99"]["r_score"] == 1
    assert [out[f"e{i}"]["m_score"] for i in (0, 20, 40, 60, 80, 99)] == [1, 2, 3, 4, 5, 5]


def test_value_formula_verbatim_with_normalize_none() -> None:
    """客户价值 = 频次×0.3 + 平均订单金额×0.4 + 复购率×0.25 − 投诉率×0.05 (R-GRD-2)."""
    out, _ = grade_rows(
        [
            {
                "entity_id": "x",
                "orders_per_month": 10,
                "avg_order_value": 200,
                "repurchase_rate": 0.9,
                "complaint_rate": 0.1,
            },
        ],
        _policy({"method": "weighted", "preset": "value", "normalize": "none", "scale": 1}),
    )
    assert out["x"]["score"] == pytest.approx(10 * 0.3 + 200 * 0.4 + 0.9 * 0.25 - 0.1 * 0.05)


def test_percentile_normalization_gives_ties_their_mean_position() -> None:
    rows = [{"entity_id": f"e{i}", "repurchase_rate": 1.0 if i >= 4 else i / 10} for i in range(10)]
    policy = _policy({"method": "weighted", "weights": {"repurchase_rate": 1}, "scale": 1})
    out, _ = grade_rows(rows, policy)
    # e4..e9 tie at the top: the highest value maps to 1; e0 is lowest and maps to 0;
    # between them the positions 1, 2, 3 of the mid-ranks 0..6.5
    assert out["e0"]["score"] == 0
    assert out["e1"]["score"] == pytest.approx(round(1 / 6.5, 6))
    assert {out[f"e{i}"]["score"] for i in range(4, 10)} == {1.0}


def test_percentile_normalization_no_penalty_for_the_tied_best() -> None:
    """Most customers never complain: with a negative weight they lose nothing."""
    rows = [{"entity_id": f"e{i}", "complaint_rate": 0.0 if i < 8 else i / 10} for i in range(10)]
    policy = _policy({"method": "weighted", "weights": {"complaint_rate": -1}, "scale": 1})
    out, _ = grade_rows(rows, policy)
    assert {out[f"e{i}"]["score"] for i in range(8)} == {0.0}
    assert out["e9"]["score"] == -1.0


def test_percentile_normalization_ranks_among_eligible_only() -> None:
    policy = parse_policy(
        {
            "name": "t",
            "eligibility": {"when": "orders_lookback >= 1"},
            "score": {"method": "weighted", "weights": {"spend_365d": 1}},
            "tiers": TWO_TIERS,
        }
    )
    rows = [
        {"entity_id": "a", "orders_lookback": 1, "spend_365d": 10},
        {"entity_id": "b", "orders_lookback": 1, "spend_365d": 20},
        {"entity_id": "ghost", "orders_lookback": 0, "spend_365d": 1e9},
    ]
    out, _ = grade_rows(rows, policy)
    assert out["a"]["score"] == 0
    assert out["b"]["score"] == 100
    assert out["ghost"]["status"] == "insufficient_data"
    assert out["ghost"]["tier"] is None


def test_presets_and_overrides() -> None:
    assert effective_weights("value", {}) == PRESETS["value"]
    w = effective_weights("profit", {"return_rate": 0, "contract_amount": 0.1})
    assert "return_rate" not in w
    assert w["contract_amount"] == 0.1
    assert w["gross_margin_lookback"] == PRESETS["profit"]["gross_margin_lookback"]
