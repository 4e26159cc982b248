"""Rates of each kind of dirt, and conversions between clean columns and export strings."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tierwise.generate.exports.formats import format_amounts, format_times

TIME_SHARES = (0.7, 0.15, 0.15)
AMOUNT_SHARES = (0.85, 0.07, 0.08)
ORDER_RATES = {
    "duplicate_row": 0.003, "bad_date": 0.001, "bad_amount": 0.001,
    "negative_amount": 0.0005, "future_date": 0.0005, "missing_id": 0.0005,
}  # fmt: skip
LINE_RATES = {
    "duplicate_row": 0.001,
    "orphan_line": 0.0005,
    "bad_amount": 0.0005,
    "missing_id": 0.0002,
}
RETURN_RATES = {"bad_date": 0.005, "bad_amount": 0.003}
MISATTRIBUTE = 0.3  # share of a duplicated customer's later orders booked on the duplicate id
ORPHAN_SEQ = 99_000_000  # order sequence numbers never used by real orders

Chunk = tuple[pa.Table, list[dict[str, Any]], dict[str, dict[str, int]]]


def fen_of(col: pa.ChunkedArray) -> np.ndarray:
    """Decimal yuan to integer fen."""
    scaled = pc.multiply(col, pa.scalar(100, pa.decimal128(18, 0)))
    return np.asarray(pc.cast(scaled, pa.int64()).to_numpy(zero_copy_only=False))


def us_of(col: pa.ChunkedArray) -> np.ndarray:
    """Timestamps to integer microseconds."""
    return np.asarray(pc.cast(col, pa.int64()).to_numpy(zero_copy_only=False))


def style_counts(styles: np.ndarray, names: tuple[str, ...], skip: np.ndarray) -> dict[str, int]:
    """How many rows of each style, leaving out the ``skip`` rows (corrupted ones)."""
    keep = np.ones(len(styles), bool)
    keep[skip] = False
    return {
        n: int(c)
        for n, c in zip(names, np.bincount(styles[keep], minlength=len(names)), strict=True)
    }


def iso_times(us: np.ndarray) -> list[Any]:
    """Times as ISO strings (the manifest's true values)."""
    values: list[Any] = format_times(us, np.zeros(len(us), np.int8)).to_pylist()
    return values


def plain_amounts(fen: np.ndarray) -> list[Any]:
    """Amounts as plain strings (the manifest's true values)."""
    values: list[Any] = format_amounts(fen, np.zeros(len(fen), np.int8)).to_pylist()
    return values
