"""Readers: every source format as a stream of all-text record batches (R-DAT-2).

Whatever the format, a reader gives the header row and then batches whose columns are named
``c0, c1, ...`` (one per header, all strings, empty cells null) with the source row number of
every row (the header is row 1, so the first data row is row 2), plus the rows the format
itself could not read (a CSV line with the wrong number of fields). Nothing is parsed here;
types are the validator's job, so a bad value is reported with its original text.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from tierwise.errors import DataError
from tierwise.ingest.encoding import Utf8Stream, detect_encoding, normalize_encoding

BLOCK_BYTES = 16 * 1024 * 1024
SQL_BATCH_ROWS = 50_000


@dataclass(frozen=True)
class Malformed:
    """A source row the format itself could not read."""

    row: int | None
    text: str
    reason: str


@dataclass
class Batch:
    """Rows of a source as text, with their source row numbers."""

    data: pa.RecordBatch
    rows: pa.Array
    malformed: list[Malformed] = field(default_factory=list)


@dataclass
class Source:
    """An opened source: its header row, how it was decoded, and its batches (read lazily)."""

    name: str
    headers: list[str]
    batches: Iterator[Batch]
    encoding: str | None = None
    csv_path: Path | None = None  # a CSV file: the loader may read it whole with DuckDB
    delimiter: str = ","


def _col_names(n: int) -> list[str]:
    return [f"c{i}" for i in range(n)]


def _empty_file(name: str, what: str) -> DataError:
    return DataError(
        f"{name} is empty ({what})",
        hint="export the data again; a file needs a header row and at least one data row",
        file=name,
    )


def read_csv(
    path: Path, *, encoding: str | None = None, delimiter: str = ",", block_bytes: int = BLOCK_BYTES
) -> Source:
    """Open a CSV file for streaming, whatever its encoding.

    Parameters
    ----------
    path:
        The file.
    encoding:
        ``utf-8``, ``utf-8-sig``, ``gbk``, ``gb18030``; detected when ``None``.
    delimiter:
        Field separator.
    block_bytes:
        Bytes parsed per batch; bounds memory use whatever the file size.
    """
    name = str(path)
    if path.stat().st_size == 0:
        raise _empty_file(name, "0 bytes, no header row")
    enc = normalize_encoding(encoding) if encoding else detect_encoding(path)
    stream = Utf8Stream(path, enc)
    # Read the header line ourselves: duplicated or odd headers must not be renamed silently.
    head = b""
    while not head.endswith(b"\n"):
        ch = stream.read(1)
        if not ch:
            break
        head += ch
    header_text = head.decode("utf-8").rstrip("\r\n")
    if not header_text.strip():
        stream.close()
        raise _empty_file(name, "no header row")
    headers = next(csv.reader([header_text], delimiter=delimiter))
    return Source(
        name,
        headers,
        _csv_batches(stream, len(headers), delimiter, block_bytes),
        enc,
        csv_path=path,
        delimiter=delimiter,
    )


def _csv_batches(
    stream: Utf8Stream, ncols: int, delimiter: str, block_bytes: int
) -> Iterator[Batch]:
    bad: list[Malformed] = []

    def on_invalid(row: pacsv.InvalidRow) -> str:
        number = None if row.number is None or row.number < 0 else row.number + 1
        bad.append(
            Malformed(
                number,
                row.text,
                f"line has {row.actual_columns} fields, the header has {row.expected_columns}",
            )
        )
        return "skip"

    names = _col_names(ncols)
    if not stream.peek_data():
        stream.close()
        return
    reader = pacsv.open_csv(
        stream,
        read_options=pacsv.ReadOptions(
            column_names=names, block_size=block_bytes, use_threads=False
        ),
        parse_options=pacsv.ParseOptions(
            delimiter=delimiter, invalid_row_handler=on_invalid, newlines_in_values=True
        ),
        convert_options=pacsv.ConvertOptions(
            column_types=dict.fromkeys(names, pa.string()),
            strings_can_be_null=True,
            null_values=[""],
            quoted_strings_can_be_null=True,
        ),
    )
    next_row = 2  # row 1 is the header
    try:
        for rb in reader:
            got, bad = bad, []
            total = rb.num_rows + len(got)
            if got and all(m.row is not None for m in got):
                skip = np.array([m.row for m in got], dtype=np.int64)
                rows = np.arange(next_row, next_row + total, dtype=np.int64)
                rows = rows[~np.isin(rows, skip)]
            else:
                rows = np.arange(next_row, next_row + rb.num_rows, dtype=np.int64)
            next_row += total
            yield Batch(rb, pa.array(rows), got)
        if bad:  # malformed rows after the last good one
            yield Batch(
                pa.record_batch([pa.array([], pa.string())] * ncols, names),
                pa.array([], pa.int64()),
                bad,
            )
    finally:
        stream.close()


def _cell_text(v: object) -> str | None:
    if v is None or v == "":
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() and abs(v) < 1e15 else repr(v)
    if isinstance(v, datetime):
        return v.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, time):
        return v.isoformat()
    return str(v)


def _rows_to_batches(
    rows: Iterator[list[object]], ncols: int, first_row: int, batch_rows: int
) -> Iterator[Batch]:
    names = _col_names(ncols)
    buf: list[list[object]] = []
    start = first_row

    def flush() -> Batch:
        cols = [[_cell_text(r[i]) if i < len(r) else None for r in buf] for i in range(ncols)]
        malformed = [
            Malformed(start + k, repr(r), f"row has {len(r)} cells, the header has {ncols}")
            for k, r in enumerate(buf)
            if len(r) > ncols and any(c not in (None, "") for c in r[ncols:])
        ]
        bad = {m.row for m in malformed}
        keep = [k for k in range(len(buf)) if start + k not in bad]
        data = pa.record_batch([pa.array([c[k] for k in keep], pa.string()) for c in cols], names)
        return Batch(data, pa.array([start + k for k in keep], pa.int64()), malformed)

    for r in rows:
        buf.append(r)
        if len(buf) >= batch_rows:
            yield flush()
            start += len(buf)
            buf = []
    if buf:
        yield flush()


def read_xlsx(path: Path, *, sheet: str | None = None, batch_rows: int = 100_000) -> Source:
    """Open an Excel workbook's sheet (first sheet when ``sheet`` is ``None``)."""
    from python_calamine import CalamineWorkbook

    name = str(path)
    try:
        wb = CalamineWorkbook.from_path(str(path))
    except Exception as exc:
        raise DataError(f"{name} is not a readable .xlsx workbook: {exc}", file=name) from None
    sheets = list(wb.sheet_names)
    if sheet is not None and sheet not in sheets:
        raise DataError(
            f"{name} has no sheet {sheet!r}; its sheets are: {', '.join(sheets)}",
            hint="set `sheet:` in the mapping",
            file=name,
        )
    ws = wb.get_sheet_by_name(sheet if sheet is not None else sheets[0])
    it = iter(ws.iter_rows())
    try:
        header = list(next(it))
    except StopIteration:
        raise _empty_file(name, "the sheet has no rows") from None
    headers = [str(h) if h not in (None, "") else f"column {i + 1}" for i, h in enumerate(header)]
    while headers and headers[-1].startswith("column ") and header[len(headers) - 1] in (None, ""):
        headers.pop()
    if not headers:
        raise _empty_file(name, "the header row is blank")
    return Source(
        name, headers, _rows_to_batches((list(r) for r in it), len(headers), 2, batch_rows)
    )


def read_parquet(path: Path, *, batch_rows: int = 500_000) -> Source:
    """Open a Parquet file; typed columns are turned to text and validated like any source."""
    name = str(path)
    pf = pq.ParquetFile(path)
    headers = list(pf.schema_arrow.names)
    names = _col_names(len(headers))

    def batches() -> Iterator[Batch]:
        start = 2
        for rb in pf.iter_batches(batch_size=batch_rows):
            cols = []
            for col in rb.columns:
                if pa.types.is_timestamp(col.type):
                    col = col.cast(pa.timestamp("s"), safe=False)
                cols.append(col.cast(pa.string()))
            yield Batch(
                pa.record_batch(cols, names),
                pa.array(np.arange(start, start + rb.num_rows, dtype=np.int64)),
            )
            start += rb.num_rows

    return Source(name, headers, batches())


def read_sql(url: str, query: str, *, batch_rows: int = SQL_BATCH_ROWS) -> Source:
    """Run ``query`` (a table name or a SELECT) on a SQLAlchemy URL and stream its rows."""
    import sqlalchemy as sa

    sql = query if " " in query.strip() else f"SELECT * FROM {query}"
    engine = sa.create_engine(url)
    conn = engine.connect()
    try:
        result = conn.execution_options(stream_results=True).execute(sa.text(sql))
    except sa.exc.SQLAlchemyError as exc:
        conn.close()
        engine.dispose()
        raise DataError(f"query {sql!r} failed on {url}: {exc.__class__.__name__}: {exc}") from None
    headers = list(result.keys())

    def rows() -> Iterator[list[object]]:
        try:
            while chunk := result.fetchmany(batch_rows):
                for r in chunk:
                    yield list(r)
        finally:
            conn.close()
            engine.dispose()

    name = f"{engine.url.render_as_string(hide_password=True)} :: {query}"
    return Source(name, headers, _rows_to_batches(rows(), len(headers), 2, batch_rows))


def open_source(
    path: Path,
    *,
    fmt: str | None = None,
    encoding: str | None = None,
    sheet: str | None = None,
    delimiter: str = ",",
) -> Source:
    """Open a file by its format (from the extension when ``fmt`` is ``None``)."""
    if not path.exists():
        raise DataError(f"source file {path} does not exist", file=str(path))
    kind = fmt or {
        ".csv": "csv",
        ".txt": "csv",
        ".tsv": "csv",
        ".xlsx": "xlsx",
        ".xlsm": "xlsx",
        ".parquet": "parquet",
        ".pq": "parquet",
    }.get(path.suffix.lower())
    if kind == "csv":
        return read_csv(
            path, encoding=encoding, delimiter="\t" if path.suffix == ".tsv" else delimiter
        )
    if kind == "xlsx":
        return read_xlsx(path, sheet=sheet)
    if kind == "parquet":
        return read_parquet(path)
    raise DataError(
        f"cannot tell the format of {path}",
        hint="use .csv, .xlsx or .parquet, or set `format:` in the mapping",
        file=str(path),
    )
