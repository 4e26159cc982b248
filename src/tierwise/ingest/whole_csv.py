"""The whole-file CSV path: DuckDB's parallel reader reads the file once, and two whole-file
queries validate it (R-DAT-2); the lines DuckDB rejects are re-read by the streaming parser.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

from tierwise.ingest.encoding import CHUNK_BYTES, Utf8Stream
from tierwise.ingest.mapping import Mapping, SourceSpec
from tierwise.ingest.partitions import Progress
from tierwise.ingest.readers import Malformed, Source, parse_first_record
from tierwise.ingest.references import NO_REFS
from tierwise.ingest.validate import References, fast_sql, lit, q, validation_sql
from tierwise.model.tables import TABLES

# Lines DuckDB's reader rejects are taken from its reject table; False is the behaviour
# before (any rejected line sends the whole file to the streaming path), kept so that
# bench_ingest --malformed measures both in one run.
TAKE_REJECTS = True


def utf8_file(source: Source, stage_dir: Path) -> Path:
    """The source CSV as a UTF-8 file: itself, or transcoded into the staging folder.

    Transcoding goes through :class:`Utf8Stream` in 8 MiB chunks (Python's codecs: bounded
    memory, undecodable bytes replaced by U+FFFD, which the validation then reports).
    """
    assert source.csv_path is not None
    if source.encoding in (None, "utf-8", "utf-8-sig"):
        return source.csv_path
    target = stage_dir / "source.utf8.csv"
    with Utf8Stream(source.csv_path, source.encoding) as stream, open(target, "wb") as out:
        shutil.copyfileobj(stream, out, CHUNK_BYTES)
    return target


# DuckDB's reject types the whole-file path takes over; any other sends the file to the
# streaming path: a line over 2 MB, an invalid parser state, and UNQUOTED VALUE (a stray
# or unterminated quote): for those DuckDB 1.4 can report the line and position of the
# record before, and its recovery cuts records where the streaming parser does not
# (found by tests/ingest/test_property.py).
REJECTS_TAKEN = frozenset({"MISSING COLUMNS", "TOO MANY COLUMNS", "INVALID ENCODING"})
QUOTES_OR_BYTES = frozenset({"INVALID ENCODING"})
REREAD_SLACK = 64 * 1024  # bytes read past a rejected line's length, to find its end


@dataclass
class WholeCsv:
    """What the whole-file read left beside the tables: the lines DuckDB rejected."""

    malformed: list[Malformed]  # lines the streaming reader would not read either
    reread: int  # rejected lines the streaming reader reads: validated with the slow rows


def _blank_line_before(path: Path, end: int) -> bool:
    """Whether a blank line occurs in the first ``end`` bytes of ``path``.

    DuckDB counts blank lines in its reject line numbers; the streaming reader (and the
    table DuckDB stores) skip them. A plain byte search (memchr speed, about 1 GB/s) rather
    than a CSV parse: a quoted value holding an empty line counts too, which only sends
    the file to the streaming path.
    """
    tail = b""
    with open(path, "rb") as fh:
        pos = 0
        while pos < end:
            block = fh.read(min(CHUNK_BYTES, end - pos))
            if not block:
                break
            chunk = tail + block
            if b"\n\n" in chunk or b"\n\r\n" in chunk:
                return True
            tail = chunk[-2:]
            pos += len(block)
    return False


def _rejected_lines(
    con: duckdb.DuckDBPyConnection, path: Path, source: Source
) -> tuple[list[Malformed], list[tuple[int, list[str | None]]]] | None:
    """The lines DuckDB rejected, re-read from the file as the streaming reader reads them.

    Returns the malformed records and the readable ones (row number, fields), or
    None when DuckDB rejected something the whole-file path does not take over.

    DuckDB's ``line`` counts records as the streaming reader does (the header is line 1, a
    quoted newline stays inside its record) except blank lines, which it counts and the
    streaming reader skips: a file with a blank line before a rejected one is streamed.
    ``csv_line`` is not used as the text: DuckDB replaces invalid UTF-8 (taking a
    following delimiter with it), and puts the newline of the line before it first. The
    record is read again from the file at ``line_byte_position`` instead, decoded with
    U+FFFD for invalid bytes as the streaming reader decodes it, and parsed by the same
    pyarrow parser.
    """
    rows = con.execute(
        "SELECT line, min(line_byte_position), list(DISTINCT error_type), "
        "any_value(csv_line) FROM reject_errors GROUP BY line ORDER BY line"
    ).fetchall()
    if not rows:
        return [], []
    if any(not set(types) <= REJECTS_TAKEN for _, _, types, _ in rows):
        return None
    if _blank_line_before(path, max(int(pos) for _, pos, _, _ in rows)):
        return None
    malformed: list[Malformed] = []
    readable: list[tuple[int, list[str | None]]] = []
    with open(path, "rb") as fh:
        for line, pos, types, csv_line in rows:
            # DuckDB 1.4's line_byte_position is one past where its csv_line starts (the
            # record, or the '\n' of a CRLF before it), measured in the whole file.
            shown = str(csv_line or "")
            fh.seek(max(int(pos) - 1, 0))
            data = fh.read(len(shown.encode("utf-8")) + REREAD_SLACK).lstrip(b"\r\n")
            text = data.decode("utf-8", errors="replace")
            # Check that the bytes read are the line DuckDB rejected (up to the first
            # character DuckDB replaced, for invalid UTF-8); if not, stream the file.
            record = shown.lstrip("\r\n").rstrip("\r\n")
            head = record.split("?")[0] if "INVALID ENCODING" in types else record
            if not text.startswith(head):
                return None
            got = parse_first_record(text, len(source.headers), source.delimiter, int(line))
            if QUOTES_OR_BYTES & set(types):
                # The record must read the same cut where DuckDB ended it (the streaming
                # parser may end it elsewhere, a quote in it being read otherwise), or the
                # file is streamed. DuckDB shows each invalid byte as one '?', so its line
                # is as many bytes long as the record.
                if "INVALID ENCODING" in types:
                    record = data[: len(record.encode("utf-8"))].decode("utf-8", errors="replace")
                cut = parse_first_record(
                    record + "\n", len(source.headers), source.delimiter, int(line)
                )
                if cut != got:
                    return None
            if isinstance(got, Malformed):
                malformed.append(got)
            else:
                readable.append((int(line), got))
    return malformed, readable


PROGRESS_SECONDS = 0.25  # how often the whole-file read reports its progress


def _estimated_rows(path: Path) -> int:
    """Data rows of a CSV estimated from its size and the length of its first lines."""
    size = path.stat().st_size
    with open(path, "rb") as fh:
        head = fh.read(1 << 20)
    lines = head.count(b"\n")
    if lines < 2 or len(head) >= size:
        return max(lines - 1, 1)
    return max(int(size / (len(head) / lines)) - 1, 1)


@contextmanager
def _polled(con: duckdb.DuckDBPyConnection, progress: Progress | None, rows: int) -> Iterator[None]:
    """Report the progress of the statement ``con`` runs meanwhile, as estimated rows.

    DuckDB's ``query_progress()`` (percent of the scan) is read from another thread every
    PROGRESS_SECONDS while the statement runs; the callback gets that share of ``rows``.
    """
    if progress is None:
        yield
        return
    done = threading.Event()

    def poll() -> None:
        last = 0
        while not done.wait(PROGRESS_SECONDS):
            try:
                pct = con.query_progress()  # -1 before DuckDB starts tracking the statement
            except duckdb.Error:  # progress is a nicety: never an error of the load
                return
            n = int(rows * min(pct, 99.0) / 100.0)  # the exact count comes at the end
            if n > last:
                progress(n)
                last = n

    thread = threading.Thread(target=poll, name="ingest-progress", daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()


def stage_whole_csv(
    con: duckdb.DuckDBPyConnection,
    source: Source,
    spec: SourceSpec,
    mapping: Mapping,
    positions: dict[str, int | None],
    *,
    refs: References,
    now: datetime,
    stage_dir: Path,
    progress: Progress | None = None,
) -> WholeCsv | None:
    """Read a CSV file with DuckDB's parallel reader and validate it in two whole-file queries.

    Leaves the view ``good`` (the rows to write) and the table ``res`` (the repaired and the
    rejected rows, see :func:`validation_sql`). Lines DuckDB's strict reader rejects (the
    wrong number of fields, an unterminated quote, invalid UTF-8) are skipped by the read
    and kept in its reject table (``store_rejects``); each is read again from the file by
    the streaming reader's parser (:func:`_rejected_lines`): a malformed one is returned for
    the quarantine, a readable one joins the rows of the full query. Returns None, having
    written nothing, when DuckDB fails on the file or rejects what this cannot take over
    (a line over 2 MB, a blank line before a rejected line ...): the caller then streams it.

    Row numbers: DuckDB keeps the file order when it stores the result of a query
    (``preserve_insertion_order``, on by default), so the ``rowid`` of the table ``fast`` is
    the ordinal of the data row among the rows DuckDB accepted; adding the number of
    rejected lines before it gives the row as the streaming reader counts it (header = 1).
    This holds only for a query without a join: DuckDB 1.4 does not keep the order through
    one (an IN list inside AND, or the reference check, gave wrong rows), so the first pass
    has none, and the rows whose only problem is a reference are found afterwards on the
    stored table (:func:`check_references_whole`), as the streaming path finds them.
    """
    t = TABLES[spec.table]
    ncols = len(source.headers)
    texts = [f"c{i}" for i in range(ncols)]
    path = utf8_file(source, stage_dir)
    columns = "{" + ", ".join(f"{lit(c)}: 'VARCHAR'" for c in texts) + "}"
    reader = (
        f"read_csv({lit(str(path))}, header = true, columns = {columns}, "
        f"delim = {lit(source.delimiter)}, quote = '\"', escape = '\"', auto_detect = false, "
        f"strict_mode = true, null_padding = false, store_rejects = {str(TAKE_REJECTS).lower()})"
    )
    # No reference check in the first pass: its join would lose the file order (see the
    # docstring); references are checked on the stored table (check_references_whole).
    first_pass = fast_sql(
        spec,
        mapping,
        positions,
        now=now,
        refs=NO_REFS,
        source_rel=reader,
        passthrough=", ".join(texts),
    )
    keep = ", ".join(f"CASE WHEN _ok THEN NULL ELSE {c} END AS {c}" for c in texts)
    names = ", ".join(q(c) for c in t.names)
    try:
        try:
            with _polled(con, progress, _estimated_rows(path) if progress else 0):
                con.execute(
                    f"CREATE TEMP TABLE fast AS SELECT {names}, _ok, {keep} FROM ({first_pass})"
                )
        except duckdb.Error:
            rejected = None
        else:
            rejected = _rejected_lines(con, path, source) if TAKE_REJECTS else ([], [])
        if rejected is None:
            con.execute("DROP TABLE IF EXISTS fast")
            return None
    finally:  # the rows are in ``fast`` now, or the stream path reads the source itself
        if path != source.csv_path:
            path.unlink(missing_ok=True)
    malformed, readable = rejected
    # rowid → row: a rejected line at row R_i (i = 1, 2, ... in file order) has
    # g_i = R_i - 1 - i accepted rows before it, so the accepted row with rowid >= g_i (and
    # below the next g) has i rejected lines before it: row = rowid + 2 + i.
    rej = sorted([m.row for m in malformed if m.row is not None] + [r for r, _ in readable])
    # Consecutive rejected lines share g: keep the last (largest i) of each.
    last = {r - 1 - i: i for i, r in enumerate(rej, 1)}
    # Lists as parameters, unnested side by side: registering a Python object makes DuckDB
    # import pandas (2 s) to look at it.
    con.execute(
        "CREATE TEMP TABLE rej_shift AS SELECT unnest($g) AS g, unnest($i) AS i",
        {"g": list(last), "i": list(last.values())},
    )
    con.execute(
        "CREATE TEMP TABLE slow_src AS SELECT fast.rowid + 2 + coalesce(s.i, 0) AS _row, "
        f"{', '.join('fast.' + c for c in texts)} FROM fast "
        "ASOF LEFT JOIN rej_shift s ON fast.rowid >= s.g WHERE NOT fast._ok ORDER BY _row"
    )
    if readable:
        params: dict[str, list[int] | list[str | None]] = {"row": [r for r, _ in readable]}
        params |= {c: [f[k] for _, f in readable] for k, c in enumerate(texts)}
        unnested = ", ".join(f"unnest(${c})::VARCHAR AS {c}" for c in texts)
        con.execute(
            "CREATE OR REPLACE TEMP TABLE slow_src AS SELECT * FROM (SELECT * FROM slow_src "
            f"UNION ALL SELECT unnest($row)::BIGINT AS _row, {unnested}) ORDER BY _row",
            params,
        )
    sql = validation_sql(
        spec,
        mapping,
        positions,
        source.headers,
        encoding=source.encoding or "utf-8",
        now=now,
        refs=refs,
        source_rel="slow_src",
    )
    con.execute(f"CREATE TEMP TABLE res AS {sql}")
    con.execute("CREATE TEMP TABLE orphans (_pos BIGINT)")
    con.execute(
        f"CREATE TEMP VIEW good AS SELECT {names} FROM fast WHERE _ok "
        "AND rowid NOT IN (SELECT _pos FROM orphans) "
        f"UNION ALL SELECT {names} FROM res WHERE _problems IS NULL"
    )
    return WholeCsv(malformed, len(readable))
