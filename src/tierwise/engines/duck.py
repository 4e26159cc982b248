"""The embedded DuckDB engine, with a memory cap that spills to disk instead of failing."""

from __future__ import annotations

import tempfile
from typing import Any

import ibis

from tierwise.engines.memory import parse_size


def duckdb_backend(*, memory_limit: str | None = None, temp_dir: str | None = None) -> Any:
    """A fresh in-memory DuckDB backend.

    With ``memory_limit``, DuckDB keeps its buffers under the cap and spills joins,
    aggregates and sorts to ``temp_dir`` (a fresh temporary folder by default);
    ``preserve_insertion_order=false`` lets it stream writes without buffering to keep
    row order (no stage depends on the order rows come back in).
    """
    if memory_limit is None:
        return ibis.duckdb.connect()
    parse_size(memory_limit)  # a clear error before DuckDB's own
    spill = temp_dir or tempfile.mkdtemp(prefix="tierwise-spill-")
    return ibis.duckdb.connect(
        memory_limit=memory_limit,
        temp_directory=spill,
        preserve_insertion_order=False,
    )
