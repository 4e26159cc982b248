"""materialize: small results kept as Arrow, large ones as a DuckDB temporary table, same data."""

from __future__ import annotations

import ibis
import pyarrow as pa

from tierwise.engines.output import SMALL_RESULT_ROWS, materialize


def _expr() -> ibis.Table:
    t = ibis.memtable(
        pa.table({"entity_id": ["a", "b", "c"], "spend": [1.5, None, 3.0], "n": [1, 2, 3]})
    )
    return t.mutate(score=(t.spend * 2).round(1), big=t.n > 1, tier=ibis.literal("gold"))


def test_a_small_result_is_arrow_and_equals_the_temporary_table() -> None:
    con = ibis.duckdb.connect()
    expr = _expr()
    kept = materialize(con, expr, "s", rows_hint=3)
    small = kept.table
    large = materialize(con, expr, "l", rows_hint=SMALL_RESULT_ROWS + 1).table
    plain = materialize(con, expr, "p").table
    assert large.op().name.startswith("l_") and plain.op().name.startswith("p_")  # tables
    assert not small.op().name.startswith("s_")  # an in-memory (Arrow) table
    assert small.schema() == expr.schema() == large.schema()
    # the Arrow rows are handed out too (a run writes its features from them directly)
    assert kept.arrow is not None and kept.arrow.schema == expr.schema().to_pyarrow()
    assert kept.arrow.num_rows == 3
    got = con.to_pyarrow(small.order_by("entity_id"))
    assert got.equals(con.to_pyarrow(large.order_by("entity_id")))
    # later steps build on it like on a table: a join back and a Parquet write
    joined = small.join(large.select("entity_id", other="score"), "entity_id")
    assert con.to_pyarrow(joined.count()).as_py() == 3
