"""Other sources: Excel, Parquet, a SQL database; strict mapping files (R-DAT-2)."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from helpers_ingest import NOW, load_one
from openpyxl import Workbook

from tierwise.errors import ConfigError, DataError
from tierwise.ingest.mapping import default_mapping, load_mapping
from tierwise.ingest.run import ingest_sql
from tierwise.model.tables import TABLES

DATA = Path(__file__).resolve().parent.parent / "data" / "ingest"
HEAD = ["订单编号", "客户编号", "下单时间", "下单渠道", "订单金额"]


def test_excel_sheet_with_date_cells_and_numbers(home: Path, tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "订单"
    ws.append(HEAD)
    ws.append(["O1", "C1", datetime(2025, 3, 5, 14, 3), "online", 1234.5])
    ws.append(["O2", "C1", "2025年3月5日 14:03", "offline", "￥12.00"])
    ws.append(["O3", "C1", "not a date", "online", 1])
    f = tmp_path / "orders.xlsx"
    wb.save(f)
    landed = load_one(home, f, table="orders")
    assert landed.lake.column("order_id").to_pylist() == ["O1", "O2"]
    assert [str(a) for a in landed.lake.column("amount").to_pylist()] == ["1234.50", "12.00"]
    (bad,) = landed.quarantine.to_pylist()
    assert bad["row"] == 4 and bad["column"] == "order_time"


def test_excel_without_the_named_sheet_lists_the_sheets(tmp_path: Path, home: Path) -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Sheet1"
    ws.append(["x"])
    f = tmp_path / "customers.xlsx"
    wb.save(f)
    with pytest.raises(DataError, match="has no sheet '客户档案'; its sheets are: Sheet1"):
        load_one(home, f)


def test_parquet_source_typed_columns(home: Path, tmp_path: Path) -> None:
    t = pa.table(
        {
            "order_id": ["O1", "O2"],
            "customer_id": ["C1", "C2"],
            "order_time": pa.array([datetime(2025, 3, 5, 14, 3), datetime(2031, 1, 1)]),
            "channel": ["online", "retail"],
            "amount": pa.array([12.5, 3.0]),
        }
    )
    f = tmp_path / "orders.parquet"
    pq.write_table(t, f)
    landed = load_one(home, f, table="orders")
    assert landed.lake.column("order_id").to_pylist() == ["O1"]
    assert "in the future" in landed.reasons()[0]


def test_sql_database_through_a_sqlalchemy_url(home: Path, tmp_path: Path) -> None:
    db = tmp_path / "erp.sqlite"
    with sqlite3.connect(db) as con:
        con.execute(
            "CREATE TABLE dingdan (订单编号 TEXT, 客户编号 TEXT, 下单时间 TEXT, 下单渠道 TEXT, 订单金额 REAL)"
        )
        con.executemany(
            "INSERT INTO dingdan VALUES (?, ?, ?, ?, ?)",
            [
                ("O1", "C1", "2025-03-05 14:03:00", "online", 10.5),
                ("O2", None, "2025-03-05", "online", 1),
            ],
        )
    run = ingest_sql(
        f"sqlite:///{db}",
        "dingdan",
        "orders",
        default_mapping(),
        raw=home / "raw",
        home=home,
        now=NOW,
    )
    (res,) = run.loads
    assert (res.rows_in, res.rows_loaded, res.rows_quarantined) == (2, 1, 1)
    assert res.problems == {"customer_id: missing value": 1}


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("bad_unknown_key.yaml", "sources.0.encodingg: Extra inputs are not permitted"),
        ("bad_unknown_table.yaml", "unknown table 'order'"),
        ("bad_unknown_column.yaml", "has no column 'amout' (did you mean 'amount'?)"),
        ("bad_limits.yaml", "limits.max_amount: Input should be a valid decimal"),
    ],
)
def test_mapping_files_are_validated_strictly(name: str, message: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_mapping(DATA / name)
    assert message in str(err.value)
    assert name in str(err.value)


def test_the_shipped_mapping_covers_every_table() -> None:
    m = default_mapping()
    assert sorted(s.table for s in m.sources) == sorted(TABLES)
