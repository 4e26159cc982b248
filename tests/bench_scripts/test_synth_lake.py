"""bench/synth_lake.py: the synthetic lake has the customers it claims (issue 28, item 2)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import duckdb
import pytest

# bench/ is a folder of scripts, not part of the package: load the module from its file
_SPEC = importlib.util.spec_from_file_location(
    "synth_lake_under_test", Path(__file__).parents[2] / "bench" / "synth_lake.py"
)
assert _SPEC is not None and _SPEC.loader is not None
sl = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(sl)


def _scalar(con: duckdb.DuckDBPyConnection, sql: str) -> object:
    row = con.execute(sql).fetchone()
    assert row is not None
    return row[0]


def test_every_customer_has_orders_in_a_small_lake_with_many_customers(tmp_path: Path) -> None:
    # 10 000 orders for 5 000 customers: skewed picks alone leave hundreds without orders
    rows = sl.build_lake(tmp_path, 50_000, customers=5_000)
    assert rows == {"customers": 5_000, "orders": 10_000, "order_lines": 50_000}
    con = duckdb.connect()
    customers = f"read_parquet('{tmp_path}/customers/*.parquet')"
    orders = f"read_parquet('{tmp_path}/orders/*.parquet')"
    assert _scalar(con, f"SELECT count(DISTINCT customer_id) FROM {customers}") == 5_000
    assert _scalar(con, f"SELECT count(DISTINCT customer_id) FROM {orders}") == 5_000
    orphans = f"SELECT count(*) FROM {orders} WHERE customer_id NOT IN (SELECT customer_id FROM {customers})"
    assert _scalar(con, orphans) == 0
    # still skewed: the busiest customer orders far more than the 2 of an even split
    busiest = f"SELECT max(n) FROM (SELECT count(*) AS n FROM {orders} GROUP BY customer_id)"
    assert int(str(_scalar(con, busiest))) >= 20


def test_the_default_size_has_ten_orders_per_customer_all_with_orders(tmp_path: Path) -> None:
    rows = sl.build_lake(tmp_path, 100_000)
    assert rows["customers"] == 2_000
    n = _scalar(
        duckdb.connect(),
        f"SELECT count(DISTINCT customer_id) FROM read_parquet('{tmp_path}/orders/*.parquet')",
    )
    assert n == 2_000


def test_skewed_picks_reach_more_than_a_million_customers() -> None:
    # the 100 M lake's 2 M customers: the old helper (10^6 distinct values) reached 911 923 of
    # them from these 4 M orders, and 928 320 from all 20 M
    con = duckdb.connect()
    con.execute("SET threads=2")
    pick = sl.customer_of_order("i", 2_000_000)
    reached = _scalar(con, f"SELECT count(DISTINCT {pick}) FROM range(2000000, 6000000) t(i)")
    assert int(str(reached)) > 1_500_000
    assert _scalar(
        con, f"SELECT min({pick}) >= 0 AND max({pick}) < 2000000 FROM range(0, 6000000) t(i)"
    )


def test_random_numbers_have_more_than_a_million_values() -> None:
    u = sl._u("i", 1)
    con = duckdb.connect()
    distinct, low, high = con.execute(
        f"SELECT count(DISTINCT {u}), min({u}), max({u}) FROM range(3000000) t(i)"
    ).fetchone() or (0, 0, 0)
    assert distinct == 3_000_000 and low >= 0 and high < 1


def test_the_lake_is_deterministic(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    sl.build_lake(a, 20_000)
    sl.build_lake(b, 20_000)
    con = duckdb.connect()
    for table in ("orders", "order_lines", "payments"):
        diff = (
            f"SELECT count(*) FROM (SELECT * FROM read_parquet('{a}/{table}/*.parquet') "
            f"EXCEPT ALL SELECT * FROM read_parquet('{b}/{table}/*.parquet'))"
        )
        assert _scalar(con, diff) == 0, table


def test_more_customers_than_orders_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="customers=30: expected 1 to 20"):
        sl.build_lake(tmp_path, 100, customers=30)
