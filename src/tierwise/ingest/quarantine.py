"""The quarantine table: every rejected source row, kept with where it came from and why (R-DAT-4).

Layout: ``$TIERWISE_HOME/quarantine/<table>/<source>.parquet``, replaced with the lake partition
of the same source, so the lake plus quarantine always account for every input row.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa

if TYPE_CHECKING:
    import duckdb
    import pyarrow.parquet as pq

    from tierwise.ingest.partitions import LoadResult
    from tierwise.ingest.readers import Malformed

QUARANTINE_SCHEMA = pa.schema(
    [
        pa.field("load_id", pa.string(), nullable=False),
        pa.field("source", pa.string(), nullable=False),
        pa.field("table", pa.string(), nullable=False),
        pa.field("row", pa.int64()),  # source row number (header = 1); null if unknown
        pa.field("column", pa.string()),  # first failing canonical column (null: whole row)
        pa.field("value", pa.string()),  # its text in the source
        pa.field("reason", pa.string(), nullable=False),  # every problem, "column: reason; ..."
        pa.field("raw", pa.string()),  # the whole source row (JSON object or line text)
        pa.field("key", pa.string()),  # the row's own id (first grain column), if readable
    ]
)


def quarantine_path(home: Path, table: str, partition: str) -> Path:
    """Where the quarantine of one source's load lives."""
    return home / "quarantine" / table / f"{partition}.parquet"


def quarantine_batch(
    load_id: str,
    source: str,
    table: str,
    rows: pa.Array,
    columns: pa.Array,
    values: pa.Array,
    reasons: pa.Array,
    raws: pa.Array,
    keys: pa.Array | None = None,
) -> pa.RecordBatch:
    """A batch of quarantine rows (constant load id, source and table)."""
    n = len(rows)
    return pa.record_batch(
        [
            pa.array([load_id] * n, pa.string()),
            pa.array([source] * n, pa.string()),
            pa.array([table] * n, pa.string()),
            rows.cast(pa.int64()),
            columns.cast(pa.string()),
            values.cast(pa.string()),
            reasons.cast(pa.string()),
            raws.cast(pa.string()),
            keys.cast(pa.string()) if keys is not None else pa.nulls(n, pa.string()),
        ],
        schema=QUARANTINE_SCHEMA,
    )


def quarantine_rows(
    bad: pa.Table,
    q_w: pq.ParquetWriter,
    load_id: str,
    source: str,
    table: str,
    result: LoadResult,
    problems: Counter[str],
) -> None:
    """Write rejected rows (``_row, _column, _value, _problems, _raw, _key``) to the
    quarantine, count their reasons and keep the first 20 as the load's examples."""
    cols = ("_row", "_column", "_value", "_problems", "_raw", "_key")
    batch = quarantine_batch(
        load_id, source, table, *(bad.column(c).combine_chunks() for c in cols)
    )
    q_w.write_table(pa.Table.from_batches([batch]))
    for reason, cnt in Counter(_short(r) for r in bad.column("_problems").to_pylist()).items():
        problems[reason] += cnt
    for r in bad.slice(0, max(0, 20 - len(result.examples))).to_pylist():
        result.examples.append(
            {
                "row": r["_row"],
                "column": r["_column"],
                "value": r["_value"],
                "reason": r["_problems"],
            }
        )


def _short(reason: str) -> str:
    return reason.split(";")[0].strip()


def quarantine_malformed(
    lines: list[Malformed], q_w: pq.ParquetWriter, load_id: str, source: str, table: str
) -> None:
    """Write lines the CSV parser could not read to the quarantine: row, reason, line text."""
    if not lines:
        return
    n = len(lines)
    q_w.write_batch(
        quarantine_batch(
            load_id,
            source,
            table,
            pa.array([m.row for m in lines], pa.int64()),
            pa.nulls(n, pa.string()),
            pa.nulls(n, pa.string()),
            pa.array([m.reason for m in lines], pa.string()),
            pa.array([m.text for m in lines], pa.string()),
        )
    )


def count_malformed(lines: list[Malformed], result: LoadResult, problems: Counter[str]) -> None:
    for m in lines:
        problems["malformed row: " + re.sub(r"\d+", "N", m.reason)] += 1
    result.rows_quarantined += len(lines)


def quarantine_res(
    con: duckdb.DuckDBPyConnection,
    q_w: pq.ParquetWriter,
    load_id: str,
    source: str,
    table: str,
    result: LoadResult,
    problems: Counter[str],
) -> None:
    """Write the rejected rows of the table ``res`` to the quarantine; count their reasons."""
    bad = con.execute(
        "SELECT _row, _column, _value, _problems, _raw, _key FROM res "
        "WHERE _problems IS NOT NULL ORDER BY _row"
    ).fetch_arrow_table()
    if bad.num_rows:
        quarantine_rows(bad, q_w, load_id, source, table, result, problems)
