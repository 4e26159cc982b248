"""Bulk row writes: PostgreSQL COPY, executemany elsewhere.

Publishing millions of rows through ORM objects or multi-row INSERTs is an order of
magnitude slower than COPY on PostgreSQL; SQLite has no COPY and its executemany is fast
enough. Both run inside the caller's transaction, so they commit or roll back with it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from psycopg.types.json import Json
from sqlalchemy import Connection, Table


def bulk_insert(
    conn: Connection, table: Table, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> int:
    """Insert ``rows`` (tuples in ``columns`` order) into ``table``; returns the row count."""
    n = 0
    if conn.dialect.name == "postgresql":
        raw = conn.connection.driver_connection
        if raw is None:
            raise RuntimeError("the connection has no driver connection")
        cols = ", ".join(f'"{c}"' for c in columns)
        with raw.cursor() as cur, cur.copy(f'COPY "{table.name}" ({cols}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row([Json(v) if isinstance(v, dict | list) else v for v in row])
                n += 1
        return n
    batch: list[dict[str, Any]] = []
    stmt = table.insert()
    for row in rows:
        batch.append(dict(zip(columns, row, strict=True)))
        if len(batch) >= 10_000:
            conn.execute(stmt, batch)
            n += len(batch)
            batch = []
    if batch:
        conn.execute(stmt, batch)
        n += len(batch)
    return n
