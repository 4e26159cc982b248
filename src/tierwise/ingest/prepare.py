"""Text files that are not plain CSV: title rows above the header, columns separated by runs
of spaces (R-DAT-2).

Such a file is copied, line by line, into a plain UTF-8 CSV in a temporary folder: the lines
above the header are left out and whitespace-separated fields become CSV fields. The copy is
read by the streaming reader, and its row numbers are moved back to the original file's, so
the quarantine and the errors name the rows a user sees in the file.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
import weakref
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from tierwise.ingest.encoding import Utf8Stream, detect_encoding, normalize_encoding
from tierwise.ingest.readers import Batch, Source, read_csv

WHITESPACE = "whitespace"


def _positions_header(path: Path, encoding: str, delimiter: str) -> list[str]:
    """``column 1`` … ``column N`` for a file without a header row (N from its first line)."""
    with open(path, encoding=encoding, errors="replace", newline="") as fh:
        first = next((ln for ln in fh if ln.strip()), "").lstrip("\ufeff").rstrip("\r\n")
    fields = (
        first.split()
        if delimiter == WHITESPACE
        else next(csv.reader([first], delimiter=delimiter), [])
    )
    return [f"column {i + 1}" for i in range(len(fields))]


def _copy(
    path: Path, encoding: str, delimiter: str, header_row: int, stop_line: int | None
) -> Path:
    fd, name = tempfile.mkstemp(prefix="tierwise-prepared-", suffix=".csv")
    with (
        Utf8Stream(path, encoding) as stream,
        io.TextIOWrapper(io.BufferedReader(stream), encoding="utf-8", newline="") as text,
        os.fdopen(fd, "w", encoding="utf-8", newline="") as out,
    ):
        writer = csv.writer(
            out, lineterminator="\n", delimiter="," if delimiter == WHITESPACE else delimiter
        )
        if header_row == 0:  # no header row: columns named by position
            writer.writerow(_positions_header(path, encoding, delimiter))
        for i, line in enumerate(text, 1):
            if i < header_row:
                continue
            if stop_line is not None and i >= stop_line:
                break  # the total rows the file ends with (see totals.py)
            if delimiter == WHITESPACE:
                fields = line.split()
                if fields or i == header_row:
                    writer.writerow(fields)
                else:
                    out.write("\n")  # a blank line stays a (skipped) line: row numbers hold
            else:
                out.write(line if line.endswith("\n") else line + "\n")
    return Path(name)


def _shifted(batches: Iterator[Batch], offset: int) -> Iterator[Batch]:
    for b in batches:
        yield Batch(
            b.data,
            pc.add(b.rows, pa.scalar(offset, pa.int64())),
            [replace(m, row=m.row + offset if m.row is not None else None) for m in b.malformed],
        )


def read_prepared_csv(
    path: Path,
    *,
    encoding: str | None,
    delimiter: str,
    header_row: int,
    stop_line: int | None = None,
    notes: list[str] | None = None,
) -> Source:
    """Read a text file whose header is on ``header_row`` (0: no header row, columns named
    ``column 1`` … by position), whose fields are separated by whitespace
    (``delimiter="whitespace"``) or that ends with total rows (from line ``stop_line`` on,
    left out; ``notes`` say so), through a plain CSV copy.

    The copy is removed when the returned source is garbage-collected.
    """
    enc = normalize_encoding(encoding) if encoding else detect_encoding(path)
    copy = _copy(path, enc, delimiter, header_row, stop_line)
    inner = read_csv(
        copy, encoding="utf-8", delimiter="," if delimiter == WHITESPACE else delimiter
    )
    source = Source(
        str(path),
        inner.headers,
        _shifted(inner.batches, header_row - 1),
        enc,
        csv_path=None,  # streamed: the whole-file path would count rows in the copy
        delimiter=inner.delimiter,
        notes=list(notes or []),
    )
    weakref.finalize(source, copy.unlink, missing_ok=True)
    return source
