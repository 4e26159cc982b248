"""Window metrics of outlets read from the lake: margin, returns, complaints, overdue."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from tierwise.experiments.metrics import window_metrics
from tinylake import ts, write_lake


def test_window_metrics_count_only_the_window(tmp_path: Path) -> None:
    lake = write_lake(
        tmp_path / "lake",
        {
            "customers": [{"customer_id": "a"}, {"customer_id": "b"}],
            "orders": [
                {"order_id": "o1", "customer_id": "a", "order_time": ts(2026, 3, 2), "amount": 100},
                {"order_id": "o2", "customer_id": "a", "order_time": ts(2026, 4, 2), "amount": 50},
                {"order_id": "o3", "customer_id": "b", "order_time": ts(2026, 3, 31), "amount": 80},
            ],
            "order_lines": [
                {"order_id": "o1", "amount": 100, "cost": 70},
                {"order_id": "o2", "amount": 50, "cost": 10},
                {"order_id": "o3", "amount": 80, "cost": 60},
            ],
            "returns": [
                {
                    "return_id": "r1",
                    "order_id": "o1",
                    "customer_id": "a",
                    "return_time": ts(2026, 3, 5),
                    "amount": 12,
                },
            ],
            "tickets": [
                {"ticket_id": "t1", "customer_id": "b", "created_time": ts(2026, 3, 9)},
                {
                    "ticket_id": "t2",
                    "customer_id": "b",
                    "created_time": ts(2026, 3, 9),
                    "kind": "inquiry",
                },
            ],
            "invoices": [
                {
                    "invoice_id": "i1",
                    "customer_id": "a",
                    "issue_date": dt.date(2026, 3, 1),
                    "due_date": dt.date(2026, 3, 20),
                    "amount": 100,
                },
                {
                    "invoice_id": "i2",
                    "customer_id": "b",
                    "issue_date": dt.date(2026, 3, 1),
                    "due_date": dt.date(2026, 3, 20),
                    "amount": 80,
                },
            ],
            "payments": [
                {
                    "payment_id": "p1",
                    "invoice_id": "i1",
                    "customer_id": "a",
                    "paid_date": dt.date(2026, 3, 19),
                    "amount": 60,
                },
                {
                    "payment_id": "p2",
                    "invoice_id": "i2",
                    "customer_id": "b",
                    "paid_date": dt.date(2026, 3, 18),
                    "amount": 80,
                },
            ],
        },
    )
    m = window_metrics(lake, dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    assert m.loc["a"].to_dict() == pytest.approx(
        {"spend": 100, "orders": 1, "margin": 30, "returns": 12, "complaints": 0, "overdue": 40}
    )
    assert m.loc["b"].to_dict() == pytest.approx(
        {"spend": 80, "orders": 1, "margin": 20, "returns": 0, "complaints": 1, "overdue": 0}
    )
