"""Arrow types for the canonical tables (the physical side of :mod:`tierwise.model.tables`)."""

from __future__ import annotations

import pyarrow as pa

from tierwise.model.tables import LogicalType, Table

MONEY = pa.decimal128(18, 2)

_ARROW: dict[LogicalType, pa.DataType] = {
    "string": pa.string(),
    "int32": pa.int32(),
    "int64": pa.int64(),
    "float64": pa.float64(),
    "money": MONEY,
    "date": pa.date32(),
    "timestamp": pa.timestamp("us"),
    "bool": pa.bool_(),
}


def arrow_type(logical: LogicalType) -> pa.DataType:
    """The Arrow type that stores a logical type."""
    return _ARROW[logical]


def arrow_schema(t: Table) -> pa.Schema:
    """The Arrow schema of a canonical table, with each column's meaning as field metadata."""
    return pa.schema(
        [
            pa.field(
                c.name,
                arrow_type(c.type),
                nullable=c.nullable,
                metadata={"meaning": c.meaning, "zh": c.zh},
            )
            for c in t.columns
        ]
    )
