"""Numpy arrays to Arrow columns of the canonical types, without Python loops.

Money is kept as integer fen (分) while simulating, so sums are exact; it becomes
decimal128(18, 2) only here, by laying the fen out as 128-bit little-endian integers.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tierwise.model.arrow import MONEY, arrow_schema
from tierwise.model.tables import table

US_PER_DAY = 86_400_000_000


def money(fen: np.ndarray) -> pa.Array:
    """Integer fen to a decimal128(18, 2) array of yuan (exact)."""
    fen = np.ascontiguousarray(fen, dtype=np.int64)
    words = np.empty((len(fen), 2), dtype=np.int64)
    words[:, 0] = fen
    words[:, 1] = fen >> 63  # sign extension of the high 64 bits
    return pa.Array.from_buffers(MONEY, len(fen), [None, pa.py_buffer(words)])


def ids(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    """``prefix`` + the number zero-padded to ``width`` digits (C0000042)."""
    digits = pc.cast(pa.array(np.asarray(numbers, dtype=np.int64)), pa.string())
    return pc.binary_join_element_wise(prefix, pc.utf8_lpad(digits, width, "0"), "")


def timestamps(us: np.ndarray) -> pa.Array:
    """Microseconds since the epoch (local time, no zone) to timestamp[us]."""
    return pa.array(np.asarray(us, dtype=np.int64), type=pa.timestamp("us"))


def dates(days: np.ndarray) -> pa.Array:
    """Day numbers to date32."""
    return pa.array(np.asarray(days, dtype=np.int32), type=pa.date32())


def pick(values: list[str] | tuple[str, ...], index: np.ndarray) -> pa.Array:
    """``values[index]`` as a string array (dictionary lookup done in Arrow)."""
    return pc.take(pa.array(list(values), pa.string()), pa.array(np.asarray(index, np.int32)))


def canonical(name: str, columns: Mapping[str, Any]) -> pa.Table:
    """A table with exactly the canonical schema of ``name``; columns are given by name."""
    schema = arrow_schema(table(name))
    missing = [f.name for f in schema if f.name not in columns]
    if missing:  # a generator bug, not a user error: fail loudly
        raise KeyError(f"{name}: missing columns {missing}")
    arrays = [
        columns[f.name]
        if isinstance(columns[f.name], pa.Array | pa.ChunkedArray)
        else pa.array(columns[f.name], type=f.type)
        for f in schema
    ]
    arrays = [
        a.cast(f.type) if a.type != f.type else a for a, f in zip(arrays, schema, strict=True)
    ]
    return pa.Table.from_arrays(arrays, schema=schema)
