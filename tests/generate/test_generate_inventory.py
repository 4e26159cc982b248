"""Inventory snapshots, purchase orders and receipts of the book (issue 15, R-OPS-9 data).

The stock ledger must agree with the order lines (the lake alone reconstructs every month-end
count), with the stock-outs (a stock-out day opens with an empty warehouse) and with the
suppliers' lead times; the tables load through `tierwise ingest` from CSV and from Excel.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from inventory_checks import check_counts, check_receipts, check_stockouts
from tierwise.generate import GenerateResult
from tierwise.ingest.mapping import Mapping, default_mapping
from tierwise.ingest.run import ingest
from tierwise.model.tables import TABLES


def test_month_end_counts_follow_from_receipts_and_order_lines(book: GenerateResult) -> None:
    check_counts(book.out)


def test_a_stockout_day_opens_with_an_empty_warehouse(book: GenerateResult) -> None:
    check_stockouts(book.out)


def test_receipts_arrive_after_the_suppliers_lead_time(book: GenerateResult) -> None:
    check_receipts(book.out)


def test_the_inventory_exports_ingest_from_csv(book: GenerateResult, tmp_path: Path) -> None:
    exports = book.out / "exports"
    mapping = default_mapping()
    keep = {"products", "purchase_orders", "receipts", "inventory_snapshots"}
    mapping = mapping.model_copy(
        update={"sources": [s for s in mapping.sources if s.table in keep]}
    )
    run = ingest(exports, mapping, raw=tmp_path / "raw", home=tmp_path, now=dt.datetime(2027, 1, 1))
    loaded = {r.table: (r.rows_loaded, r.rows_quarantined) for r in run.loads}
    for name in keep - {"products"}:
        assert loaded[name] == (book.rows[name], 0)
        header = (exports / f"{name}.csv").read_text(encoding="utf-8").splitlines()[0]
        assert header.replace('"', "").split(",")[:2] == [c.zh for c in TABLES[name].columns[:2]]


def test_purchase_orders_ingest_from_excel(
    book: GenerateResult, read: Callable[[str], pa.Table], tmp_path: Path
) -> None:
    """An ERP's Excel export of purchase orders with Chinese headers, under a title row."""
    po = read("purchase_orders").slice(0, 200)
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "采购订单"
    ws.append(["采购订单导出 2026-10"])
    ws.append([TABLES["purchase_orders"].column(c).zh for c in po.column_names])
    for row in po.to_pylist():
        ws.append(list(row.values()))
    src = tmp_path / "src"
    src.mkdir()
    wb.save(src / "采购订单.xlsx")
    (src / "products.csv").write_bytes((book.out / "exports" / "products.csv").read_bytes())
    mapping = Mapping.model_validate(
        {
            "sources": [
                {"file": "products.csv", "table": "products"},
                {"file": "采购订单.xlsx", "table": "purchase_orders", "sheet": "采购订单",
                 "header_row": 2},
            ]
        }
    )  # fmt: skip
    run = ingest(src, mapping, raw=tmp_path / "raw", home=tmp_path, now=dt.datetime(2027, 1, 1))
    loaded = {r.table: (r.rows_loaded, r.rows_quarantined) for r in run.loads}
    assert loaded["purchase_orders"] == (200, 0)
    lake = pq.ParquetDataset(tmp_path / "raw" / "purchase_orders").read()
    assert sorted(lake["po_id"].to_pylist()) == sorted(po["po_id"].to_pylist())


@pytest.mark.parametrize("name", ["inventory_snapshots", "purchase_orders", "receipts"])
def test_declared_with_chinese_labels(name: str, read: Callable[[str], pa.Table]) -> None:
    table = TABLES[name]
    assert table.zh and all(c.zh for c in table.columns)
    assert read(name).column_names == list(table.names)
