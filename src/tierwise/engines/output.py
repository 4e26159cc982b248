"""Write an Ibis table to one local Parquet file, whichever engine computes it."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa
import pyarrow.parquet as pq


def write_parquet(con: Any, expr: ir.Table, path: Path) -> None:
    """Write ``expr`` to the single file ``path``.

    DuckDB streams into the file itself. Spark writes folders of part files, so its
    result (one row per customer: small next to the order lines) is fetched as Arrow
    batches and written as one file, the layout every run reader expects. Columns are
    cast to the expression's declared types: Spark SQL reads a literal such as ``0.3`` as
    a DECIMAL, so ``0.3 * r_score`` (float64 to Ibis) comes back as decimal(22, 1).
    """
    if con.name == "duckdb":
        con.to_parquet(expr, path)
        return
    schema = expr.schema().to_pyarrow()
    reader = con.to_pyarrow_batches(expr)
    with pq.ParquetWriter(path, schema) as writer:
        for batch in reader:
            writer.write_table(pa.Table.from_batches([batch]).cast(schema))


# Up to this many rows, DuckDB's result is kept as an Arrow table that DuckDB scans in place.
SMALL_RESULT_ROWS = 500_000


@dataclass
class Materialized:
    """A result computed once for the later steps of a run (see :func:`materialize`)."""

    table: ir.Table
    free: Callable[[], None]
    #: the rows themselves, when DuckDB's result is kept as Arrow (None otherwise)
    arrow: pa.Table | None = None


def materialize(
    con: Any, expr: ir.Table, prefix: str, *, rows_hint: int | None = None
) -> Materialized:
    """Compute ``expr`` once and keep it for the later steps of a run.

    DuckDB: a temporary table (gone with the connection), or, when ``rows_hint`` (an upper
    bound of the result's rows) is at most :data:`SMALL_RESULT_ROWS`, the Arrow result
    registered back as an in-memory table: DuckDB scans Arrow in place, and at 200 000
    customers this took 0.10 s against 0.31 s for Ibis's temporary table (created, then
    filled by an INSERT). Larger results stay inside DuckDB, where its memory cap bounds
    them and they can spill. Spark, which has no temporary tables in Ibis: a cached
    DataFrame, read back with the expression's declared column types (Spark SQL reads a
    literal such as ``0.3`` as a DECIMAL, so ``0.3 * r_score``, float64 to Ibis, is cached
    as decimal(22, 1)). ``free`` releases what the result holds.
    """
    if con.name == "duckdb" and rows_hint is not None and rows_hint <= SMALL_RESULT_ROWS:
        declared = expr.schema()
        data = con.to_pyarrow(expr).cast(declared.to_pyarrow())
        return Materialized(ibis.memtable(data, schema=declared), lambda: None, data)
    if con.name == "duckdb":
        table = con.create_table(f"{prefix}_{uuid.uuid4().hex}", expr, temp=True)
        return Materialized(table, lambda: None)
    cached = expr.cache()
    declared = expr.schema()
    drifted = {n: t for n, t in declared.items() if cached.schema()[n] != t}
    return Materialized(cached.cast(drifted) if drifted else cached, cached.release)
