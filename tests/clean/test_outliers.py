"""Outlier flags: refund spikes and large refunds, bursts of small orders (R-DAT-3)."""

from __future__ import annotations

from datetime import datetime, timedelta

import duckdb
import pandas as pd

from tierwise.clean.outliers import order_brushing, refund_outliers


def _con() -> duckdb.DuckDBPyConnection:
    start = datetime(2025, 1, 1, 10)
    orders, returns = [], []
    for c in range(20):  # 20 customers ordering every 3 days, about 300 yuan
        for k in range(40):
            orders.append(
                (f"O{c}-{k}", f"C{c}", start + timedelta(days=3 * k, hours=c % 5), 300.0 + k)
            )
    for c in range(20):  # ordinary small refunds, a few per customer
        for k in range(0, 40, 10):
            returns.append(
                (f"R{c}-{k}", f"O{c}-{k}", f"C{c}", start + timedelta(days=3 * k + 1), 20.0 + c)
            )
    for k in (20, 21, 22):  # C1: three orders refunded in full within a week: a spike
        returns.append((f"RS{k}", f"O1-{k}", "C1", start + timedelta(days=3 * k + 1), 300.0 + k))
    for i in range(15):  # C2: 15 tiny orders minutes apart: brushing
        orders.append((f"B{i}", "C2", start + timedelta(days=50, minutes=3 * i), 9.9))
    con = duckdb.connect()
    con.register(
        "o", pd.DataFrame(orders, columns=["order_id", "customer_id", "order_time", "amount"])
    )
    con.register(
        "r",
        pd.DataFrame(
            returns, columns=["return_id", "order_id", "customer_id", "return_time", "amount"]
        ),
    )
    con.execute("CREATE TABLE orders AS SELECT * FROM o")
    con.execute("CREATE TABLE returns AS SELECT * FROM r")
    con.execute(
        "CREATE TABLE customers AS SELECT DISTINCT customer_id, DATE '2024-01-01' AS signup_date, "
        "NULL::VARCHAR AS phone FROM o"
    )
    con.execute(
        "CREATE TABLE customer_links AS SELECT customer_id AS source_id, customer_id, "
        "1.0 AS match_probability, 1 AS cluster_size FROM customers"
    )
    return con


def test_a_refund_spike_is_flagged_and_ordinary_refunds_are_not() -> None:
    flags = refund_outliers(_con()).to_pylist()
    spike = {f["entity_id"] for f in flags if f["rule"] == "spike"}
    assert spike == {"RS20", "RS21", "RS22"}
    assert all(f["customer_id"] == "C1" for f in flags)
    for f in flags:
        if f["rule"] == "spike":
            assert f["reason"].startswith(
                "spike: 3 refunds of at least 80% of their order within 21 days"
            )


def test_a_burst_of_small_orders_is_flagged() -> None:
    flags = order_brushing(_con()).to_pylist()
    assert {f["entity_id"] for f in flags} == {f"B{i}" for i in range(15)}
    assert flags[0]["reason"].startswith("15 small orders within 24 h")
