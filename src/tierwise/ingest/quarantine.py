"""The quarantine table: every rejected source row, kept with where it came from and why (R-DAT-4).

Layout: ``$TIERWISE_HOME/quarantine/<table>/<source>.parquet``, replaced with the lake partition
of the same source, so the lake plus quarantine always account for every input row.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

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
