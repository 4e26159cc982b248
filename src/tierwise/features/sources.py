"""The engine adapter: canonical tables of a lake as Ibis tables on a backend.

Feature and policy code only sees Ibis tables; this module is where a backend (DuckDB by
default) meets the files. A table the lake lacks is served as an empty table with its
canonical schema, so a distributor without, say, credit reports still gets every feature.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import ibis
import ibis.expr.types as ir

from tierwise.lake import LakeLocation, has_table, parquet_glob, require_table, table_location
from tierwise.model.arrow import arrow_schema
from tierwise.model.tables import table as canonical_table

REQUIRED = ("customers", "orders")


def connect() -> Any:
    """A fresh embedded DuckDB backend (the default engine)."""
    return ibis.duckdb.connect()


def read_lake_table(con: Any, lake: LakeLocation, name: str) -> ir.Table:
    """Table ``name`` of ``lake`` on backend ``con``: every Parquet file under its folder.

    DuckDB reads a recursive glob; Spark reads the folder with ``recursiveFileLookup``
    (it has no ``**`` glob, and the option also keeps it from adding partition columns).
    """
    if con.name == "pyspark":
        return con.read_parquet(
            table_location(lake, name), table_name=f"lake_{name}", recursiveFileLookup="true"
        )
    return con.read_parquet(parquet_glob(lake, name), table_name=f"lake_{name}")


def open_lake(con: Any, lake: LakeLocation, names: Iterable[str]) -> dict[str, ir.Table]:
    """Register each table of ``names`` from ``lake`` (a folder or a URL) on backend ``con``.

    Raises
    ------
    DataError
        When a required table (customers, orders) has no file in the lake.
    """
    out: dict[str, ir.Table] = {}
    for name in dict.fromkeys(names):
        if name in REQUIRED:
            require_table(lake, name)
        if has_table(lake, name):
            out[name] = read_lake_table(con, lake, name)
        else:
            out[name] = ibis.memtable(arrow_schema(canonical_table(name)).empty_table())
    return out


def all_tables() -> tuple[str, ...]:
    """Every table a full feature build may read."""
    from tierwise.features.build import GROUP_TABLES

    return tuple(dict.fromkeys(t for ts in GROUP_TABLES.values() for t in ts))
