"""Rows after as_of never count (R-FEA-8), for every table with an event time."""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from conftest import AS_OF, feature_rows, lake_rows
from tierwise.model.tables import TABLES
from tinylake import ts, write_lake

LATER = dt.date(2025, 7, 1)  # the day after as_of
LATE_TS = ts(2025, 7, 1, 0)  # the first instant after as_of

# one row per event table, dated just after as_of, that would change features if it counted
_LATE: dict[str, list[dict[str, Any]]] = {
    "customers": [{"customer_id": "late", "account_id": "A", "signup_date": LATER}],
    "orders": [{"order_id": "o9", "customer_id": "c1", "order_time": LATE_TS, "amount": 9999}],
    "returns": [
        {
            "return_id": "r9",
            "order_id": "o3",
            "customer_id": "c1",
            "return_time": LATE_TS,
            "amount": 3000,
        }
    ],
    "invoices": [
        {
            "invoice_id": "i9",
            "customer_id": "c1",
            "issue_date": LATER,
            "due_date": LATER,
            "amount": 7000,
        }
    ],
    "payments": [
        {
            "payment_id": "p9",
            "invoice_id": "i2",
            "customer_id": "c1",
            "paid_date": LATER,
            "amount": 500,
        }
    ],
    "tickets": [{"ticket_id": "t9", "customer_id": "c2", "created_time": LATE_TS}],
    "activity": [{"customer_id": "c2", "date": LATER, "logins": 50, "interactions": 9}],
    "credit": [{"customer_id": "c1", "report_date": LATER, "rating": "C", "legal_disputes": 7}],
}
_LATE_LINES = [{"order_id": "o9", "line_no": 1, "category": "水产", "amount": 9999, "cost": 1}]


def test_every_event_table_is_covered() -> None:
    assert set(_LATE) == {n for n, t in TABLES.items() if t.event_time}


@pytest.mark.parametrize("table", sorted(_LATE))
def test_rows_after_as_of_never_count(
    table: str, tmp_path: Path, outlet_rows: dict[str, dict[str, Any]]
) -> None:
    rows = copy.deepcopy(lake_rows())
    rows[table] = rows[table] + _LATE[table]
    if table == "orders":
        rows["order_lines"] = rows["order_lines"] + _LATE_LINES
    lake = write_lake(tmp_path / "lake", rows)
    assert feature_rows(lake) == outlet_rows


def test_the_same_rows_count_the_day_after(tmp_path: Path) -> None:
    """The late rows are real: graded one day later they do change the features."""
    rows = copy.deepcopy(lake_rows())
    for table, late in _LATE.items():
        rows[table] = rows[table] + late
    rows["order_lines"] = rows["order_lines"] + _LATE_LINES
    lake = write_lake(tmp_path / "lake", rows)
    before = feature_rows(lake, as_of=AS_OF)
    after = feature_rows(lake, as_of=LATER)
    assert "late" in after
    assert "late" not in before
    assert after["c1"]["orders_365d"] == before["c1"]["orders_365d"] + 1
    assert after["c1"]["legal_disputes"] == 7
