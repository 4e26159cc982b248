"""The customer's own view (issue 18 finding 1, R-INT-3): which fields, decided in one place,
and progress said in yuan and orders relative to the tier the customer holds."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from tierwise.api.access import SELF_VIEW_FIELDS, CustomerRef, Principal, Role, self_view_fields
from tierwise.api.selfview import progress, self_view

ORDER = ["platinum", "gold", "silver", "bronze"]
LABELS = {
    "platinum": {"zh": "铂金", "en": "Platinum"},
    "gold": {"zh": "黄金", "en": "Gold"},
    "silver": {"zh": "白银", "en": "Silver"},
    "bronze": {"zh": "青铜", "en": "Bronze"},
}
ME = Principal("key:app", Role.CUSTOMER, customer_id="C1")
ROW: dict[str, Any] = {
    "customer_id": "C1",
    "name": "川味小馆",
    "account_manager": "AM001",
    "tier": "gold",
    "tier_since": date(2026, 8, 31),
    "score": 3.1,
    "segment": "growth",
    "tags": ["high_risk", "churn_warning"],
    "layers": {"value": "vip"},
    "explanation": [{"code": "TAG", "zh": "标签：高风险（账期履约率 < 0.8）", "en": "Tag"}],
    "features": {"spend_365d": 48_000.0, "orders_365d": 40, "share_meat": 0.5},
    "upgrade": {
        "next_tier": "platinum",
        "gap_score": 0.7,
        "needs": {"spend_365d": 12_345.671, "orders_365d": 2.2, "share_meat": 0.1},
    },
    "phone": "13800001234",
}
CHANGES = [
    {
        "effective": date(2026, 8, 31),
        "from_tier": "silver",
        "to_tier": "gold",
        "reason_code": "upgrade",
        "reason": {"score": 3.1, "rule": "internal"},
        "run_id": "r2",
    }
]


@pytest.mark.parametrize("role", list(Role))
def test_only_a_customer_sees_its_own_view_and_only_its_fields(role: Role) -> None:
    p = Principal(f"user:{role.value}", role, manager_id="AM001", customer_id="C1")
    own = self_view_fields(p, CustomerRef("C1", "AM001"))
    assert own == (SELF_VIEW_FIELDS if role is Role.CUSTOMER else frozenset())
    assert self_view_fields(p, CustomerRef("C2", "AM001")) == frozenset()


def _view(principal: Principal = ME, row: dict[str, Any] = ROW) -> dict[str, Any]:
    return self_view(
        principal, row, changes=CHANGES, benefits={"rebate_pct": 1},
        tier_order=ORDER, labels=LABELS, all_needed=False,
    )  # fmt: skip


# every field a profile row or the 360° view carries, and whether a customer sees it
FIELDS = sorted({*ROW, "features", "explanation", "upgrade", "active_override", "history"})


@pytest.mark.parametrize("field", FIELDS)
def test_each_field_of_the_customer_view_field_by_field(field: str) -> None:
    view = _view()
    assert (field in view) == (field in SELF_VIEW_FIELDS), field
    assert set(view) == SELF_VIEW_FIELDS


def test_nothing_internal_leaks_through_a_visible_field() -> None:
    text = repr(_view())
    for internal in ("3.1", "0.7", "growth", "high_risk", "churn_warning", "vip", "高风险",
                     "internal", "AM001", "13800001234", "share_meat"):  # fmt: skip
        assert internal not in text, internal
    assert _view()["history"] == [
        {"effective": date(2026, 8, 31), "from_tier": "silver", "to_tier": "gold",
         "change": "upgrade"}
    ]  # fmt: skip


def test_staff_get_no_self_view_fields() -> None:
    analyst = Principal("user:a", Role.ANALYST)
    assert _view(analyst) == {}


def test_progress_to_the_next_tier_in_yuan_and_orders_rounded_up() -> None:
    p = progress(ROW, ORDER, LABELS, all_needed=False)
    assert p is not None and p["kind"] == "next" and p["tier"] == "platinum"
    texts = [i["text"]["zh"] for i in p["items"]]
    assert texts == ["再采购 12 345.68 元即可升至铂金", "再下 3 单即可升至铂金"]
    assert [i["text"]["en"] for i in p["items"]] == [
        "Buy 12 345.68 yuan more to reach Platinum",
        "Place 3 more orders to reach Platinum",
    ]
    assert p["items"][0]["current"] == 48_000.0  # a rate (share_meat) is not offered


def test_progress_keeps_the_held_tier_in_a_grace_period() -> None:
    # the run computed silver, stability holds gold: the amounts keep gold
    row = {**ROW, "upgrade": {"next_tier": "gold", "needs": {"spend_365d": 1200.0}}}
    p = progress(row, ORDER, LABELS, all_needed=False)
    assert p is not None and p["kind"] == "keep" and p["tier"] == "gold"
    assert [i["text"]["zh"] for i in p["items"]] == ["再采购 1 200.00 元即可保持黄金"]
    # computed two tiers below: amounts toward silver would not keep gold, so none is said
    row = {**ROW, "upgrade": {"next_tier": "silver", "needs": {"spend_365d": 50.0}}}
    p = progress(row, ORDER, LABELS, all_needed=False)
    assert p is not None and (p["kind"], p["tier"], p["items"]) == ("keep", "gold", [])


def test_progress_at_the_top_and_ungraded() -> None:
    top = {**ROW, "tier": "platinum", "upgrade": {"next_tier": None}}
    assert progress(top, ORDER, LABELS, all_needed=False) == {
        "kind": "top", "tier": "platinum", "all_needed": False, "items": []
    }  # fmt: skip
    assert progress({**ROW, "tier": None}, ORDER, LABELS, all_needed=False) is None
