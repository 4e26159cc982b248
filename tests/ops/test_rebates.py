"""The rebate dry run (R-OPS-3, issue 21 item 2): cost per tier from recent orders."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from tierwise.errors import DataError
from tierwise.ops.benefits.rebates import beside_realised, dry_run, recent_spend
from tinylake import small_book


def test_the_cost_per_tier_is_the_percent_of_the_window_spend(tmp_path: Path) -> None:
    lake = small_book(tmp_path / "lake")  # c<i>: 6 i orders of 900 i yuan, every 5 days
    # the 30 days to 2025-06-25 inclusive hold 6 orders of each customer who orders
    spend = recent_spend(lake, dt.date(2025, 5, 27), dt.date(2025, 6, 26))
    assert spend == {f"c{i}": Decimal(6 * 900 * i) for i in range(1, 6)}
    tiers = {"c0": "silver", "c1": "silver", "c4": "platinum", "c5": "platinum", "c9": "gold"}
    rows = dry_run(spend, tiers, {"platinum": Decimal(2), "gold": Decimal("1.5")})
    by = {r.tier: r for r in rows}
    assert by["platinum"].spend == Decimal(6 * 900 * 9) and by["platinum"].cost == Decimal("972.00")
    assert (by["platinum"].customers, by["platinum"].buyers) == (2, 2)
    assert (by["gold"].customers, by["gold"].buyers, by["gold"].cost) == (1, 0, Decimal("0.00"))


@pytest.mark.parametrize("pct", ["0", "101", "-2"])
def test_a_percent_outside_0_100_is_refused(pct: str) -> None:
    with pytest.raises(DataError, match=r"is not in \(0, 100\]"):
        dry_run({}, {}, {"platinum": Decimal(pct)})


def test_the_realised_cost_sits_beside_each_tier() -> None:
    rows = dry_run(
        {"a": Decimal(1000), "b": Decimal(500)},
        {"a": "platinum", "b": "gold"},
        {"platinum": Decimal(2), "gold": Decimal(1)},
    )
    ledger = [  # two periods, paid and accrued, an adjustment: every row counts
        {"tier": "platinum", "amount": Decimal("12.00")},
        {"tier": "platinum", "amount": Decimal("8.00")},
        {"tier": "platinum", "amount": Decimal("-4.00")},
        {"tier": None, "amount": Decimal("99.00")},
    ]
    by = {b.dry.tier: b for b in beside_realised(rows, ledger)}
    assert by["platinum"].realised == Decimal("16.00") and by["platinum"].gap == Decimal("0.25")
    assert by["gold"].realised == Decimal("0.00") and by["gold"].gap is None
