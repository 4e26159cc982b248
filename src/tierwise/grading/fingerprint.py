"""A data fingerprint: which files of the lake a run read (path, size, rows)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

import pyarrow.parquet as pq

from tierwise.lake import table_dir


def data_fingerprint(lake: Path, tables: Iterable[str]) -> str:
    """SHA-256 over the sorted (table-relative path, size, row count) of every file read.

    Copying a lake keeps the fingerprint; rewriting or adding a file changes it.
    """
    h = hashlib.sha256()
    for name in sorted(set(tables)):
        d = table_dir(lake, name)
        files = sorted(d.rglob("*.parquet")) if d.is_dir() else []
        for f in files:
            rows = pq.ParquetFile(f).metadata.num_rows
            h.update(f"{name}/{f.relative_to(d)}\t{f.stat().st_size}\t{rows}\n".encode())
    return h.hexdigest()
