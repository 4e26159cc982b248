"""Safe loads: one source into one partition of the raw lake, all or nothing (R-DAT-2, R-DAT-4).

A load reads its source as a stream, validates it with one DuckDB query, and writes the good rows
to ``RAW/<table>/<partition>.parquet`` and the rejected ones to the quarantine, both first into
``RAW/_staging/<load id>/``; :func:`commit` then renames the staged files over the previous ones
(``os.replace`` is atomic), so a load killed half-way leaves the previous lake intact, and a
re-ingest of the same file replaces its partition instead of appending to it. Each committed
load appends one line to ``RAW/_loads.jsonl``: source, checksum, row counts and times.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from tierwise.errors import DataError
from tierwise.ingest.encoding import CHUNK_BYTES, Utf8Stream
from tierwise.ingest.mapping import Mapping, SourceSpec, resolve_columns
from tierwise.ingest.prefetch import prefetch
from tierwise.ingest.quarantine import QUARANTINE_SCHEMA, quarantine_batch, quarantine_path
from tierwise.ingest.readers import Batch, Malformed, Source, parse_first_record
from tierwise.ingest.validate import References, fast_sql, lit, q, validation_sql
from tierwise.model.tables import TABLES, Column, Table

LOG_NAME = "_loads.jsonl"
SQL_TYPES = {
    "string": "VARCHAR",
    "int32": "INTEGER",
    "int64": "BIGINT",
    "float64": "DOUBLE",
    "money": "DECIMAL(18,2)",
    "date": "DATE",
    "timestamp": "TIMESTAMP",
    "bool": "BOOLEAN",
}
PREFETCH = True  # parse the next block while DuckDB validates this one
WHOLE_CSV = True  # CSV files: DuckDB's parallel reader first (see _stage_whole_csv)
# Lines DuckDB's reader rejects are taken from its reject table; False is the behaviour
# before (any rejected line sends the whole file to the streaming path), kept so that
# bench_ingest --malformed measures both in one run.
TAKE_REJECTS = True
STAGING = "_staging"

Progress = Callable[[int], None]


@dataclass
class LoadResult:
    """What one load did: the facts written to the load log and the data-quality report."""

    load_id: str
    source: str
    table: str
    partition: str
    checksum: str
    bytes: int
    encoding: str | None
    rows_in: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    problems: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    started: str = ""
    finished: str = ""
    seconds: float = 0.0
    status: str = "staged"  # staged | loaded | unchanged
    examples: list[dict[str, object]] = field(default_factory=list)

    def to_json(self) -> dict[str, object]:
        return asdict(self)


@dataclass
class StagedFiles:
    """A staged load: its result and where its files wait to be committed."""

    result: LoadResult
    lake_file: Path
    lake_target: Path
    quarantine_file: Path
    quarantine_target: Path


def file_checksum(path: Path, chunk: int = 8 * 1024 * 1024) -> str:
    """SHA-256 of a file's bytes, read in chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


def partition_name(source_name: str) -> str:
    """The lake partition of a source: its file name with unsafe characters replaced."""
    base = Path(source_name.split(" :: ")[-1]).name
    return re.sub(r"[^\w.\-]+", "_", base).strip("._") or "source"


def read_load_log(raw: Path) -> list[dict[str, object]]:
    """Every committed load of a raw lake, oldest first."""
    path = raw / LOG_NAME
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def last_checksum(raw: Path, table: str, partition: str) -> str | None:
    """The checksum of the last committed load of a partition, if its file still exists."""
    if not (raw / table / f"{partition}.parquet").exists():
        return None
    for entry in reversed(read_load_log(raw)):
        if entry.get("table") == table and entry.get("partition") == partition:
            return str(entry.get("checksum"))
    return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep_staging(raw: Path) -> int:
    """Remove staging folders left by loads that were killed (their process is gone)."""
    root = raw / STAGING
    removed = 0
    if not root.is_dir():
        return 0
    for d in root.iterdir():
        parts = d.name.split(".")
        if len(parts) >= 3 and parts[-2].isdigit() and not _alive(int(parts[-2])):
            shutil.rmtree(d, ignore_errors=True)
            removed += 1
    return removed


def _reference_tables(
    con: duckdb.DuckDBPyConnection,
    spec: SourceSpec,
    raw: Path,
    home: Path,
    staged: list[StagedFiles],
) -> tuple[References, list[str]]:
    refs: dict[tuple[str, str], str] = {}
    quarantined: dict[tuple[str, str], str] = {}
    notes: list[str] = []
    for col in TABLES[spec.table].columns:
        if not col.references:
            continue
        rt, rc = col.references.split(".")
        replaced = {s.lake_target for s in staged if s.result.table == rt}
        files = [str(s.lake_file) for s in staged if s.result.table == rt]
        tdir = raw / rt
        if tdir.is_dir():
            files += [str(p) for p in sorted(tdir.rglob("*.parquet")) if p not in replaced]
        if not files:
            notes.append(f"{col.name} not checked against {rt}.{rc}: no {rt} loaded yet")
            continue
        name = f"ref_{rt}_{rc}"
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {name} AS "
            f"SELECT DISTINCT {rc} AS k FROM read_parquet(?)",
            [files],
        )
        refs[(rt, rc)] = name
        if TABLES[rt].grain[0] != rc:
            continue
        q_replaced = {s.quarantine_target for s in staged if s.result.table == rt}
        q_files = [str(s.quarantine_file) for s in staged if s.result.table == rt]
        qdir = home / "quarantine" / rt
        if qdir.is_dir():
            q_files += [str(p) for p in sorted(qdir.glob("*.parquet")) if p not in q_replaced]
        if q_files:
            qname = f"qref_{rt}_{rc}"
            con.execute(
                f"CREATE OR REPLACE TEMP TABLE {qname} AS SELECT DISTINCT key AS k "
                f"FROM read_parquet(?, union_by_name = true) WHERE key IS NOT NULL "
                f"EXCEPT SELECT k FROM {name}",
                [q_files],
            )
            quarantined[(rt, rc)] = qname
    return References(refs, quarantined), notes


def _with_rows(
    source: Source, malformed: list[Batch], errors: list[BaseException]
) -> pa.RecordBatchReader:
    names = [f"c{i}" for i in range(len(source.headers))]
    schema = pa.schema([pa.field(n, pa.string()) for n in names] + [pa.field("_row", pa.int64())])

    def gen() -> Iterator[pa.RecordBatch]:
        try:
            for b in source.batches:
                if b.malformed:
                    malformed.append(b)
                if b.data.num_rows:
                    yield pa.record_batch([*b.data.columns, b.rows], schema=schema)
        except Exception as exc:  # surfaced by stage_load after DuckDB stops
            errors.append(exc)
            raise

    return pa.RecordBatchReader.from_batches(schema, gen())


NO_REFS = References({}, {})


def _reference_checks(t: Table, refs: References, prefix: str) -> Iterator[tuple[Column, str, str]]:
    """Each column of ``t`` whose referenced table is loaded: the column, the table of the
    referenced keys, and the SQL of the reason an orphan gets (``prefix`` qualifies the
    column, e.g. ``f.``): "orphan", or "its parent row is in quarantine" when it is."""
    for col in t.columns:
        if not col.references:
            continue
        rt, rc = col.references.split(".")
        ref = refs.tables.get((rt, rc))
        if ref is None:
            continue
        qref = refs.quarantined.get((rt, rc))
        orphan = lit(f"{col.name}: orphan: no {rt} row has this {rc}")
        reason = orphan
        if qref is not None:
            parent = lit(
                f"{col.name}: its {rt} row is in quarantine (no {rt} row loaded with this {rc})"
            )
            reason = (
                f"CASE WHEN {prefix}{q(col.name)} IN (SELECT k FROM {qref}) "
                f"THEN {parent} ELSE {orphan} END"
            )
        yield col, ref, reason


def _check_references(
    con: duckdb.DuckDBPyConnection,
    t: Table,
    refs: References,
    q_w: pq.ParquetWriter,
    load_id: str,
    source: str,
    result: LoadResult,
    problems: Counter[str],
) -> None:
    """Move loaded rows whose reference does not exist from ``good`` to the quarantine.

    One anti-join per reference over the whole load: checking each block would build the
    hash table of the referenced keys once per block.
    """
    for col, ref, reason in _reference_checks(t, refs, ""):
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE fk_bad AS SELECT * FROM good "
            f"WHERE {q(col.name)} IS NOT NULL AND {q(col.name)} NOT IN (SELECT k FROM {ref})"
        )
        packed = ", ".join(f"{q(c)} := {q(c)}" for c in t.names)
        bad = con.execute(
            f"SELECT _row, {lit(col.name)} AS _column, CAST({q(col.name)} AS VARCHAR) AS _value, "
            f"{reason} AS _problems, CAST(to_json(struct_pack({packed})) AS VARCHAR) AS _raw, "
            f"CAST({q(t.grain[0])} AS VARCHAR) AS _key FROM fk_bad ORDER BY _row"
        ).fetch_arrow_table()
        if not bad.num_rows:
            continue
        con.execute("DELETE FROM good WHERE _row IN (SELECT _row FROM fk_bad)")
        _quarantine_rows(bad, q_w, load_id, source, t.name, result, problems)
        result.rows_loaded -= bad.num_rows
        result.rows_quarantined += bad.num_rows


def _check_references_whole(
    con: duckdb.DuckDBPyConnection,
    t: Table,
    refs: References,
    q_w: pq.ParquetWriter,
    load_id: str,
    source: str,
    result: LoadResult,
    problems: Counter[str],
) -> None:
    """The reference check of a CSV read whole: rows of ``fast`` that passed every other
    check go to the quarantine (and into ``orphans``, out of ``good``) when their reference
    does not exist. Same reasons and ``raw`` (canonical values as JSON) as
    :func:`_check_references`; the row is ``rowid`` + 2 + the rejected lines before it.
    Rows that failed another check were checked by the full query, references included.
    """
    packed = ", ".join(f"{q(c)} := f.{q(c)}" for c in t.names)
    for col, ref, reason in _reference_checks(t, refs, "f."):
        bad = con.execute(
            f"SELECT f.rowid AS _pos, f.rowid + 2 + coalesce(s.i, 0) AS _row, "
            f"{lit(col.name)} AS _column, CAST(f.{q(col.name)} AS VARCHAR) AS _value, "
            f"{reason} AS _problems, CAST(to_json(struct_pack({packed})) AS VARCHAR) AS _raw, "
            f"CAST(f.{q(t.grain[0])} AS VARCHAR) AS _key "
            "FROM (SELECT rowid, * FROM fast) f ASOF LEFT JOIN rej_shift s ON f.rowid >= s.g "
            f"WHERE f._ok AND f.rowid NOT IN (SELECT _pos FROM orphans) "
            f"AND f.{q(col.name)} IS NOT NULL AND f.{q(col.name)} NOT IN (SELECT k FROM {ref}) "
            "ORDER BY _row"
        ).fetch_arrow_table()
        if not bad.num_rows:
            continue
        con.execute("INSERT INTO orphans SELECT unnest($p)", {"p": bad.column("_pos").to_pylist()})
        _quarantine_rows(bad, q_w, load_id, source, t.name, result, problems)
        result.rows_loaded -= bad.num_rows
        result.rows_quarantined += bad.num_rows


def _quarantine_rows(
    bad: pa.Table,
    q_w: pq.ParquetWriter,
    load_id: str,
    source: str,
    table: str,
    result: LoadResult,
    problems: Counter[str],
) -> None:
    """Write rejected rows (``_row, _column, _value, _problems, _raw, _key``) to the
    quarantine, count their reasons and keep the first 20 as the load's examples."""
    cols = ("_row", "_column", "_value", "_problems", "_raw", "_key")
    batch = quarantine_batch(
        load_id, source, table, *(bad.column(c).combine_chunks() for c in cols)
    )
    q_w.write_table(pa.Table.from_batches([batch]))
    for reason, cnt in Counter(_short(r) for r in bad.column("_problems").to_pylist()).items():
        problems[reason] += cnt
    for r in bad.slice(0, max(0, 20 - len(result.examples))).to_pylist():
        result.examples.append(
            {
                "row": r["_row"],
                "column": r["_column"],
                "value": r["_value"],
                "reason": r["_problems"],
            }
        )


def _short(reason: str) -> str:
    return reason.split(";")[0].strip()


def _utf8_file(source: Source, stage_dir: Path) -> Path:
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


def _stage_whole_csv(
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
    stored table (:func:`_check_references_whole`), as the streaming path finds them.
    """
    t = TABLES[spec.table]
    ncols = len(source.headers)
    texts = [f"c{i}" for i in range(ncols)]
    path = _utf8_file(source, stage_dir)
    columns = "{" + ", ".join(f"{lit(c)}: 'VARCHAR'" for c in texts) + "}"
    reader = (
        f"read_csv({lit(str(path))}, header = true, columns = {columns}, "
        f"delim = {lit(source.delimiter)}, quote = '\"', escape = '\"', auto_detect = false, "
        f"strict_mode = true, null_padding = false, store_rejects = {str(TAKE_REJECTS).lower()})"
    )
    # No reference check in the first pass: its join would lose the file order (see the
    # docstring); references are checked on the stored table (_check_references_whole).
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


def _stage_stream(
    con: duckdb.DuckDBPyConnection,
    source: Source,
    spec: SourceSpec,
    mapping: Mapping,
    positions: dict[str, int | None],
    *,
    refs: References,
    now: datetime,
    q_w: pq.ParquetWriter,
    load_id: str,
    result: LoadResult,
    problems: Counter[str],
    progress: Progress | None,
) -> None:
    """Stream a source block by block into the table ``good``; quarantine the rejected rows.

    Every source other than a CSV file that DuckDB's strict reader accepts comes this way:
    readers give all-text blocks with their row numbers, malformed lines included.
    """
    t = TABLES[spec.table]
    sql = validation_sql(
        spec,
        mapping,
        positions,
        source.headers,
        encoding=source.encoding or "utf-8",
        now=now,
        refs=NO_REFS,
        source_rel="slow_src",
    )
    # References are checked once per load (see _check_references), not per block.
    first_pass = fast_sql(spec, mapping, positions, now=now, refs=NO_REFS)
    malformed: list[Batch] = []
    errors: list[BaseException] = []
    reader = _with_rows(source, malformed, errors)
    cols = ", ".join(f"{q(c.name)} {SQL_TYPES[c.type]}" for c in t.columns)
    con.execute(f"CREATE TEMP TABLE good ({cols}, _row BIGINT)")
    names = ", ".join(q(c) for c in t.names)
    try:
        for batch in prefetch(iter(reader)) if PREFETCH else reader:
            # First pass: rows already in plain form go straight in; the full
            # query repairs or rejects the others.
            con.register("src", pa.Table.from_batches([batch]))
            con.execute(f"CREATE OR REPLACE TEMP TABLE fast AS {first_pass}")
            n_fast, n_all = con.execute(
                "SELECT count(*) FILTER (WHERE _ok), count(*) FROM fast"
            ).fetchone()  # type: ignore[misc]
            if n_fast:
                con.execute(f"INSERT INTO good SELECT {names}, _row FROM fast WHERE _ok")
            n_ok, n_bad = n_fast, 0
            if n_fast < n_all:
                con.execute(
                    "CREATE OR REPLACE TEMP TABLE slow_src AS SELECT src.* FROM src "
                    "SEMI JOIN (SELECT _row FROM fast WHERE NOT _ok) f USING (_row)"
                )
                con.execute(f"CREATE OR REPLACE TEMP TABLE res AS {sql}")
                n_slow, n_bad = con.execute("SELECT count(*), count(_problems) FROM res").fetchone()  # type: ignore[misc]
                if n_slow - n_bad:
                    con.execute(
                        f"INSERT INTO good SELECT {names}, _row FROM res WHERE _problems IS NULL"
                    )
                n_ok += n_slow - n_bad
            con.unregister("src")
            if n_bad:
                _quarantine_res(con, q_w, load_id, source.name, t.name, result, problems)
            result.rows_loaded += n_ok
            result.rows_quarantined += n_bad
            if progress is not None:
                progress(result.rows_loaded + result.rows_quarantined)
    except (duckdb.Error, pa.ArrowException, DataError) as exc:
        cause = errors[0] if errors else exc
        if isinstance(cause, DataError):
            raise cause from None
        raise DataError(
            f"{source.name}: cannot read the source: {cause}",
            hint="check the file's format and encoding (pass --encoding)",
            file=source.name,
        ) from None
    lines = [m for b in malformed for m in b.malformed]
    _quarantine_malformed(lines, q_w, load_id, source.name, t.name)
    _count_malformed(lines, result, problems)
    _check_references(con, t, refs, q_w, load_id, source.name, result, problems)


def _quarantine_malformed(
    lines: list[Malformed], q_w: pq.ParquetWriter, load_id: str, source: str, table: str
) -> None:
    """Write lines the CSV parser could not read to the quarantine: row, reason, line text."""
    if not lines:
        return
    n = len(lines)
    q_w.write_batch(
        quarantine_batch(
            load_id,
            source,
            table,
            pa.array([m.row for m in lines], pa.int64()),
            pa.nulls(n, pa.string()),
            pa.nulls(n, pa.string()),
            pa.array([m.reason for m in lines], pa.string()),
            pa.array([m.text for m in lines], pa.string()),
        )
    )


def _count_malformed(lines: list[Malformed], result: LoadResult, problems: Counter[str]) -> None:
    for m in lines:
        problems["malformed row: " + re.sub(r"\d+", "N", m.reason)] += 1
    result.rows_quarantined += len(lines)


def _quarantine_res(
    con: duckdb.DuckDBPyConnection,
    q_w: pq.ParquetWriter,
    load_id: str,
    source: str,
    table: str,
    result: LoadResult,
    problems: Counter[str],
) -> None:
    """Write the rejected rows of the table ``res`` to the quarantine; count their reasons."""
    bad = con.execute(
        "SELECT _row, _column, _value, _problems, _raw, _key FROM res "
        "WHERE _problems IS NOT NULL ORDER BY _row"
    ).fetch_arrow_table()
    if bad.num_rows:
        _quarantine_rows(bad, q_w, load_id, source, table, result, problems)


def stage_load(
    source: Source,
    spec: SourceSpec,
    mapping: Mapping,
    *,
    raw: Path,
    home: Path,
    checksum: str,
    size: int,
    now: datetime,
    staged: list[StagedFiles] | None = None,
    progress: Progress | None = None,
    allow_empty: bool = False,
    memory_limit: str | None = None,
) -> StagedFiles:
    """Validate a source and write its lake and quarantine files to the staging folder.

    Parameters
    ----------
    source:
        The opened source (header read, batches not yet).
    spec, mapping:
        How its columns map to the canonical table, and the plausibility limits.
    raw, home:
        The raw lake and the Tierwise home (for the quarantine).
    checksum, size:
        The source's SHA-256 and byte size (the load id is derived from the checksum).
    now:
        Load time: later event times are rejected as "in the future".
    staged:
        Loads staged earlier in the same run (referenced tables are checked against them).
    progress:
        Called with the number of rows processed so far.
    allow_empty:
        Accept a source with a header and no data rows (otherwise an error, so an empty
        export never silently replaces a full partition).
    memory_limit:
        DuckDB's memory cap for this load, e.g. ``512MB`` (default: DuckDB's own, 80 % of
        RAM); beyond it DuckDB spills to the staging folder, so a file larger than memory
        still loads.
    """
    staged = staged or []
    started = time.time()
    t = TABLES[spec.table]
    partition = partition_name(source.name)
    load_id = f"{checksum[:16]}-{t.name}"
    positions, notes = resolve_columns(spec, source.headers, source.name, source.encoding)
    result = LoadResult(
        load_id, source.name, t.name, partition, checksum, size, source.encoding, notes=notes
    )
    result.started = datetime.fromtimestamp(started).isoformat(timespec="seconds")
    stage_dir = raw / STAGING / f"{load_id}.{os.getpid()}.{int(started * 1000)}"
    stage_dir.mkdir(parents=True, exist_ok=True)
    lake_file = stage_dir / f"{t.name}.parquet"
    q_file = stage_dir / f"{t.name}.quarantine.parquet"
    con = duckdb.connect()
    # Progress is tracked (for query_progress, see _polled) but never printed by DuckDB.
    con.execute(f"SET enable_progress_bar = {str(progress is not None).lower()}")
    con.execute("SET enable_progress_bar_print = false")
    try:
        refs, ref_notes = _reference_tables(con, spec, raw, home, staged)
        result.notes += ref_notes
        problems: Counter[str] = Counter()
        # Good rows stay inside DuckDB (spilling to the staging folder when large) and are
        # written by one parallel COPY; converting them to Arrow in Python cost a third more.
        con.execute(f"SET temp_directory = {lit(str(stage_dir / 'spill'))}")
        if memory_limit is not None:
            con.execute(f"SET memory_limit = {lit(memory_limit)}")
        whole = (
            _stage_whole_csv(
                con,
                source,
                spec,
                mapping,
                positions,
                refs=refs,
                now=now,
                stage_dir=stage_dir,
                progress=progress,
            )
            if WHOLE_CSV and source.csv_path is not None
            else None
        )
        with pq.ParquetWriter(q_file, QUARANTINE_SCHEMA, compression="zstd") as q_w:
            if whole is not None:
                n_all, n_bad = con.execute(
                    "SELECT (SELECT count(*) FROM fast), (SELECT count(_problems) FROM res)"
                ).fetchone()  # type: ignore[misc]
                n_all += whole.reread
                result.rows_loaded, result.rows_quarantined = n_all - n_bad, n_bad
                _quarantine_res(con, q_w, load_id, source.name, t.name, result, problems)
                _quarantine_malformed(whole.malformed, q_w, load_id, source.name, t.name)
                _count_malformed(whole.malformed, result, problems)
                _check_references_whole(con, t, refs, q_w, load_id, source.name, result, problems)
                if progress is not None:
                    progress(n_all + len(whole.malformed))
            else:
                _stage_stream(
                    con,
                    source,
                    spec,
                    mapping,
                    positions,
                    refs=refs,
                    now=now,
                    q_w=q_w,
                    load_id=load_id,
                    result=result,
                    problems=problems,
                    progress=progress,
                )
        typed = ", ".join(
            f"CAST({q(c.name)} AS {SQL_TYPES[c.type]}) AS {q(c.name)}" for c in t.columns
        )
        con.execute(
            f"COPY (SELECT {typed} FROM good) TO {lit(str(lake_file))} "
            "(FORMAT parquet, COMPRESSION zstd)"
        )
    except BaseException:
        shutil.rmtree(stage_dir, ignore_errors=True)
        raise
    finally:
        con.close()
    result.rows_in = result.rows_loaded + result.rows_quarantined
    result.problems = dict(problems.most_common())
    if result.rows_in == 0 and not allow_empty:
        shutil.rmtree(stage_dir, ignore_errors=True)
        raise DataError(
            f"{source.name} has a header row but no data rows; nothing loaded",
            hint="check the export; pass --allow-empty to replace the partition with no rows",
            file=source.name,
        )
    if source.encoding and source.encoding not in ("utf-8", "utf-8-sig") and result.rows_in:
        result.notes.append(f"read as {source.encoding}")
    result.finished = datetime.now().isoformat(timespec="seconds")
    result.seconds = round(time.time() - started, 3)
    return StagedFiles(
        result,
        lake_file,
        raw / t.name / f"{partition}.parquet",
        q_file,
        quarantine_path(home, t.name, partition),
    )


def commit(staged: list[StagedFiles], raw: Path) -> list[LoadResult]:
    """Move staged files over the previous partitions (atomic renames) and log the loads."""
    for s in staged:
        s.lake_target.parent.mkdir(parents=True, exist_ok=True)
        s.quarantine_target.parent.mkdir(parents=True, exist_ok=True)
        for f in (s.lake_file, s.quarantine_file):
            with open(f, "rb") as fh:
                os.fsync(fh.fileno())
    log = raw / LOG_NAME
    with open(log, "a", encoding="utf-8") as fh:
        for s in staged:
            # The quarantine may live on another filesystem than the lake: copy, then rename.
            q_tmp = s.quarantine_target.with_name(f".{s.quarantine_target.name}.tmp")
            shutil.copyfile(s.quarantine_file, q_tmp)
            os.replace(q_tmp, s.quarantine_target)
            os.replace(s.lake_file, s.lake_target)
            s.result.status = "loaded"
            fh.write(
                json.dumps(
                    {k: v for k, v in s.result.to_json().items() if k != "examples"},
                    ensure_ascii=False,
                )
                + "\n"
            )
            fh.flush()
            os.fsync(fh.fileno())
            shutil.rmtree(s.lake_file.parent, ignore_errors=True)
    return [s.result for s in staged]
