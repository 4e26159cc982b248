"""The lake: one directory of Parquet files per canonical table.

Layout (the contract between the generator, ingestion and every engine)::

    LAKE/<table>/<any sub-folders>/<file>.parquet

Every file under a table's directory holds exactly that table's canonical columns (no hive
partition columns are added on read). Files are written atomically: to a temporary name in
the same directory, then renamed, so a reader never sees half a file and a killed writer
leaves the previous lake intact.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from tierwise.errors import DataError
from tierwise.model.tables import table as canonical_table


def table_dir(lake: Path, name: str) -> Path:
    """The directory holding table ``name`` (the name is checked against the model)."""
    canonical_table(name)
    return lake / name


def parquet_glob(lake: Path, name: str) -> str:
    """A glob matching every Parquet file of table ``name`` (DuckDB and Spark read it)."""
    return str(table_dir(lake, name) / "**" / "*.parquet")


def has_table(lake: Path, name: str) -> bool:
    """Whether the lake holds at least one file of table ``name``."""
    d = table_dir(lake, name)
    return d.is_dir() and any(d.rglob("*.parquet"))


def require_table(lake: Path, name: str) -> Path:
    """The table's directory, or a clear error saying how to fill it."""
    if not has_table(lake, name):
        raise DataError(
            f"the lake at {lake} has no {name!r} table",
            hint="run `tierwise generate` or `tierwise ingest` first, or pass --lake",
            table=name,
            lake=str(lake),
        )
    return table_dir(lake, name)


def write_parquet_atomic(data: pa.Table, path: Path, *, compression: str = "zstd") -> Path:
    """Write ``data`` to ``path`` atomically (temp file in the same folder, fsync, rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        pq.write_table(data, tmp, compression=compression)
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path
