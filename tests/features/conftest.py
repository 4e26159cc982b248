"""A tiny lake whose every feature was computed by hand (see test_values.py)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from tierwise.features.build import build_features
from tierwise.features.sources import all_tables, connect, open_lake
from tinylake import ts, write_lake

AS_OF = dt.date(2025, 6, 30)


def lake_rows() -> dict[str, list[dict[str, object]]]:
    """c1 and c2 belong to chain account A; c3 is a single store without orders."""
    return {
        "regions": [{"region_id": "510107", "delivery_cost": 12.5, "competition_index": 0.6}],
        "customers": [
            {
                "customer_id": "c1",
                "account_id": "A",
                "signup_date": dt.date(2024, 6, 30),
                "contract_amount": 120000,
                "channel": "online",
                "special_needs": "vip_service",
            },
            {
                "customer_id": "c2",
                "account_id": "A",
                "signup_date": dt.date(2025, 1, 1),
                "channel": "offline",
            },
            {"customer_id": "c3", "signup_date": dt.date(2025, 6, 1), "channel": "retail"},
        ],
        "orders": [
            {"order_id": "o1", "customer_id": "c1", "order_time": ts(2025, 3, 5), "amount": 1000},
            {"order_id": "o2", "customer_id": "c1", "order_time": ts(2025, 4, 10), "amount": 2000},
            {"order_id": "o3", "customer_id": "c1", "order_time": ts(2025, 6, 20), "amount": 3000},
            {
                "order_id": "o4",
                "customer_id": "c1",
                "order_time": ts(2025, 6, 30, 23),
                "amount": 500,
            },
            {"order_id": "o5", "customer_id": "c2", "order_time": ts(2025, 1, 15), "amount": 800},
        ],
        "order_lines": [
            {"order_id": "o1", "line_no": 1, "category": "火锅食材", "amount": 600, "cost": 400},
            {"order_id": "o1", "line_no": 2, "category": "川菜调料", "amount": 400, "cost": 300},
            {"order_id": "o2", "line_no": 1, "category": "火锅食材", "amount": 2000, "cost": 1500},
            {"order_id": "o3", "line_no": 1, "category": "速冻小吃", "amount": 3000, "cost": 2400},
            {"order_id": "o4", "line_no": 1, "category": "火锅食材", "amount": 500, "cost": 400},
            {"order_id": "o5", "line_no": 1, "category": "川菜调料", "amount": 800, "cost": 600},
        ],
        "returns": [
            {
                "return_id": "r1",
                "order_id": "o2",
                "customer_id": "c1",
                "return_time": ts(2025, 4, 12),
                "amount": 650,
            },
        ],
        "invoices": [
            {
                "invoice_id": "i1",
                "customer_id": "c1",
                "issue_date": dt.date(2025, 3, 31),
                "due_date": dt.date(2025, 4, 30),
                "amount": 1000,
            },
            {
                "invoice_id": "i2",
                "customer_id": "c1",
                "issue_date": dt.date(2025, 4, 30),
                "due_date": dt.date(2025, 5, 31),
                "amount": 2000,
            },
            {
                "invoice_id": "i3",
                "customer_id": "c1",
                "issue_date": dt.date(2025, 6, 20),
                "due_date": dt.date(2025, 7, 20),
                "amount": 3000,
            },
        ],
        "payments": [
            {
                "payment_id": "p1",
                "invoice_id": "i1",
                "customer_id": "c1",
                "paid_date": dt.date(2025, 4, 28),
                "amount": 1000,
            },
            {
                "payment_id": "p2",
                "invoice_id": "i2",
                "customer_id": "c1",
                "paid_date": dt.date(2025, 6, 10),
                "amount": 1500,
            },
        ],
        "tickets": [
            {
                "ticket_id": "t1",
                "customer_id": "c1",
                "created_time": ts(2025, 4, 11),
                "kind": "complaint",
            },
            {
                "ticket_id": "t2",
                "customer_id": "c1",
                "created_time": ts(2025, 5, 1),
                "kind": "inquiry",
            },
        ],
        "activity": [
            {"customer_id": "c1", "date": dt.date(2025, 6, 29), "logins": 3, "interactions": 1},
            {"customer_id": "c1", "date": dt.date(2025, 5, 1), "logins": 6, "interactions": 2},
        ],
        "credit": [
            {
                "customer_id": "c1",
                "report_date": dt.date(2025, 1, 1),
                "rating": "AA",
                "legal_disputes": 0,
            },
            {
                "customer_id": "c1",
                "report_date": dt.date(2025, 6, 1),
                "rating": "BB",
                "legal_disputes": 1,
            },
            {
                "customer_id": "c2",
                "report_date": dt.date(2025, 2, 1),
                "rating": "A",
                "legal_disputes": 2,
            },
        ],
    }


@pytest.fixture(scope="module")
def tiny_lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_lake(tmp_path_factory.mktemp("tiny") / "lake", lake_rows())


def feature_rows(
    lake: Path, entity: str = "outlet", as_of: dt.date = AS_OF
) -> dict[str, dict[str, Any]]:
    """Every feature of every entity as of ``as_of``, by entity id."""
    con = connect()
    expr = build_features(open_lake(con, lake, all_tables()), as_of, entity=entity)
    return {r["entity_id"]: r for r in con.to_pyarrow(expr).to_pylist()}


@pytest.fixture(scope="module")
def outlet_rows(tiny_lake: Path) -> dict[str, dict[str, Any]]:
    return feature_rows(tiny_lake)
