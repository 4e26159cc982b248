"""Open the lake tables a set of features reads, and the last day the lake has orders."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import ibis.expr.types as ir

from tierwise.errors import DataError
from tierwise.features.build import GROUP_TABLES, groups_for
from tierwise.features.sources import connect, open_lake
from tierwise.lake import LakeLocation


def tables_for(names: Iterable[str]) -> list[str]:
    """The canonical tables the features ``names`` read."""
    return list(dict.fromkeys(t for g in groups_for(names) for t in GROUP_TABLES[g]))


def open_tables(lake: LakeLocation, names: Iterable[str], con: Any = None) -> dict[str, ir.Table]:
    """The lake's tables for features ``names`` on ``con`` (a fresh DuckDB by default)."""
    return open_lake(con if con is not None else connect(), lake, tables_for(names))


def last_order_day(tables: dict[str, ir.Table]) -> dt.date:
    """The day of the latest order in the lake: where its data ends."""
    o = tables["orders"]
    value = o.order_time.max().date().to_pyarrow().as_py()
    if value is None:
        raise DataError("the lake has no orders", table="orders")
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
