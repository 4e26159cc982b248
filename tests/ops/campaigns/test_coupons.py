"""The coupon check at order time (R-OPS-6, issue 24): valid → discount; a replay, an
expired code, another customer's code, an order under the threshold: refused with the reason."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from tierwise.ops.campaigns import coupons as cp

AT = dt.datetime(2026, 12, 10, 4)


def coupon(**over: Any) -> dict[str, Any]:
    base = {
        "code": "TWABC", "customer_id": "C1", "status": "issued", "order_id": None,
        "valid_from": dt.datetime(2026, 12, 7), "valid_until": dt.datetime(2026, 12, 21),
        "template": {"kind": "amount", "value": 20, "threshold": 300, "categories": [],
                     "stackable": False},
    }  # fmt: skip
    return {**base, **over}


def verdict(c: dict[str, Any] | None, lines: dict[str, int] | None = None, **kw: Any) -> cp.Verdict:
    kw.setdefault("customer_id", "C1")
    kw.setdefault("at", AT)
    return cp.check(c, code="TWABC", lines=lines or {"火锅": 35_000}, **kw)


def test_a_valid_coupon_gives_its_discount() -> None:
    v = verdict(coupon())
    assert v.ok and v.discount == 20.0


@pytest.mark.parametrize(
    ("c", "kw", "reason"),
    [
        (None, {}, "unknown code"),
        (coupon(), {"customer_id": "C2"}, "another customer"),
        (coupon(status="redeemed", order_id="O9"), {}, "already used on order O9"),
        (coupon(), {"at": dt.datetime(2026, 12, 22)}, "expired on 2026-12-21"),
        (coupon(), {"at": dt.datetime(2026, 12, 6)}, "not valid before"),
        (coupon(), {"lines": {"火锅": 29_999}}, "below the threshold 300.00"),
        (coupon(), {"other_coupons": [coupon(code="X")]}, "not stackable"),
    ],
)
def test_refusals_say_why(c: dict[str, Any] | None, kw: dict[str, Any], reason: str) -> None:
    v = verdict(c, **kw)
    assert not v.ok and v.discount_fen == 0 and reason in (v.reason or "")


def test_percent_capped_and_categories() -> None:
    t = {"kind": "percent", "value": 10, "max_off": 15, "threshold": 0,
         "categories": ["调料"], "stackable": True}  # fmt: skip
    v = verdict(coupon(template=t), lines={"调料": 10_000, "肉类": 90_000})
    assert v.ok and v.discount_fen == 1000  # 10 % of the 100 yuan of 调料 only
    assert verdict(coupon(template=t), lines={"调料": 50_000}).discount_fen == 1500  # capped
    assert "categories" in (verdict(coupon(template=t), lines={"肉类": 1}).reason or "")


def test_codes_are_unique_and_unambiguous() -> None:
    codes = {cp.new_code() for _ in range(2000)}
    assert len(codes) == 2000
    assert not any(ch in c[2:] for c in codes for ch in "01IOL")
