"""Build tiny lakes for tests: rows as dicts, defaults for the columns a test does not care about."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa

from tierwise.lake import write_parquet_atomic
from tierwise.model.arrow import arrow_schema
from tierwise.model.tables import TABLES

_DEFAULTS: dict[str, dict[str, Any]] = {
    "customers": {
        "account_name": "某餐饮有限公司",
        "name": "门店",
        "business_type": "single",
        "cuisine": "川菜",
        "scale": "medium",
        "province": "四川省",
        "city": "成都市",
        "district": "武侯区",
        "address": "人民南路1号",
        "region_id": "510107",
        "channel": "online",
        "signup_date": dt.date(2023, 1, 1),
        "contract_amount": None,
        "payment_terms": "monthly",
        "credit_limit": Decimal("10000"),
        "account_manager": "am1",
        "contact_name": "张三",
        "phone": "13800000000",
        "special_needs": None,
    },
    "orders": {"channel": "online"},
    "order_lines": {"line_no": 1, "sku": "SKU1", "category": "火锅食材", "quantity": 1.0},
    "regions": {"province": "四川省", "city": "成都市", "district": "武侯区"},
    "returns": {"reason": "quality"},
    "tickets": {"kind": "complaint", "severity": 1, "topic": "quality"},
    "activity": {"interactions": 0},
    "credit": {"rating": "A", "legal_disputes": 0},
}


def _money(v: Any) -> Any:
    return None if v is None else Decimal(str(v)).quantize(Decimal("0.01"))


def arrow_rows(name: str, rows: list[dict[str, Any]]) -> pa.Table:
    """Rows of canonical table ``name`` (missing columns take test defaults) as Arrow."""
    t = TABLES[name]
    full = []
    for i, r in enumerate(rows):
        row = {**_DEFAULTS.get(name, {}), **r}
        if name == "customers":
            row.setdefault("account_id", row["customer_id"])
        if name == "order_lines":
            row.setdefault("unit_price", row.get("amount"))
            row.setdefault("cost", 0)
        if name == "orders":
            row.setdefault("order_id", f"O{i}")
        for c in t.columns:
            if c.type == "money" and c.name in row:
                row[c.name] = _money(row[c.name])
        full.append({c.name: row.get(c.name) for c in t.columns})
    return pa.Table.from_pylist(full, schema=arrow_schema(t))


def write_lake(lake: Path, tables: dict[str, list[dict[str, Any]]], *, only: bool = False) -> Path:
    """Write each table's rows into ``lake`` in the canonical layout; every other canonical
    table is written with no rows (a book whose other exports are empty, so every feature is
    available), unless ``only`` (a book that lacks them: their features are unavailable)."""
    for name in TABLES:
        if name in tables or not only:
            write_parquet_atomic(
                arrow_rows(name, tables.get(name, [])), lake / name / "part-0.parquet"
            )
    return lake


def ts(y: int, m: int, d: int, h: int = 10) -> dt.datetime:
    return dt.datetime(y, m, d, h)


def small_book(lake: Path, customers: int = 6) -> Path:
    """A lake where customer ``c<i>`` placed ``6 i`` orders of ``900 i`` yuan, every 5 days up
    to 2025-06-25 (``c0`` never ordered): enough history to grade as of 2025-06-30."""
    rows = [{"customer_id": f"c{i}"} for i in range(customers)]
    orders = [
        {
            "order_id": f"o{i}-{k}",
            "customer_id": f"c{i}",
            "order_time": ts(2025, 6, 25) - dt.timedelta(days=5 * k),
            "amount": 900 * i,
        }
        for i in range(1, customers)
        for k in range(6 * i)
    ]
    return write_lake(lake, {"customers": rows, "orders": orders})
