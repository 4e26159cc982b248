"""Explanations: contributions, the placing rule, upgrade paths; zh-CN and English (R-INT-3)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from gradeframe import grade_rows
from tierwise.explain import explain, render
from tierwise.policy import load_policy

ROOT = Path(__file__).resolve().parents[2]

# (customer, orders in the year, yuan per order, days since the last order): the golden RFM set
RFM = [
    ("c01", 52, 2000, 3), ("c22", 50, 900, 0), ("c02", 30, 1500, 10), ("c03", 30, 1500, 40),
    ("c04", 25, 1200, 5), ("c14", 40, 300, 1), ("c05", 20, 1000, 20), ("c06", 20, 1000, 20),
    ("c13", 15, 900, 2), ("c07", 12, 2500, 65), ("c09", 8, 500, 15), ("c20", 9, 1200, 33),
    ("c10", 5, 800, 45), ("c11", 5, 800, 45), ("c21", 4, 2600, 61), ("c08", 10, 1000, 100),
    ("c16", 6, 2000, 95), ("c19", 11, 1000, 130), ("c12", 3, 3000, 200), ("c15", 2, 100, 300),
]  # fmt: skip


def _kuailv() -> tuple[Any, dict[str, Any], Any]:
    policy = load_policy(ROOT / "policies" / "kuailv.yaml")
    rows = [
        {"entity_id": c, "orders_365d": n, "orders_lookback": n, "spend_365d": n * a,
         "recency_days": r, "days_since_last_order": r, "days_since_first_order": 400,
         "tenure_days": 400, "on_time_payment_rate": 1.0}
        for c, n, a, r in RFM
    ]  # fmt: skip
    out, cutoffs = grade_rows(rows, policy)
    return policy, out, cutoffs


def test_percentile_explanation_names_the_cutoff_and_both_ways_up() -> None:
    policy, out, cutoffs = _kuailv()
    a = out["c04"]
    reasons = explain(
        a, {"spend_365d": 30000.0, "orders_365d": 25, "recency_days": 5}, policy, cutoffs
    )
    codes = [r.code for r in reasons]
    assert codes[0] == "TIER_BY_PERCENTILE"
    assert reasons[0].params["tier"] == "silver"
    assert codes.count("CONTRIBUTION") == 3
    points = {r.params["feature"]: r.params["points"] for r in reasons if r.code == "CONTRIBUTION"}
    assert points == pytest.approx({"recency_days": 2.0, "spend_365d": 0.9, "orders_365d": 0.6})
    up = {r.params["feature"]: r.params["amount"] for r in reasons if r.code == "UPGRADE_FEATURE"}
    assert up == pytest.approx({"spend_365d": 10000, "orders_365d": 5})
    zh = [render(r, policy) for r in reasons]
    en = [render(r, policy, "en") for r in reasons]
    assert "距黄金还差 0.20 分（门槛 3.7）" in zh
    assert "近一年采购额再增加 10 000 元 即可升至黄金" in zh
    assert "近一年订单数再增加 5 单 即可升至黄金" in zh
    assert "Add 10 000 yuan (Spend, last 365 days) to reach Gold" in en
    assert "Add 5 orders (Orders, last 365 days) to reach Gold" in en
    assert "Days since the last order: 5 days, +2.00 points" in en


def test_a_lapsed_customer_is_told_one_order_brings_them_up() -> None:
    """c07 (r3 f1 m3 = 2.4, silver) needs 3.7 for gold: one order today gives R 5, +0.8."""
    policy, out, cutoffs = _kuailv()
    assert out["c07"]["order_now_reaches_next"] is False  # 0.8 < 1.3
    # c10 (r4 f0 m0 = 1.6, bronze) needs 2.4 for silver: one order today gives +0.4, not enough
    assert out["c10"]["order_now_reaches_next"] is False
    # c20 (r4 f0 m1 = 1.9, bronze): 0.5 short of silver (2.4); R 4 → 5 gives 0.4: not enough
    # c08 (r2 f1 m1 = 1.4, bronze): 1.0 short; R 2 → 5 gives 1.2: enough
    assert out["c08"]["order_now_reaches_next"] is True
    reasons = explain(out["c08"], {}, policy, cutoffs)
    now = next(r for r in reasons if r.code == "UPGRADE_ORDER_NOW")
    assert render(now, policy) == "现在下一单（最近采购回到 30 天内）即可升至白银"


def test_top_tier_has_no_way_up() -> None:
    policy, out, cutoffs = _kuailv()
    reasons = explain(out["c01"], {}, policy, cutoffs)
    assert [r.code for r in reasons if r.code.startswith(("TOP", "UPGRADE"))] == ["TOP_TIER"]
    top = next(r for r in reasons if r.code == "TOP_TIER")
    assert render(top, policy) == "已是最高等级铂金"
    assert render(top, policy, "en") == "Already in the top tier, Platinum"


def test_threshold_explanation_lists_unmet_conditions_of_the_next_tier() -> None:
    policy = load_policy(ROOT / "policies" / "meicai.yaml")
    feats = {"entity_id": "b", "orders_lookback": 20, "days_since_first_order": 400,
             "orders_per_month": 8.0, "avg_order_value": 800.0, "repurchase_rate": 0.79}  # fmt: skip
    out, cutoffs = grade_rows([feats], policy)
    reasons = explain(out["b"], feats, policy, cutoffs)
    assert reasons[0].code == "TIER_BY_RULES"
    assert reasons[0].params["tier"] == "B"
    unmet = [r.params for r in reasons if r.code == "UPGRADE_FEATURE"]
    assert len(unmet) == 1
    assert unmet[0]["feature"] == "repurchase_rate"
    assert unmet[0]["required"] == 0.8
    assert unmet[0]["amount"] == pytest.approx(0.01)
    text = render(next(r for r in reasons if r.code == "UPGRADE_FEATURE"), policy)
    assert text == "复购率需 >= 80%（当前 79%，差 1%）才能达到黄金客户"


def test_insufficient_data_is_its_own_status_with_what_is_missing() -> None:
    policy = load_policy(ROOT / "policies" / "meicai.yaml")
    # no order in the lookback (a single order is graded: C at least, issue 17)
    feats = {"entity_id": "n", "orders_lookback": 0, "days_since_first_order": 400,
             "orders_per_month": 0.0, "avg_order_value": 0.0, "repurchase_rate": 0.0}  # fmt: skip
    out, cutoffs = grade_rows([feats], policy)
    assert out["n"]["status"] == "insufficient_data"
    assert out["n"]["tier"] is None
    reasons = explain(out["n"], feats, policy, cutoffs)
    assert [r.code for r in reasons] == ["INSUFFICIENT_DATA", "UPGRADE_FEATURE"]
    assert reasons[1].params["feature"] == "orders_lookback"
    assert render(reasons[0], policy, "en").startswith("Insufficient data")
    assert render(reasons[0], policy).startswith("数据不足")
