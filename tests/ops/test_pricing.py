"""Tier price rules (R-OPS-3, issue 21 item 2): conflicts refused at save with both ids and an
example line, bad rules refused, quotes that say which rule and why."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from tierwise.errors import DataError
from tierwise.ops.benefits.pricing import Line, PriceRule, RuleIndex, conflicts, quote_line

D = dt.date(2026, 12, 1)


def rule(code: str, kind: str = "discount_pct", value: str = "5", **kw: object) -> PriceRule:
    return PriceRule(id=kw.pop("id", None), code=code, kind=kind, value=Decimal(value),  # type: ignore[arg-type]
                     valid_from=kw.pop("valid_from", D), **kw)  # type: ignore[arg-type]  # fmt: skip


def test_overlapping_rules_with_different_results_and_one_priority_conflict() -> None:
    a = rule("plat_veg", tier="platinum", category="蔬菜", id=1)
    b = rule("veg_sku", value="8", sku="V001", id=2)
    found = conflicts(b, [a])
    assert [(c.rule, c.other, c.other_id) for c in found] == [("veg_sku", "plat_veg", 1)]
    assert found[0].example == (
        "a line of sku V001 (category 蔬菜) for a customer of tier platinum in region any on 2026-12-01"
    )
    # a priority between them, the same result, another tier, another region, other dates: fine
    assert conflicts(rule("veg_sku", value="8", sku="V001", priority=1), [a]) == []
    assert conflicts(rule("same", value="5", sku="V001"), [a]) == []
    assert conflicts(rule("gold", value="8", tier="gold", category="蔬菜"), [a]) == []
    sichuan = rule("sc", value="8", category="蔬菜", region="四川省")
    assert conflicts(rule("gd", value="9", category="蔬菜", region="广东省"), [sichuan]) == []
    ended = rule("old", value="3", category="蔬菜", valid_from=dt.date(2026, 1, 1), valid_until=D)
    assert conflicts(rule("new", value="8", category="蔬菜"), [ended]) == []
    assert conflicts(rule("m", value="8", category="鲜肉"), [a]) == []


@pytest.mark.parametrize(
    ("bad", "fragment"),
    [
        (rule("neg", "net_price", "-1"), "is negative"),
        (rule("big", value="120"), "not in (0, 100]"),
        (rule("zero", value="0"), "not in (0, 100]"),
        (rule("both", sku="V1", category="蔬菜"), "not both"),
        (rule("dates", valid_until=D), "is not after"),
    ],
)
def test_bad_rules_are_refused_with_the_field(bad: PriceRule, fragment: str) -> None:
    with pytest.raises(DataError, match=fragment.replace("(", r"\(").replace(")", r"\)")) as err:
        bad.check()
    assert err.value.fields["field"] in ("value", "category", "valid_until")


def test_a_quote_takes_the_highest_priority_and_says_why() -> None:
    index = RuleIndex(
        [
            rule("plat_all", value="2", tier="platinum", id=1),
            rule("plat_veg", value="8", tier="platinum", category="蔬菜", priority=5, id=2),
            rule("rice_net", "net_price", "95", sku="R1", priority=9, id=3),
            rule(
                "later",
                value="50",
                tier="platinum",
                valid_from=dt.date(2027, 1, 1),
                priority=99,
                id=4,
            ),
        ]
    )
    veg = quote_line(
        index, "platinum", "四川省", D, Line("V1", "蔬菜", Decimal("10.00"), Decimal(3))
    )
    assert (veg.net_price, veg.amount, veg.rule) == (Decimal("9.20"), Decimal("27.60"), "plat_veg")
    assert "8 % off, priority 5" in veg.why and "1 other matching rule" in veg.why
    rice = quote_line(index, "gold", None, D, Line("R1", "粮油", Decimal("120")))
    assert (rice.net_price, rice.rule) == (Decimal("95"), "rice_net")
    meat = quote_line(index, "platinum", None, D, Line("M1", "鲜肉", Decimal("33.33")))
    assert (meat.net_price, meat.rule) == (Decimal("32.66"), "plat_all")
    none = quote_line(index, "bronze", None, D, Line("M1", "鲜肉", Decimal("33.33")))
    assert none.rule is None and none.net_price == Decimal("33.33") and "list price" in none.why
    with pytest.raises(DataError, match="negative"):
        quote_line(index, "gold", None, D, Line("M1", "鲜肉", Decimal("-1")))
