"""Readers: every source format as a stream of all-text record batches (R-DAT-2).

Whatever the format, a reader gives the header row and then batches whose columns are named
``c0, c1, ...`` (one per header, all strings, empty cells null) with the source row number of
every row (the header is row 1, so the first data row is row 2), plus the rows the format
itself could not read (a CSV line with the wrong number of fields). Nothing is parsed here;
types are the validator's job, so a bad value is reported with its original text.
"""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from tierwise.errors import DataError
from tierwise.ingest.encoding import Utf8Stream, detect_encoding, normalize_encoding
from tierwise.ingest.totals import trailing_total_lines, without_trailing_totals

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
    notes: list[str] = field(default_factory=list)  # rows skipped as not records (totals)


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


def malformed_reason(actual: int, expected: int, text: str) -> str:
    """Why a CSV record was not read: its field count, and a quote never closed if so.

    The one wording of both CSV paths (the streaming reader and DuckDB's rejected lines).
    """
    reason = f"line has {actual} fields, the header has {expected}"
    if text.count('"') % 2:
        reason += " (a quote is never closed)"
    return reason


def _csv_options(
    ncols: int,
    delimiter: str,
    block_bytes: int,
    on_invalid: Callable[[pacsv.InvalidRow], str],
) -> tuple[pacsv.ReadOptions, pacsv.ParseOptions, pacsv.ConvertOptions]:
    names = _col_names(ncols)
    return (
        pacsv.ReadOptions(column_names=names, block_size=block_bytes, use_threads=False),
        pacsv.ParseOptions(
            delimiter=delimiter, invalid_row_handler=on_invalid, newlines_in_values=True
        ),
        pacsv.ConvertOptions(
            column_types=dict.fromkeys(names, pa.string()),
            strings_can_be_null=True,
            null_values=[""],
            quoted_strings_can_be_null=True,
        ),
    )


@dataclass(frozen=True)
class _Invalid:
    """What pyarrow's parser said of a record it could not read (kept for after the read:
    parsing again inside its callback would nest two pyarrow reads)."""

    row: int | None
    text: str
    actual_columns: int
    expected_columns: int


def _invalid(row: pacsv.InvalidRow, first_row: int) -> _Invalid:
    number = None if row.number is None or row.number < 0 else row.number + first_row - 1
    return _Invalid(number, row.text, row.actual_columns, row.expected_columns)


def _malformed(row: _Invalid) -> Malformed:
    return Malformed(
        row.row, row.text, malformed_reason(row.actual_columns, row.expected_columns, row.text)
    )


def _trailing_empty(row: _Invalid, delimiter: str) -> list[str | None] | None:
    """The fields of a record whose only extra fields are empty (``a,b,c,`` for 3 columns).

    DuckDB's reader reads such a line as its first fields (a trailing delimiter is a
    common export artefact; nothing is lost), so the streaming reader does the same, and
    both CSV paths land the same rows.
    """
    if row.actual_columns <= row.expected_columns:
        return None
    names = _col_names(row.actual_columns)
    data = (row.text + "\n").encode("utf-8")
    read, parse, convert = _csv_options(
        row.actual_columns, delimiter, max(len(data) + 1, 1 << 16), lambda _r: "skip"
    )
    read.column_names = names
    convert.column_types = dict.fromkeys(names, pa.string())
    table = pacsv.read_csv(
        io.BytesIO(data), read_options=read, parse_options=parse, convert_options=convert
    )
    if table.num_rows != 1:
        return None
    fields = [table.column(i)[0].as_py() for i in range(row.actual_columns)]
    if any(f is not None for f in fields[row.expected_columns :]):
        return None
    return fields[: row.expected_columns]


def parse_first_record(
    text: str, ncols: int, delimiter: str, row: int
) -> list[str | None] | Malformed:
    """The first CSV record of ``text``, parsed exactly as :func:`read_csv` parses a file.

    Used for the lines DuckDB's reader rejected: the record is what the streaming reader
    would have made of it, either its fields (a line DuckDB's strict mode refused but the
    streaming reader reads, or one whose undecodable bytes are now U+FFFD for the
    validator) or the malformed row, numbered ``row``. Later records of ``text`` (possibly
    cut short) are ignored.
    """
    bad: list[_Invalid] = []

    def on_invalid(r: pacsv.InvalidRow) -> str:
        if r.number == 1:
            bad.append(_invalid(r, row))
        return "skip"

    data = text.encode("utf-8")
    read, parse, convert = _csv_options(ncols, delimiter, max(len(data) + 1, 1 << 16), on_invalid)
    table = pacsv.read_csv(
        io.BytesIO(data), read_options=read, parse_options=parse, convert_options=convert
    )
    if bad:
        return _trailing_empty(bad[0], delimiter) or _malformed(bad[0])
    if not table.num_rows:
        return Malformed(row, text, malformed_reason(0, ncols, text))
    first = table.slice(0, 1).to_pylist()[0]
    return [first[c] for c in _col_names(ncols)]


def _csv_batches(
    stream: Utf8Stream, ncols: int, delimiter: str, block_bytes: int
) -> Iterator[Batch]:
    bad: list[_Invalid] = []

    def on_invalid(row: pacsv.InvalidRow) -> str:
        bad.append(_invalid(row, 2))
        return "skip"

    def split(
        rows: list[_Invalid],
    ) -> tuple[list[Malformed], list[tuple[int | None, list[str | None]]]]:
        """Malformed records, and those whose extra fields are empty (kept, see _trailing_empty)."""
        malformed, kept = [], []
        for r in rows:
            fields = _trailing_empty(r, delimiter)
            if fields is None:
                malformed.append(_malformed(r))
            else:
                kept.append((r.row, fields))
        return malformed, kept

    if not stream.peek_data():
        stream.close()
        return
    names = _col_names(ncols)
    read, parse, convert = _csv_options(ncols, delimiter, block_bytes, on_invalid)
    reader = pacsv.open_csv(stream, read_options=read, parse_options=parse, convert_options=convert)
    next_row = 2  # row 1 is the header

    def kept_batch(rows: list[tuple[int | None, list[str | None]]]) -> Batch:
        cols = [pa.array([f[i] for _, f in rows], pa.string()) for i in range(ncols)]
        return Batch(pa.record_batch(cols, names), pa.array([r for r, _ in rows], pa.int64()))

    try:
        carry: list[_Invalid] = []
        for rb in reader:
            pending, bad = carry + bad, []
            if all(r.row is not None for r in pending):
                # The parser reads ahead: skipped rows of later blocks may be reported
                # already. This block's are those before its end, which each one pushes on.
                pending.sort(key=lambda r: r.row or 0)
                end, mine = next_row + rb.num_rows, 0
                while mine < len(pending) and (pending[mine].row or 0) < end:
                    mine, end = mine + 1, end + 1
                pending, carry = pending[:mine], pending[mine:]
            else:
                carry = []
            got, more = split(pending)
            total = rb.num_rows + len(got) + len(more)
            skipped = [m.row for m in got] + [r for r, _ in more]
            if skipped and all(r is not None for r in skipped):
                skip = np.array(skipped, dtype=np.int64)
                rows = np.arange(next_row, next_row + total, dtype=np.int64)
                rows = rows[~np.isin(rows, skip)]
            else:
                rows = np.arange(next_row, next_row + rb.num_rows, dtype=np.int64)
            next_row += total
            yield Batch(rb, pa.array(rows), got)
            if more:
                yield kept_batch(more)
        bad = carry + bad
        if bad:  # rows the parser skipped after the last good one
            got, more = split(bad)
            yield Batch(
                pa.record_batch([pa.array([], pa.string())] * ncols, names),
                pa.array([], pa.int64()),
                got,
            )
            if more:
                yield kept_batch(more)
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


def read_xlsx(
    path: Path, *, sheet: str | None = None, batch_rows: int = 100_000, header_row: int = 1
) -> Source:
    """Open an Excel workbook's sheet (first sheet when ``sheet`` is ``None``); the header is
    on ``header_row`` (title rows above it, merged or not, are skipped)."""
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
    it: Iterator[list[object]] = (list(r) for r in ws.iter_rows())
    try:
        for _ in range(header_row - 1):
            next(it)
        header = next(it)
    except StopIteration:
        raise _empty_file(name, "the sheet has no rows") from None
    if header_row == 0:  # no header row: the first row is data, columns named by position
        it = itertools.chain([header], it)
        header = [None] * len(header)
    headers = [str(h) if h not in (None, "") else f"column {i + 1}" for i, h in enumerate(header)]
    while (
        header_row
        and headers
        and headers[-1].startswith("column ")
        and header[len(headers) - 1] in (None, "")
    ):
        headers.pop()
    if not headers:
        raise _empty_file(name, "the header row is blank")
    notes: list[str] = []
    first = max(header_row, 0) + 1
    rows = without_trailing_totals(it, first, notes)
    return Source(
        name, headers, _rows_to_batches(rows, len(headers), first, batch_rows), notes=notes
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
    header_row: int = 1,
) -> Source:
    """Open a file by its format (from the extension when ``fmt`` is ``None``).

    ``header_row`` is the row of the header (rows above it are skipped); ``delimiter`` may
    be ``whitespace`` (runs of spaces or tabs, as in fixed-width logs).
    """
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
        enc = normalize_encoding(encoding) if encoding else detect_encoding(path)
        delimiter = "\t" if path.suffix == ".tsv" else delimiter
        stop, skipped = (
            trailing_total_lines(path, enc, delimiter) if path.stat().st_size else (None, [])
        )
        if header_row != 1 or delimiter == "whitespace" or stop is not None:
            from tierwise.ingest.prepare import read_prepared_csv

            return read_prepared_csv(
                path,
                encoding=enc,
                delimiter=delimiter,
                header_row=header_row,
                stop_line=stop,
                notes=skipped,
            )
        return read_csv(path, encoding=enc, delimiter=delimiter)
    if kind == "xlsx":
        return read_xlsx(path, sheet=sheet, header_row=header_row)
    if kind == "parquet":
        return read_parquet(path)
    raise DataError(
        f"cannot tell the format of {path}",
        hint="use .csv, .xlsx or .parquet, or set `format:` in the mapping",
        file=str(path),
    )
