"""Checks of a lake's inventory tables against its order lines and truth (book and world)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa

from tierwise.generate.inventory import WAREHOUSE_CITIES, WAREHOUSE_IDS


def _con(out: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    for name in ("orders", "order_lines", "customers", "products", "inventory_snapshots",
                 "purchase_orders", "receipts"):  # fmt: skip
        con.execute(f"create view {name} as select * from '{out}/lake/{name}/*.parquet'")
    con.execute(f"create view truth as select * from '{out}/truth/inventory.parquet'")
    wh = pa.table({"city": list(WAREHOUSE_CITIES), "warehouse_id": list(WAREHOUSE_IDS)})
    con.register("wh", wh)
    return con


def check_counts(out: Path) -> None:
    """opening + received − shipped (the lake's lines of the outlet's city) = every count."""
    con = _con(out)
    bad = con.execute(
        """
        with moves as (
            select w.warehouse_id, l.sku, o.order_time::date as d, -l.quantity as q
            from order_lines l join orders o using (order_id)
            join customers c using (customer_id) join wh w on w.city = c.city
            union all
            select warehouse_id, sku, received_date, quantity from receipts
        ), opening as (
            select warehouse_id, sku, snapshot_date as d0, on_hand
            from inventory_snapshots
            qualify row_number() over (partition by warehouse_id, sku order by snapshot_date) = 1
        ), counted as (
            select s.warehouse_id, s.sku, s.snapshot_date, s.on_hand,
                   o.on_hand + coalesce((select sum(q) from moves m where m.warehouse_id =
                       s.warehouse_id and m.sku = s.sku and m.d > o.d0
                       and m.d <= s.snapshot_date), 0) as ledger
            from inventory_snapshots s join opening o using (warehouse_id, sku)
        )
        select count(*) filter (where abs(on_hand - ledger) > 1e-6), count(*),
               count(*) filter (where on_hand < 0)
        from counted
        """
    ).fetchone()
    assert bad is not None
    mismatched, counts, negative = bad
    assert counts > 100
    assert mismatched == 0 and negative == 0


def check_stockouts(out: Path) -> None:
    """Unserved demand only on stock-out days, which open empty; no stock below zero."""
    con = _con(out)
    row = con.execute(
        """
        with t as (
            select *, lag(closing) over (partition by warehouse_id, sku order by date) as prev,
                   lag(date) over (partition by warehouse_id, sku order by date) as prev_date
            from truth
        )
        select
          count(*) filter (where lost + substituted_out > 0),
          count(*) filter (where lost + substituted_out > 0 and not stockout),
          count(*) filter (where stockout and lost + substituted_out > 0 and closing <> 0),
          count(*) filter (where stockout and prev_date = date - 1 and not
                           (select bool_or(x.stockout) from truth x where x.warehouse_id =
                            t.warehouse_id and x.sku = t.sku and x.date = t.prev_date)
                           and prev <> 0),
          count(*) filter (where closing < 0),
          sum(demand) - sum(shipped - substituted_in + lost + substituted_out),
          sum(lost)
        from t
        """
    ).fetchone()
    assert row is not None
    unmet_days, unmet_not_out, out_not_empty, eve_not_empty, negative, gap, lost = row
    assert unmet_days > 10 and lost > 0
    assert unmet_not_out == 0  # demand goes unserved only on a stock-out day
    assert out_not_empty == 0  # ... when the warehouse is empty
    assert eve_not_empty == 0  # ... because the stock ran out the evening before
    assert negative == 0
    assert abs(gap) < 1e-6


def check_receipts(out: Path) -> None:
    """Every receipt arrives at least its supplier's lead time after its purchase order."""
    con = _con(out)
    row = con.execute(
        """
        select count(*),
               count(*) filter (where r.received_date < p.order_date + pr.lead_time_days),
               count(*) filter (where p.expected_date <> p.order_date + pr.lead_time_days),
               count(*) filter (where r.warehouse_id <> p.warehouse_id or r.sku <> p.sku),
               count(*) filter (where r.received_date > p.expected_date)
        from receipts r join purchase_orders p using (po_id) join products pr on pr.sku = p.sku
        """
    ).fetchone()
    assert row is not None
    n, early, wrong_due, mismatched, late = row
    assert n > 100
    assert early == 0 and wrong_due == 0 and mismatched == 0
    assert late > 0  # the stock-out episodes' orders arrive late
