"""Helpers for ingestion tests: load one file and read back what landed where."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from tierwise.ingest.mapping import default_mapping
from tierwise.ingest.partitions import LoadResult
from tierwise.ingest.run import ingest

NOW = datetime(2025, 6, 1, 12, 0)


@dataclass
class Landed:
    """One load's result with its lake and quarantine rows."""

    result: LoadResult
    lake: pa.Table
    quarantine: pa.Table

    def reasons(self) -> list[str]:
        return [str(r) for r in self.quarantine.column("reason").to_pylist()]


def load_one(home: Path, path: Path, table: str | None = None, **kw: object) -> Landed:
    """Ingest ``path`` into ``home/raw`` with the shipped mapping; return what landed."""
    run = ingest(path, default_mapping(), raw=home / "raw", home=home, now=NOW, table=table, **kw)  # type: ignore[arg-type]
    (res,) = run.loads
    lake = pq.read_table(home / "raw" / res.table / f"{res.partition}.parquet")
    quarantine = pq.read_table(home / "quarantine" / res.table / f"{res.partition}.parquet")
    assert res.rows_in == res.rows_loaded + res.rows_quarantined
    assert lake.num_rows == res.rows_loaded
    assert quarantine.num_rows == res.rows_quarantined
    return Landed(res, lake, quarantine)
