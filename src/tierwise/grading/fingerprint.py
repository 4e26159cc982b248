"""A data fingerprint: which files of the lake a run read (path, size, rows)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

import pyarrow.parquet as pq

from tierwise.lake import LakeLocation, table_dir, table_files


def data_fingerprint(lake: LakeLocation, tables: Iterable[str]) -> str:
    """SHA-256 over the sorted (table-relative path, size, rows) of every file read.

    Copying a lake keeps the fingerprint; rewriting or adding a file changes it. A lake URL
    whose file system cannot be listed here gives a fingerprint of its location only; row
    counts are read from local files' footers only (a remote lake is fingerprinted by
    path and size, without opening each file).
    """
    h = hashlib.sha256()
    for name in sorted(set(tables)):
        files = table_files(lake, name)
        if files is None:
            h.update(f"{name}\t{lake}\tunlisted\n".encode())
            continue
        for rel, size in files:
            if isinstance(lake, Path):
                rows = pq.ParquetFile(table_dir(lake, name) / rel).metadata.num_rows
                h.update(f"{name}/{rel}\t{size}\t{rows}\n".encode())
            else:
                h.update(f"{name}/{rel}\t{size}\n".encode())
    return h.hexdigest()
