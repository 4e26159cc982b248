"""The supply policy, the levels by tier, the proposal and the allocation (R-OPS-9, issue 27
item 3), checked by hand; the bad inputs (a service level outside (0, 1), a SKU without lead
time, negative stock in a count) refused, flagged or quarantined with the reason."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from statistics import NormalDist

import pandas as pd
import pytest

from tierwise.errors import PolicyError
from tierwise.ops.supply.allocate import allocate
from tierwise.ops.supply.policy import load_supply_policy, parse_supply_policy
from tierwise.ops.supply.replenish import levels, proposal
from tierwise.ops.supply.stock import stock_positions

POLICY = load_supply_policy()
DATA = Path(__file__).resolve().parent / "data"  # tests/data holds bad grading policies only
Z = NormalDist().inv_cdf


def test_the_shipped_policy_has_the_issue_s_service_levels() -> None:
    assert POLICY.service_levels == {"platinum": 0.99, "gold": 0.97, "silver": 0.95, "bronze": 0.9}
    assert POLICY.review("鲜肉") == 2 and POLICY.review("粮油") == 7


def test_a_bad_policy_is_refused_with_every_problem() -> None:
    with pytest.raises(PolicyError) as e:
        load_supply_policy(DATA / "bad_supply.yaml")
    paths = {p["path"] for p in e.value.fields["problems"]}
    assert paths == {"service_levels", "review_days", "allocation.fairness"}
    assert "outside (0, 1)" in str(e.value) and "1.2" in str(e.value)
    # the default tier is checked once the levels are sound
    with pytest.raises(PolicyError, match="default_tier 'copper' has no service level"):
        parse_supply_policy(
            {"name": "x", "service_levels": {"gold": 0.9}, "default_tier": "copper"}
        )


PRODUCTS = pd.DataFrame(
    {
        "sku": ["A", "B"],
        "category": ["粮油", "粮油"],
        "supplier": ["S1", "S1"],
        "lead_time_days": [7, None],
        "unit_cost": [2.5, 1.0],
    }
)


def _tier_demand(sku: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "sku": sku,
            "warehouse_id": "WH01",
            "tier": ["platinum", "bronze"],
            "mean_week": [7.0, 14.0],  # 1 and 2 a day
            "sigma_week": [7.0, 0.0],  # error variance 7 a day for platinum
        }
    )


def test_levels_cover_the_higher_tiers_first_and_a_sku_without_lead_time_is_flagged() -> None:
    td = pd.concat([_tier_demand("A"), _tier_demand("B")])
    lv, flagged = levels(td, PRODUCTS, POLICY)
    assert list(flagged["sku"]) == ["B"] and "no lead time" in flagged["reason"].iloc[0]
    row = lv.set_index("sku").loc["A"]
    cover = 7 + 7
    s_plat = 1 * cover + Z(0.99) * (7 * cover) ** 0.5
    s_all = 3 * cover + Z(0.90) * (7 * cover) ** 0.5
    assert row["order_up_to"] == pytest.approx(max(s_plat, s_all))
    assert row["binding_tier"] == "bronze"
    assert row["reorder_point"] == pytest.approx(3 * 7 + Z(0.90) * (7 * 7) ** 0.5)
    assert row["safety_stock"] == pytest.approx(row["order_up_to"] - 3 * cover)


def test_a_platinum_heavy_sku_is_sized_by_the_platinum_target() -> None:
    td = _tier_demand("A").assign(mean_week=[70.0, 0.0], sigma_week=[70.0, 0.0])
    lv, _ = levels(td, PRODUCTS, POLICY)
    assert lv["binding_tier"].iloc[0] == "platinum"


def test_the_proposal_orders_up_to_the_level_below_the_reorder_point() -> None:
    lv, _ = levels(_tier_demand("A"), PRODUCTS, POLICY)
    pos = pd.DataFrame({"sku": ["A"], "warehouse_id": ["WH01"], "position": [3.0]})
    p = proposal(lv, pos, PRODUCTS, as_of=dt.date(2026, 5, 4))
    assert len(p) == 1
    r = p.iloc[0]
    assert r["quantity"] == float(int(lv["order_up_to"].iloc[0] - 3.0) + 1)
    assert r["po_id"] == "RP202605040001" and r["expected_date"] == dt.date(2026, 5, 11)
    assert r["amount"] == pytest.approx(r["quantity"] * 2.5)
    high = pos.assign(position=lv["reorder_point"].iloc[0] + 1)
    assert proposal(lv, high, PRODUCTS, as_of=dt.date(2026, 5, 4)).empty


def test_negative_stock_in_a_count_is_quarantined() -> None:
    snaps = pd.DataFrame(
        {
            "snapshot_date": [dt.date(2026, 4, 30)] * 2,
            "warehouse_id": ["WH01", "WH01"],
            "sku": ["A", "B"],
            "on_hand": [10.0, -3.0],
        }
    )
    receipts = pd.DataFrame(
        {"po_id": ["P1"], "warehouse_id": ["WH01"], "sku": ["A"],
         "received_date": [dt.date(2026, 5, 2)], "quantity": [5.0]}
    )  # fmt: skip
    pos_ = pd.DataFrame(
        {"po_id": ["P1", "P2"], "warehouse_id": ["WH01"] * 2, "sku": ["A"] * 2,
         "order_date": [dt.date(2026, 4, 25), dt.date(2026, 5, 1)], "quantity": [5.0, 8.0]}
    )  # fmt: skip
    orders = pd.DataFrame(
        {"order_id": ["O1"], "customer_id": ["C1"], "order_time": [pd.Timestamp("2026-05-03 9:00")]}
    )
    lines = pd.DataFrame({"order_id": ["O1"], "sku": ["A"], "quantity": [4.0]})
    customers = pd.DataFrame({"customer_id": ["C1"], "city": ["成都市"]})
    pos, q = stock_positions(
        snaps, receipts, pos_, lines, orders, customers, as_of=dt.date(2026, 5, 4)
    )
    assert list(q["sku"]) == ["B"] and "negative stock" in q["reason"].iloc[0]
    r = pos.set_index("sku").loc["A"]
    assert (r["on_hand"], r["on_order"], r["position"]) == (11.0, 8.0, 19.0)


def _lines(qty: dict[str, float]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "order_id": [f"O{i}" for i in range(len(qty))],
            "customer_id": [f"C{i}" for i in range(len(qty))],
            "tier": list(qty),
            "sku": "A",
            "warehouse_id": "WH01",
            "quantity": list(qty.values()),
            "order_time": pd.date_range("2026-05-04 08:00", periods=len(qty), freq="h"),
        }
    )


def _alloc(avail: float, qty: dict[str, float]) -> dict[str, float]:
    stock = pd.DataFrame({"sku": ["A"], "warehouse_id": ["WH01"], "on_hand": [avail]})
    a = allocate(_lines(qty), stock, POLICY)
    return dict(zip(a["tier"], a["allocated"], strict=True))


def test_short_stock_goes_to_higher_tiers_first_within_the_fairness_floor() -> None:
    qty = {"bronze": 10.0, "platinum": 10.0, "gold": 10.0}
    assert _alloc(40, qty) == qty
    # floors 5 each (15), the 5 left go to platinum
    assert _alloc(20, qty) == {"platinum": 10.0, "gold": 5.0, "bronze": 5.0}
    # 25: platinum full, gold 5 + 5 more, bronze keeps its floor
    assert _alloc(25, qty) == {"platinum": 10.0, "gold": 10.0, "bronze": 5.0}
    # not even the floors: pro rata
    assert _alloc(9, qty) == pytest.approx({"platinum": 3.0, "gold": 3.0, "bronze": 3.0})
