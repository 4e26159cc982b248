"""The catalogue and what outlets buy: staples, taste, new products, seasons, stock-outs (issue 15)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import duckdb
import numpy as np
import pyarrow as pa

from tierwise.generate import GenerateResult
from tierwise.generate.calendar import day_number
from tierwise.model.tables import CATEGORIES
from tierwise.world.recall import next_order_recall


def test_a_catalogue_of_over_a_thousand_skus_with_supply_facts(
    read: Callable[[str], pa.Table],
) -> None:
    p = read("products").to_pandas()
    assert len(p) >= 1000 and p.sku.is_unique
    assert set(p.category) == set(CATEGORIES)
    assert p.subcategory.notna().all() and p.supplier.notna().all()
    assert (p.unit_cost < p.unit_price).all()
    assert p.shelf_life_days.between(1, 2000).all() and p.lead_time_days.between(1, 30).all()
    assert 0.03 < p.launch_date.notna().mean() < 0.15  # new products launched during the book


def _lines(book: GenerateResult) -> dict[str, np.ndarray]:
    lake = book.lake
    return duckdb.sql(
        f"""
        select cast(substr(o.customer_id, 2) as int) - 1 as c,
               datediff('day', date '1970-01-01', cast(o.order_time as date)) as d,
               dense_rank() over (order by o.customer_id, o.order_time, o.order_id) as ord,
               p.rn as s
        from '{lake}/order_lines/*.parquet' l join '{lake}/orders/*.parquet' o using (order_id)
        join (select sku, row_number() over (order by sku) - 1 as rn
              from '{lake}/products/*.parquet') p using (sku)
        """
    ).fetchnumpy()


def test_staples_make_own_history_far_better_than_popularity(book: GenerateResult) -> None:
    a = _lines(book)
    cutoff = day_number(dt.date(2026, 8, 31))
    r = next_order_recall(
        a["c"].astype(np.int64), a["d"].astype(np.int64), a["ord"].astype(np.int64),
        a["s"].astype(np.int64), cutoff, 1107,
    )  # fmt: skip
    assert r.repeat_share > 0.7
    assert r.recall["personal"] > 3 * r.recall["popular"]
    # item-kNN finds new-to-the-outlet items that popularity misses (taste is shared)
    assert r.new_item_recall["item_knn"] > 1.3 * r.new_item_recall["popular"]


def test_hot_pot_slumps_in_summer_and_drinks_peak(book: GenerateResult) -> None:
    lake = book.lake
    share = dict(
        duckdb.sql(
            f"""
            select month(o.order_time) * 100 + (l.category = '饮料')::int * 10
                   + (l.category = '火锅食材')::int as k, sum(l.amount) as amt
            from '{lake}/order_lines/*.parquet' l join '{lake}/orders/*.parquet' o using (order_id)
            group by 1
            """
        ).fetchall()
    )

    def cat_share(month: int, flag: int) -> float:
        tot = sum(float(v) for k, v in share.items() if k // 100 == month)
        return float(share.get(month * 100 + flag, 0)) / tot

    assert cat_share(7, 10) > 1.2 * cat_share(11, 10)  # drinks: July above November
    assert cat_share(7, 1) < 0.85 * cat_share(11, 1)  # hot pot: July below November


def test_stockouts_lose_or_substitute_lines(book: GenerateResult) -> None:
    truth = duckdb.sql(
        f"select sum(lines_lost_stockout), sum(lines_substituted) "
        f"from '{book.out}/truth/customers.parquet'"
    ).fetchone()
    assert truth is not None
    lost, substituted = truth
    assert lost > 0 and substituted > 0


def test_outlets_sit_in_their_city(read: Callable[[str], pa.Table]) -> None:
    loc = (
        read("outlet_locations")
        .to_pandas()
        .merge(read("customers").to_pandas()[["customer_id", "city"]], on="customer_id")
    )
    assert len(loc) == read("customers").num_rows
    chengdu = loc[loc.city == "成都市"]
    assert len(chengdu) > 0
    assert chengdu.latitude.between(30.5, 30.85).all()
    assert chengdu.longitude.between(103.9, 104.25).all()
