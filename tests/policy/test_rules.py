"""Rule expressions: whitelist parsing, checking, and the same answer in Ibis and Python."""

from __future__ import annotations

import ibis
import pyarrow as pa
import pytest

from tierwise.policy.names import name_types
from tierwise.policy.rules import Condition, Rule, RuleError

TYPES = name_types("labels")


@pytest.mark.parametrize(
    "text",
    [
        "open('x')",
        "orders_365d.real > 1",
        "[x for x in orders_365d]",
        "lambda: 1",
        "orders_365d ** 2 > 1",
        "orders_365d if True else 1",
        "orders_365d in (1, orders_90d)",
        "orders_365d > '3'",
        "channel + 1 > 2",
        "x > 1",
    ],
)
def test_rejected(text: str) -> None:
    with pytest.raises(RuleError):
        Rule(text, TYPES)


ROWS = [
    {
        "orders_365d": 7,
        "days_since_last_order": 40,
        "median_order_gap_days": 15.0,
        "channel": "online",
    },
    {
        "orders_365d": 7,
        "days_since_last_order": 20,
        "median_order_gap_days": 15.0,
        "channel": "retail",
    },
    {
        "orders_365d": 3,
        "days_since_last_order": 90,
        "median_order_gap_days": None,
        "channel": "online",
    },
    {
        "orders_365d": 9,
        "days_since_last_order": 31,
        "median_order_gap_days": None,
        "channel": "wholesale",
    },
]
CASES = {
    "days_since_last_order > 2 * median_order_gap_days and orders_365d >= 6": [
        True,
        False,
        False,
        False,
    ],
    "channel in ('online', 'retail') and not orders_365d < 5": [True, True, False, False],
    "channel not in ['online'] or 30 < days_since_last_order <= 40": [True, True, False, True],
    "-orders_365d + 10 >= 3 and (orders_365d / 7 == 1)": [True, True, False, False],
}


@pytest.mark.parametrize("text", sorted(CASES))
def test_ibis_and_python_agree(text: str) -> None:
    rule = Rule(text, TYPES)
    data = pa.Table.from_pylist(ROWS).cast(
        pa.schema(
            [
                ("orders_365d", pa.int64()),
                ("days_since_last_order", pa.int64()),
                ("median_order_gap_days", pa.float64()),
                ("channel", pa.string()),
            ]
        )
    )
    t = ibis.memtable(data)
    expr = t.select(ok=rule.to_ibis(lambda n: t[n]))
    got = ibis.duckdb.connect().to_pyarrow(expr)["ok"].to_pylist()
    assert got == CASES[text]
    assert [rule.evaluate(r) for r in ROWS] == CASES[text]


def test_names_and_conditions() -> None:
    rule = Rule("orders_per_month >= 8 and avg_order_value >= 800 and channel == 'x'", TYPES)
    assert rule.names == {"orders_per_month", "avg_order_value", "channel"}
    assert rule.conditions() == [
        Condition("orders_per_month", ">=", 8),
        Condition("avg_order_value", ">=", 800),
        Condition("channel", "==", "x"),
    ]
