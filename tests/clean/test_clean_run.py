"""Ingest then clean hand-made exports: duplicates merged, rows accounted for (R-DAT-3)."""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "ingest"))
from export_fixtures import make_exports
from helpers_ingest import NOW

from tierwise.clean.run import clean
from tierwise.ingest.mapping import default_mapping
from tierwise.ingest.run import ingest


@pytest.fixture(scope="module")
def cleaned(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object, object]:
    root = tmp_path_factory.mktemp("book")
    truth = make_exports(root / "exports")
    run = ingest(root / "exports", default_mapping(), raw=root / "raw", home=root, now=NOW)
    res = clean(root / "raw", root / "lake")
    return root, truth, (run, res)


def test_every_exported_row_is_in_the_raw_lake_or_quarantine(cleaned: tuple) -> None:  # type: ignore[type-arg]
    _root, truth, (run, _res) = cleaned
    by_table = {r.table: r for r in run.loads}
    for table, n in truth.rows.items():
        assert by_table[table].rows_in == n, table
        assert by_table[table].rows_loaded + by_table[table].rows_quarantined == n
    assert by_table["orders"].rows_quarantined == truth.bad_rows["orders"]
    assert by_table["order_lines"].rows_quarantined == truth.orphan_lines


def test_duplicate_customers_are_merged_with_a_link_to_every_source_id(cleaned: tuple) -> None:  # type: ignore[type-arg]
    root, truth, (_run, res) = cleaned
    links = pq.read_table(root / "lake" / "_clean" / "customer_links.parquet").to_pylist()
    merged = {r["source_id"]: r["customer_id"] for r in links if r["source_id"] != r["customer_id"]}
    assert merged == truth.duplicates
    assert len(links) == truth.rows["customers"]  # every source id, survivors included
    assert res.merged == len(truth.duplicates)
    customers = pq.read_table(root / "lake" / "customers").column("customer_id").to_pylist()
    assert not set(customers) & set(truth.duplicates)


def test_orders_of_merged_customers_move_to_the_survivor_and_exact_copies_go(
    cleaned: tuple,
) -> None:  # type: ignore[type-arg]
    root, truth, (_run, res) = cleaned
    lake = root / "lake"
    ids = duckdb.sql(f"SELECT customer_id FROM '{lake}/orders/*.parquet'").fetchall()
    assert not {i for (i,) in ids} & set(truth.duplicates)
    assert res.tables["orders"]["exact_duplicates_dropped"] == truth.duplicated_order_rows
    n_orders = duckdb.sql(
        f"SELECT count(*), count(DISTINCT order_id) FROM '{lake}/orders/*.parquet'"
    ).fetchone()
    assert n_orders is not None
    assert n_orders[0] == n_orders[1]
    assert (lake / "_flags" / "refund_outliers.parquet").exists()
    assert (lake / "_flags" / "order_brushing.parquet").exists()


def test_grain_dedupe_tells_exact_copies_from_conflicts() -> None:
    from tierwise.clean.run import grain_dedupe

    con = duckdb.connect()
    con.execute(
        "CREATE TABLE src AS SELECT * FROM (VALUES "
        "('O1', 'C1', TIMESTAMP '2025-01-01 10:00', 'online', 10.00::DECIMAL(18,2)), "
        "('O1', 'C1', TIMESTAMP '2025-01-01 10:00', 'online', 10.00::DECIMAL(18,2)), "  # copy
        "('O2', 'C1', TIMESTAMP '2025-01-02 10:00', 'online', 20.00::DECIMAL(18,2)), "
        "('O2', 'C1', TIMESTAMP '2025-01-02 10:00', 'online', 25.00::DECIMAL(18,2)), "  # conflict
        "('O3', 'C2', TIMESTAMP '2025-01-03 10:00', 'retail', 5.00::DECIMAL(18,2))"
        ") t(order_id, customer_id, order_time, channel, amount)"
    )
    assert grain_dedupe(con, "orders", "src", "agg") == (5, 1, 1)
    kept = con.execute("SELECT order_id, amount FROM agg ORDER BY 1").fetchall()
    assert [(o, str(a)) for o, a in kept] == [("O1", "10.00"), ("O2", "20.00"), ("O3", "5.00")]


def test_only_ids_are_needed_and_region_text_gets_its_district_code(tmp_path: Path) -> None:
    """R-DAT-2, R-DAT-3 (issue 19): customers with an id and some text only; the district
    code comes from the regions table where the text names a known district."""
    from tinylake import ts, write_lake

    raw = tmp_path / "raw"
    names = ("region_id", "account_id", "name", "phone", "address", "account_name", "contact_name")
    blank = dict.fromkeys(names)
    write_lake(
        raw,
        {
            "regions": [
                {"region_id": "510107", "delivery_cost": 8, "competition_index": 0.5},
                {
                    "region_id": "510104",
                    "district": "锦江区",
                    "delivery_cost": 8,
                    "competition_index": 0.5,
                },
            ],
            "customers": [
                {"customer_id": k, "province": p, "city": c, "district": d, **blank}
                for k, p, c, d in (
                    ("K1", "四川省", "成都市", "武侯区"),
                    ("K2", "四川省", "成都市", "锦江区"),
                    ("K3", "火星", None, None),
                )
            ],
            "orders": [
                {"order_id": "o1", "customer_id": "K1", "order_time": ts(2025, 3, 1), "amount": 10},
            ],
        },
        only=True,
    )
    res = clean(raw, tmp_path / "lake")
    got = {
        r["customer_id"]: r
        for r in pq.read_table(tmp_path / "lake" / "customers" / "part-0.parquet").to_pylist()
    }
    assert got["K1"]["region_id"] == "510107" and got["K2"]["region_id"] == "510104"
    assert got["K3"]["region_id"] is None and got["K3"]["province"] == "火星"  # left as text
    assert got["K1"]["account_id"] == "K1"  # an outlet without an account is its own
    assert "2 region codes resolved from province/city/district text" in res.notes
    assert any("no duplicate search" in n for n in res.notes)
