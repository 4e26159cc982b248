"""Row-level dirt for a chunk of an export: which rows get which defect, and duplicated rows.

The functions here work on one chunk of string columns and return the defects they
injected with chunk-relative row indices; the writer turns those into file row numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

BAD_DATES = (
    "N/A",
    "0000-00-00 00:00:00",
    "2025-13-45 25:61:00",
    "昨天",
    "2025/02/30 10:00",
    "#######",
)
BAD_AMOUNTS = ("约1200", "--", "1,2,3.4", "#VALUE!", "待定", "12O0.00")


def choose_rows(rng: np.random.Generator, n: int, rates: dict[str, float]) -> dict[str, np.ndarray]:
    """Disjoint sets of rows, one per defect kind, each about ``rate × n`` rows (sorted)."""
    perm = rng.permutation(n)
    out, start = {}, 0
    for kind, rate in rates.items():
        k = min(int(rng.binomial(n, rate)), n - start)
        out[kind] = np.sort(perm[start : start + k])
        start += k
    return out


def replace(column: pa.Array, rows: np.ndarray, values: Sequence[str | None]) -> pa.Array:
    """``column`` with ``rows`` replaced by ``values``."""
    if len(rows) == 0:
        return column
    mask = np.zeros(len(column), bool)
    mask[rows] = True
    order = np.argsort(rows)  # replace_with_mask fills masked slots in row order
    return pc.replace_with_mask(
        column, pa.array(mask), pa.array([values[i] for i in order], pa.string())
    )


def corrupt(
    rng: np.random.Generator, column: pa.Array, rows: np.ndarray, choices: tuple[str, ...]
) -> tuple[pa.Array, list[Any], list[Any]]:
    """Replace ``rows`` with unparseable ``choices``; returns the column, new and true values."""
    true = column.take(pa.array(rows)).to_pylist()
    bad = [choices[i] for i in rng.integers(0, len(choices), len(rows))]
    return replace(column, rows, list(bad)), bad, true


def corrupt_logged(
    rng: np.random.Generator,
    values: pa.Array,
    rows: np.ndarray,
    choices: tuple[str, ...],
    *,
    kind: str,
    file: str,
    ids: list[Any],
    column: str,
    true_value: list[Any],
) -> tuple[pa.Array, list[dict[str, Any]]]:
    """:func:`corrupt` ``rows`` of ``values`` and the manifest entries that record it
    (``column`` is the export's header, ``true_value`` what the lake holds)."""
    values, bad, _ = corrupt(rng, values, rows, choices)
    return values, entries(kind, file, rows, ids, column=column, value=bad, true_value=true_value)


def duplicate_rows(n: int, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Row order with ``rows`` repeated right after themselves (an export glitch).

    Returns
    -------
    source, copy_positions, original_positions
        ``source[i]`` is the chunk row written at position i; the copies' positions and the
        positions of the rows they copy.
    """
    source = np.sort(np.concatenate([np.arange(n), rows]), kind="stable")
    is_copy = np.concatenate([[False], source[1:] == source[:-1]])
    copies = np.flatnonzero(is_copy)
    return source, copies, copies - 1


def entries(
    kind: str, file: str, rows: np.ndarray, ids: list[Any], **columns: list[Any] | str
) -> list[dict[str, Any]]:
    """Manifest entries for a kind of defect (``rows`` are file row numbers, 1 = first data row)."""
    out = []
    for i, row in enumerate(rows.tolist()):
        entry: dict[str, Any] = {"kind": kind, "file": file, "row": row, "id": ids[i]}
        for key, value in columns.items():
            entry[key] = value if isinstance(value, str) else value[i]
        out.append(entry)
    return out
