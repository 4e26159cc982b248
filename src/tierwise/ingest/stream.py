"""The streaming path: a source read block by block, each block validated by DuckDB while the
next is parsed (R-DAT-2). Excel, Parquet, SQL and the CSV files DuckDB cannot read whole.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import datetime

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from tierwise.errors import DataError
from tierwise.ingest.mapping import Mapping, SourceSpec
from tierwise.ingest.partitions import LoadResult, Progress
from tierwise.ingest.prefetch import prefetch
from tierwise.ingest.quarantine import count_malformed, quarantine_malformed, quarantine_res
from tierwise.ingest.readers import Batch, Source
from tierwise.ingest.references import NO_REFS, check_references
from tierwise.ingest.validate import SQL_TYPES, References, fast_sql, q, validation_sql
from tierwise.model.tables import TABLES

PREFETCH = True  # parse the next block while DuckDB validates this one


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


def stage_stream(
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
    row_prefix: str | None = None,
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
        row_prefix=row_prefix,
    )
    # References are checked once per load (see check_references), not per block.
    first_pass = fast_sql(spec, mapping, positions, now=now, refs=NO_REFS, row_prefix=row_prefix)
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
                quarantine_res(con, q_w, load_id, source.name, t.name, result, problems)
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
    quarantine_malformed(lines, q_w, load_id, source.name, t.name)
    count_malformed(lines, result, problems)
    check_references(con, t, refs, q_w, load_id, source.name, result, problems)
