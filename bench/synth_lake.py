"""A synthetic lake in the canonical schema, generated with DuckDB SQL (range-based, fast).

Sizes scale with the number of order lines: 5 lines per order, 10 orders per customer on
average (skewed: a few customers order a lot), two years of history before ``AS_OF``,
6 invoices and about 5.4 payments per customer, one credit report per customer.

Every customer of the customers table has at least one order: the first ``customers``
orders go one to each customer, the others to skewed picks. The random numbers have 2^52
distinct values (issue 28: a helper with 10^6 values left 1 071 680 of the 2 M customers of
the 100 M lake without orders).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

AS_OF = dt.date(2025, 6, 30)
LINES_PER_ORDER = 5
ORDERS_PER_CUSTOMER = 10
CATEGORIES = ("火锅食材", "川菜调料", "速冻小吃", "鲜肉", "蔬菜", "水产", "粮油", "冻品")


# 2^52 distinct values: exact in a DOUBLE, and enough for any number of customers
_RESOLUTION = 2**52


def _u(expr: str, salt: int) -> str:
    """A deterministic uniform number in [0, 1) from an integer expression."""
    return f"((hash({expr}, {salt}) % {_RESOLUTION}) / {float(_RESOLUTION)!r})"


def customer_of_order(order: str, n_cust: int) -> str:
    """The index of the customer placing order ``order`` (SQL integer expression).

    Orders ``0 .. n_cust - 1`` go one to each customer, so every customer has an order;
    the others are skewed towards low indices (a few customers order a lot).
    """
    skewed = f"CAST(floor(pow({_u(order, 2)}, 1.7) * {n_cust}) AS BIGINT)"
    return f"(CASE WHEN {order} < {n_cust} THEN {order} ELSE least({skewed}, {n_cust - 1}) END)"


def build_lake(
    lake: Path, order_lines: int, *, threads: int = 2, customers: int | None = None
) -> dict[str, int]:
    """Write customers, orders, order_lines, invoices, payments, credit into ``lake``.

    ``customers`` defaults to one per ``ORDERS_PER_CUSTOMER`` orders; it may not exceed the
    number of orders (every customer has at least one).
    """
    import duckdb  # here, not at the top: bench_grading's peers import AS_OF only

    n_orders = max(order_lines // LINES_PER_ORDER, 1)
    n_cust = max(n_orders // ORDERS_PER_CUSTOMER, 1) if customers is None else customers
    if not 1 <= n_cust <= n_orders:
        raise ValueError(f"customers={n_cust}: expected 1 to {n_orders} (one order each at least)")
    con = duckdb.connect()
    con.execute(f"SET threads={threads}; SET preserve_insertion_order=false")
    for t in ("customers", "orders", "order_lines", "invoices", "payments", "credit"):
        (lake / t).mkdir(parents=True, exist_ok=True)
    cats = "[" + ", ".join(f"'{c}'" for c in CATEGORIES) + "]"
    asof = f"DATE '{AS_OF}'"
    con.execute(f"""
    COPY (
      SELECT 'C' || lpad(i::VARCHAR, 9, '0') AS customer_id,
             'A' || lpad((CASE WHEN i % 10 < 3 THEN i // 20 ELSE i END)::VARCHAR, 9, '0') AS account_id,
             '某餐饮有限公司' AS account_name, '门店' || i AS name,
             CASE WHEN i % 10 < 3 THEN 'chain' ELSE 'single' END AS business_type,
             (['川菜', '火锅', '粤菜', '湘菜'])[1 + i % 4] AS cuisine,
             (['small', 'medium', 'large'])[1 + i % 3] AS scale,
             '四川省' AS province, '成都市' AS city, '武侯区' AS district, '人民南路' AS address,
             '510107' AS region_id,
             (['online', 'offline', 'wholesale', 'retail'])[1 + i % 4] AS channel,
             ({asof} - CAST(floor({_u("i", 1)} * 1500) AS INTEGER)) AS signup_date,
             CAST(NULL AS DECIMAL(18,2)) AS contract_amount, 'monthly' AS payment_terms,
             CAST(10000 AS DECIMAL(18,2)) AS credit_limit, 'am1' AS account_manager,
             '张三' AS contact_name, '13800000000' AS phone, CAST(NULL AS VARCHAR) AS special_needs
      FROM range({n_cust}) t(i)
    ) TO '{lake}/customers/part-0.parquet' (FORMAT parquet)""")
    # order i belongs to a skewed customer; order_time within two years before as_of
    con.execute(f"""
    COPY (
      SELECT 'O' || i AS order_id,
             'C' || lpad({customer_of_order("i", n_cust)}::VARCHAR, 9, '0') AS customer_id,
             CAST({asof} AS TIMESTAMP) + INTERVAL 1 DAY
               - to_microseconds(CAST(floor({_u("i", 3)} * 730 * 86400e6) AS BIGINT) + 1)
               AS order_time,
             (['online', 'offline', 'wholesale', 'retail'])[1 + i % 4] AS channel,
             CAST(0 AS DECIMAL(18,2)) AS amount
      FROM range({n_orders}) t(i)
    ) TO '{lake}/orders/tmp.parquet' (FORMAT parquet)""")
    con.execute(f"""
    COPY (
      SELECT 'O' || (i // {LINES_PER_ORDER}) AS order_id,
             CAST(i % {LINES_PER_ORDER} + 1 AS INTEGER) AS line_no,
             'SKU' || (i % 500) AS sku,
             ({cats})[1 + CAST(floor(pow({_u("i", 4)}, 1.5) * 8) AS INTEGER)] AS category,
             CAST(1.0 AS DOUBLE) AS quantity,
             CAST(20 + floor({_u("i", 5)} * 400) AS DECIMAL(18,2)) AS unit_price,
             CAST(20 + floor({_u("i", 5)} * 400) AS DECIMAL(18,2)) AS amount,
             CAST((20 + floor({_u("i", 5)} * 400)) * 0.8 AS DECIMAL(18,2)) AS cost,
             CAST(20 + floor({_u("i", 5)} * 400) AS DECIMAL(18,2)) AS list_price,
             'list' AS price_rule
      FROM range({n_orders * LINES_PER_ORDER}) t(i)
    ) TO '{lake}/order_lines/part-0.parquet' (FORMAT parquet)""")
    # order amounts are the sums of their lines (order i has lines 5i .. 5i+4)
    con.execute(f"""
    COPY (
      SELECT o.order_id, o.customer_id, o.order_time, o.channel, CAST(s.amt AS DECIMAL(18,2)) AS amount
      FROM read_parquet('{lake}/orders/tmp.parquet') o
      JOIN (SELECT i AS k, sum(20 + floor({_u("i * 5 + j", 5)} * 400)) AS amt
            FROM range({n_orders}) t(i), range({LINES_PER_ORDER}) u(j) GROUP BY i) s
        ON o.order_id = 'O' || s.k
    ) TO '{lake}/orders/part-0.parquet' (FORMAT parquet)""")
    (lake / "orders" / "tmp.parquet").unlink()
    con.execute(f"""
    COPY (
      SELECT 'I' || i AS invoice_id, 'C' || lpad((i // 6)::VARCHAR, 9, '0') AS customer_id,
             ({asof} - CAST((i % 6) * 60 + floor({_u("i", 6)} * 30) AS INTEGER)) AS issue_date,
             ({asof} - CAST((i % 6) * 60 + floor({_u("i", 6)} * 30) AS INTEGER) + 30) AS due_date,
             CAST(500 + floor({_u("i", 7)} * 5000) AS DECIMAL(18,2)) AS amount
      FROM range({n_cust * 6}) t(i)
    ) TO '{lake}/invoices/part-0.parquet' (FORMAT parquet)""")
    con.execute(f"""
    COPY (
      SELECT 'P' || invoice_id AS payment_id, invoice_id, customer_id,
             due_date - 10 + CAST(floor({_u("hash(invoice_id)", 8)} * 14) AS INTEGER) AS paid_date,
             CAST(CASE WHEN {_u("hash(invoice_id)", 9)} < 0.95 THEN amount ELSE amount / 2 END AS DECIMAL(18,2)) AS amount
      FROM read_parquet('{lake}/invoices/part-0.parquet')
      WHERE {_u("hash(invoice_id)", 10)} < 0.9
    ) TO '{lake}/payments/part-0.parquet' (FORMAT parquet)""")
    con.execute(f"""
    COPY (
      SELECT 'C' || lpad(i::VARCHAR, 9, '0') AS customer_id,
             ({asof} - CAST(floor({_u("i", 11)} * 700) AS INTEGER)) AS report_date,
             (['AAA', 'AA', 'A', 'BBB', 'BB', 'B', 'C'])[1 + CAST(floor({_u("i", 12)} * 7) AS INTEGER)] AS rating,
             CAST(CASE WHEN {_u("i", 13)} < 0.03 THEN 1 ELSE 0 END AS INTEGER) AS legal_disputes
      FROM range({n_cust}) t(i)
    ) TO '{lake}/credit/part-0.parquet' (FORMAT parquet)""")
    return {"customers": n_cust, "orders": n_orders, "order_lines": n_orders * LINES_PER_ORDER}
