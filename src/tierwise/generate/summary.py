"""What a generated book holds, in numbers a person checks at a glance (the demo summary)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds

from tierwise.lake import require_table


@dataclass
class BookSummary:
    """Counts of a book: customers by type, province and channel; orders per month; dirt."""

    customers_by_type: dict[str, int]
    customers_by_province: dict[str, int]
    customers_by_channel: dict[str, int]
    orders_per_month: dict[str, int]
    revenue_per_month: dict[str, float]
    orders: int
    order_lines: int
    dirt: dict[str, int] = field(default_factory=dict)


def _counts(values: pa.ChunkedArray) -> dict[str, int]:
    vc = pc.value_counts(values)
    pairs = zip(vc.field("values").to_pylist(), vc.field("counts").to_pylist(), strict=True)
    return dict(sorted(pairs, key=lambda kv: (-kv[1], str(kv[0]))))


def summarize(
    customers: pa.Table, orders: pa.Table, order_lines: int, manifest: dict[str, Any]
) -> BookSummary:
    """Summarise a book from its customers and orders tables and its manifest.

    Parameters
    ----------
    customers, orders:
        The lake tables (orders needs only ``order_time`` and ``amount``).
    order_lines:
        Number of order lines.
    manifest:
        The ground-truth manifest (its ``defect_counts``, refund spikes and brushing bursts).
    """
    # strftime is slow on millions of rows; year * 100 + month is not.
    ym = pc.add(pc.multiply(pc.year(orders["order_time"]), 100), pc.month(orders["order_time"]))
    grouped = pa.table({"month": ym, "amount": pc.cast(orders["amount"], pa.float64())}).group_by(
        "month"
    )
    agg = grouped.aggregate([("amount", "count"), ("amount", "sum")]).sort_by("month")
    months = [f"{m // 100}-{m % 100:02d}" for m in agg["month"].to_pylist()]
    dirt = dict(manifest.get("defect_counts", {}))
    dirt["refund_spike (customers)"] = len(manifest.get("refund_spikes", []))
    dirt["order_brushing (customers)"] = len(manifest.get("order_brushing", []))
    return BookSummary(
        customers_by_type=_counts(customers["business_type"]),
        customers_by_province=_counts(customers["province"]),
        customers_by_channel=_counts(customers["channel"]),
        orders_per_month=dict(zip(months, agg["amount_count"].to_pylist(), strict=True)),
        revenue_per_month=dict(zip(months, agg["amount_sum"].to_pylist(), strict=True)),
        orders=orders.num_rows,
        order_lines=order_lines,
        dirt=dirt,
    )


def read_summary(out: Path) -> BookSummary:
    """Read a generated book under ``out`` (lake/ and truth/manifest.json) and summarise it."""
    lake = out / "lake"
    customers = ds.dataset(require_table(lake, "customers")).to_table()
    orders = ds.dataset(require_table(lake, "orders")).to_table(columns=["order_time", "amount"])
    lines = ds.dataset(require_table(lake, "order_lines")).count_rows()
    manifest_path = out / "truth" / "manifest.json"
    manifest = (
        json.loads(manifest_path.read_text(encoding="utf-8")) if manifest_path.exists() else {}
    )
    return summarize(customers, orders, lines, manifest)
