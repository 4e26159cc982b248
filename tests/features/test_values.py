"""Feature values on the tiny lake, each computed by hand (R-FEA-1..7)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from conftest import feature_rows, lake_rows  # at import: the features conftest

C1 = {
    "recency_days": 0,  # an order at 23:00 on the as_of day counts
    "days_since_first_order": 117,
    "orders_30d": 2,
    "orders_90d": 3,
    "orders_365d": 4,
    "spend_30d": 3500.0,
    "spend_90d": 5500.0,
    "spend_365d": 6500.0,
    "orders_per_month": 4 / 118 * 30.4375,
    "orders_per_week": 4 / 118 * 7,
    "avg_order_value": 1625.0,
    "repurchase_rate": 0.75,  # Mar, Apr, Jun of Mar..Jun
    "spend_growth": (5500 - 1000) / 6500,
    "median_order_gap_days": 36.0,  # gaps 36, 71, 10
    "gross_margin_lookback": 1500.0,
    "gross_margin_rate": 1500 / 6500,
    "share_hotpot": 3100 / 6500,
    "share_seasoning": 400 / 6500,
    "share_frozen_snack": 3000 / 6500,
    "share_meat": 0.0,
    "top_category": "hotpot",
    "return_amount": 650.0,
    "return_rate": 0.1,
    "invoices_due": 2,  # i3 is due after as_of
    "on_time_payment_rate": 0.5,  # i1 on time; i2 paid late and partly
    "overdue_amount": 500.0,
    "complaints_lookback": 1,
    "complaint_rate": 0.25,
    "legal_disputes": 1,
    "credit_rating": "BB",
    "logins_30d": 3,
    "logins_per_week": 9 / (90 / 7),
    "interactions_90d": 3,
    "tenure_days": 365,
    "contract_amount": 120000.0,
    "has_special_needs": 1,
    "channel": "online",
    "delivery_cost": 12.5,
    "competition_index": 0.6,
    "outlets": 1,
}
C2 = {
    "recency_days": 166,
    "orders_90d": 0,
    "orders_365d": 1,
    "spend_growth": -1.0,
    "orders_per_month": 1 / 167 * 30.4375,
    "repurchase_rate": 1 / 6,
    "median_order_gap_days": None,
    "on_time_payment_rate": 1.0,  # nothing due
    "overdue_amount": 0.0,
    "legal_disputes": 2,
    "credit_rating": "A",
    "tenure_days": 180,
    "contract_amount": 0.0,
    "has_special_needs": 0,
}
C3 = {
    "recency_days": None,
    "orders_365d": 0,
    "spend_365d": 0.0,
    "avg_order_value": 0.0,
    "repurchase_rate": 0.0,
    "return_rate": 0.0,
    "complaint_rate": 0.0,
    "top_category": None,
    "legal_disputes": 0,
    "tenure_days": 29,
}
ACCOUNT_A = {
    "outlets": 2,
    "orders_365d": 5,
    "spend_365d": 7300.0,
    "recency_days": 0,
    "days_since_first_order": 166,
    "orders_per_month": 5 / 167 * 30.4375,  # ratios recomputed from the sums
    "repurchase_rate": 4 / 6,  # Jan, Mar, Apr, Jun of Jan..Jun
    "median_order_gap_days": 42.5,  # gaps 49, 36, 71, 10
    "legal_disputes": 3,
    "credit_rating": "BB",  # the worst outlet
    "tenure_days": 365,
    "contract_amount": 120000.0,
    "channel": "offline",
    "avg_order_value": 7300 / 5,
}


def _check(row: dict[str, Any], expected: dict[str, Any]) -> None:
    for name, want in expected.items():
        got = row[name]
        if isinstance(want, float) and got is not None:
            assert got == pytest.approx(want), name
        else:
            assert got == want, name


@pytest.mark.parametrize(("cid", "expected"), [("c1", C1), ("c2", C2), ("c3", C3)])
def test_outlet_features_match_hand_computation(
    outlet_rows: dict[str, dict[str, Any]], cid: str, expected: dict[str, Any]
) -> None:
    _check(outlet_rows[cid], expected)


def test_account_features_aggregate_outlets(tiny_lake: Path) -> None:
    rows = feature_rows(tiny_lake, "account")
    assert set(rows) == {"A", "c3"}
    _check(rows["A"], ACCOUNT_A)


def test_repeated_order_days_do_not_change_the_median_gap(tmp_path: Path) -> None:
    """Gaps are between distinct order days: several orders on one day add no zero gaps."""
    import copy

    from tinylake import ts, write_lake

    rows = copy.deepcopy(lake_rows())
    extra = [
        ("o6", "c1", ts(2025, 4, 10, 15)),  # c1 orders twice more on 20 June, once on 10 April
        ("o7", "c1", ts(2025, 6, 20, 9)),
        ("o8", "c1", ts(2025, 6, 20, 18)),
        ("o9", "c2", ts(2025, 1, 15, 20)),  # c2: two orders, one day
    ]
    rows["orders"] += [
        {"order_id": o, "customer_id": c, "order_time": t, "amount": 10} for o, c, t in extra
    ]
    got = feature_rows(write_lake(tmp_path / "lake", rows))
    assert got["c1"]["median_order_gap_days"] == 36.0  # gaps 36, 71, 10 as before
    assert got["c1"]["orders_365d"] == 7
    assert got["c2"]["median_order_gap_days"] is None
