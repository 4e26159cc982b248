"""Weight presets for business goals (R-GRD-2); a policy's own weights override them."""

from __future__ import annotations

PRESETS: dict[str, dict[str, float]] = {
    # the seed's value formula: 客户价值 = 频次×0.3 + 平均订单金额×0.4 + 复购率×0.25 − 投诉率×0.05
    "value": {
        "orders_per_month": 0.3,
        "avg_order_value": 0.4,
        "repurchase_rate": 0.25,
        "complaint_rate": -0.05,
    },
    # 利润导向: margin and paying on time matter, returns and costly deliveries cost
    "profit": {
        "gross_margin_lookback": 0.35,
        "gross_margin_rate": 0.2,
        "avg_order_value": 0.15,
        "on_time_payment_rate": 0.15,
        "return_rate": -0.1,
        "delivery_cost": -0.05,
    },
    # 规模扩张: volume, frequency, growth and loyalty
    "scale": {
        "spend_lookback": 0.3,
        "orders_per_month": 0.25,
        "spend_growth": 0.2,
        "repurchase_rate": 0.15,
        "logins_per_week": 0.1,
    },
}


def effective_weights(preset: str | None, weights: dict[str, float]) -> dict[str, float]:
    """The preset's weights updated by the policy's own; a weight of 0 removes a feature."""
    merged = {**PRESETS.get(preset or "", {}), **weights}
    return {k: v for k, v in merged.items() if v != 0}
