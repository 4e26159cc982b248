"""Per-tier evaluation metrics (R-ANA-6): golden numbers worked out by hand on a tiny lake."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pytest

from tierwise.analytics.lakeio import open_tables
from tierwise.analytics.metrics import FEATURES, tier_metrics
from tinylake import ts, write_lake

AS_OF = dt.date(2025, 6, 30)


@pytest.fixture
def lake(tmp_path: Path) -> Path:
    return write_lake(
        tmp_path / "lake",
        {
            "customers": [{"customer_id": c} for c in ("a", "b", "c")],
            "orders": [
                {"customer_id": "a", "order_time": ts(2025, 6, 10), "amount": 100},
                {"customer_id": "a", "order_time": ts(2025, 5, 10), "amount": 300},
                # after as_of: never counts
                {"customer_id": "a", "order_time": ts(2025, 7, 5), "amount": 1000},
                {"customer_id": "b", "order_time": ts(2025, 4, 15), "amount": 200},
                # before the 90-day lookback (starts 2025-04-02): not in spend
                {"customer_id": "b", "order_time": ts(2024, 12, 1), "amount": 500},
                {"customer_id": "c", "order_time": ts(2025, 6, 1), "amount": 50},
            ],
            "returns": [
                {
                    "return_id": "r1",
                    "customer_id": "a",
                    "order_id": "O0",
                    "return_time": ts(2025, 6, 12),
                    "amount": 40,
                },
                {
                    "return_id": "r2",
                    "customer_id": "c",
                    "order_id": "O5",
                    "return_time": ts(2025, 6, 2),
                    "amount": 10,
                },
                {
                    "return_id": "r3",
                    "customer_id": "c",
                    "order_id": "O5",
                    "return_time": ts(2025, 7, 2),
                    "amount": 30,
                },
            ],
            "tickets": [
                {"ticket_id": "t1", "customer_id": "a", "created_time": ts(2025, 6, 15)},
                {"ticket_id": "t2", "customer_id": "b", "created_time": ts(2025, 7, 2)},
                {"ticket_id": "t3", "customer_id": "c", "created_time": ts(2025, 6, 3)},
                {"ticket_id": "t4", "customer_id": "c", "created_time": ts(2025, 6, 4)},
                {
                    "ticket_id": "t5",
                    "customer_id": "c",
                    "created_time": ts(2025, 6, 5),
                    "kind": "inquiry",
                },
            ],
        },
    )


def test_golden_numbers(lake: Path) -> None:
    assigned = pa.table({"entity_id": ["a", "b", "c"], "tier": ["gold", "gold", "silver"]})
    rows = tier_metrics(
        open_tables(lake, FEATURES),
        assigned,
        AS_OF,
        lookback_days=90,
        ranks={"gold": 0, "silver": 1},
    )
    gold, silver = rows
    assert (gold.tier, gold.customers, silver.tier, silver.customers) == ("gold", 2, "silver", 1)
    assert gold.share == pytest.approx(2 / 3) and silver.share == pytest.approx(1 / 3)
    # gold: a 2 orders 400 yuan (May and June: repurchase 2/2), b 1 order 200 yuan (April of
    # April..June: 1/3); a's July order, b's 2024 order and b's July complaint do not count
    assert (gold.orders, gold.spend) == (3, pytest.approx(600.0))
    assert gold.repurchase_rate == pytest.approx((1 + 1 / 3) / 2)
    assert gold.avg_order_value == pytest.approx(200.0)
    assert gold.arpu == pytest.approx(300.0)
    assert gold.return_rate == pytest.approx(40 / 600)
    assert gold.complaint_rate == pytest.approx(1 / 3)
    # silver: c 1 order of 50, a return of 10 (the July one does not count), 2 complaints
    # (the inquiry is not one)
    assert silver.avg_order_value == pytest.approx(50.0)
    assert silver.repurchase_rate == pytest.approx(1.0)
    assert silver.return_rate == pytest.approx(0.2)
    assert silver.complaint_rate == pytest.approx(2.0)


def test_a_later_as_of_counts_the_later_rows(lake: Path) -> None:
    """The same lake as of 2025-07-31 sees a's July order and c's July return."""
    assigned = pa.table({"entity_id": ["a", "c"], "tier": ["gold", "silver"]})
    gold, silver = tier_metrics(
        open_tables(lake, FEATURES),
        assigned,
        dt.date(2025, 7, 31),
        lookback_days=90,
        ranks={"gold": 0, "silver": 1},
    )
    assert gold.spend == pytest.approx(1400.0) and gold.orders == 3
    assert silver.return_rate == pytest.approx(40 / 50)


def test_a_tier_without_orders_has_no_ratios(lake: Path) -> None:
    assigned = pa.table({"entity_id": ["zz"], "tier": ["bronze"]})
    (row,) = tier_metrics(open_tables(lake, FEATURES), assigned, AS_OF, lookback_days=90)
    assert (row.customers, row.share, row.orders) == (1, 1.0, 0)
    assert row.avg_order_value is None and row.return_rate is None and row.complaint_rate is None
    assert row.arpu == 0.0 and row.repurchase_rate == 0.0
