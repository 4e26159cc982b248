"""Bulk reads and writes of Arrow tables: PostgreSQL COPY, plain statements on SQLite.

Publishing millions of rows through ORM objects or multi-row INSERTs is an order of
magnitude slower than COPY on PostgreSQL; even psycopg's per-row ``write_row`` spends most of
its time in Python, so Arrow's C++ CSV writer renders the rows and they are streamed to
``COPY ... (FORMAT csv)``; reads go the other way with ``COPY (SELECT ...) TO STDOUT`` and
Arrow's CSV reader. SQLite has no COPY and its executemany is fast enough. Everything runs
inside the caller's transaction, so it commits or rolls back with it.
"""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
from sqlalchemy import Connection, MetaData, Table, delete, select
from sqlalchemy.schema import CreateIndex

_CHUNK = 250_000


def _raw_cursor(conn: Connection) -> Any:
    raw = conn.connection.driver_connection
    if raw is None:
        raise RuntimeError("the connection has no driver connection")
    return raw.cursor()


def insert_arrow(
    conn: Connection, table: Table, data: pa.Table, *, json_columns: Sequence[str] = ()
) -> int:
    """Insert every row of ``data`` (columns named as in ``table``) and return the count.

    ``json_columns`` hold JSON text; on SQLite it is parsed back into objects for SQLAlchemy's
    JSON type, on PostgreSQL it goes to the server as it is.
    """
    if data.num_rows == 0:
        return 0
    if conn.dialect.name == "postgresql":
        names = ", ".join(f'"{c}"' for c in data.column_names)
        sql = f'COPY "{table.name}" ({names}) FROM STDIN (FORMAT csv)'
        opts = pacsv.WriteOptions(include_header=False, quoting_style="needed")
        with _raw_cursor(conn) as cur:
            for start in range(0, data.num_rows, _CHUNK):
                buf = io.BytesIO()
                pacsv.write_csv(data.slice(start, _CHUNK), buf, opts)
                with cur.copy(sql) as copy:
                    copy.write(buf.getvalue())
        return int(data.num_rows)
    stmt = table.insert()
    for batch in data.to_batches(10_000):
        rows = batch.to_pylist()
        if not rows:  # an empty batch (e.g. no graded customer): executing [] would insert
            continue  # one row of defaults, issue 17 #10
        for col in json_columns:
            for row in rows:
                if row[col] is not None:
                    row[col] = json.loads(row[col])
        conn.execute(stmt, rows)
    return int(data.num_rows)


def read_arrow(conn: Connection, table: Table, schema: pa.Schema) -> pa.Table:
    """All rows of ``table`` restricted to ``schema``'s columns, as an Arrow table."""
    names = schema.names
    if conn.dialect.name == "postgresql":
        cols = ", ".join(f'"{c}"' for c in names)
        buf = io.BytesIO()
        with (
            _raw_cursor(conn) as cur,
            cur.copy(f'COPY (SELECT {cols} FROM "{table.name}") TO STDOUT (FORMAT csv)') as copy,
        ):
            for chunk in copy:
                buf.write(chunk)
        if buf.tell() == 0:
            return schema.empty_table()
        buf.seek(0)
        return pacsv.read_csv(
            buf,
            read_options=pacsv.ReadOptions(column_names=names),
            convert_options=pacsv.ConvertOptions(
                column_types=schema,
                true_values=["t"],
                false_values=["f"],
                strings_can_be_null=True,
                quoted_strings_can_be_null=False,
            ),
        )
    rows = conn.execute(select(*(table.c[n] for n in names))).all()
    return pa.table(
        {n: pa.array([r[i] for r in rows], schema.field(n).type) for i, n in enumerate(names)}
    )


def replace_table(conn: Connection, table: Table, data: pa.Table) -> int:
    """Replace every row of ``table`` by ``data``, inside the caller's transaction.

    On PostgreSQL the rows go into a fresh table that then takes the old one's place, and its
    primary key and indexes are built once, after the load: deleting millions of rows and
    inserting them again into the same table cost several times as much (dead tuples, index
    maintenance row by row). Readers keep seeing the old rows until the transaction commits.
    """
    if conn.dialect.name != "postgresql":
        conn.execute(delete(table))
        return insert_arrow(conn, table, data)
    name, tmp = table.name, f"{table.name}__new"
    conn.exec_driver_sql(f'DROP TABLE IF EXISTS "{tmp}"')
    conn.exec_driver_sql(
        f'CREATE TABLE "{tmp}" (LIKE "{name}" INCLUDING DEFAULTS INCLUDING CONSTRAINTS)'
    )
    n = insert_arrow(conn, table.to_metadata(MetaData(), name=tmp), data)
    conn.exec_driver_sql(f'DROP TABLE "{name}"')
    conn.exec_driver_sql(f'ALTER TABLE "{tmp}" RENAME TO "{name}"')
    pk = ", ".join(f'"{c.name}"' for c in table.primary_key.columns)
    conn.exec_driver_sql(f'ALTER TABLE "{name}" ADD CONSTRAINT "{name}_pkey" PRIMARY KEY ({pk})')
    for index in table.indexes:
        conn.execute(CreateIndex(index))
    return n
