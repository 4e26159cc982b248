"""The world's window has its own inventory, purchase orders and receipts (issue 15)."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest

from inventory_checks import check_counts, check_receipts, check_stockouts
from tierwise.world import parse_plan, simulate


@pytest.fixture(scope="module")
def window(book: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("world-inventory")
    plan = {"start": "2026-11-01", "days": 60, "seed": 5, "arms": []}
    simulate(book, parse_plan(plan), out)
    return out


def test_the_window_stock_follows_its_order_lines(window: Path) -> None:
    check_counts(window)
    check_stockouts(window)
    check_receipts(window)


def test_the_window_inventory_is_in_the_lake_exports_and_truth(window: Path) -> None:
    po = pq.read_table(window / "lake" / "purchase_orders")
    assert po.num_rows > 0
    assert min(po["expected_date"].to_pylist()).isoformat() >= "2026-11-01"
    assert all(p.startswith("PO20261101-") for p in po["po_id"].to_pylist())
    mapping = (window / "exports" / "mapping.yaml").read_text(encoding="utf-8")
    assert mapping.index("purchase_orders.csv") < mapping.index("receipts.csv")
    assert "inventory_snapshots.csv" in mapping
    truth = pq.read_table(window / "truth" / "inventory.parquet")
    assert {"demand", "lost", "shipped", "closing", "stockout"} <= set(truth.column_names)
