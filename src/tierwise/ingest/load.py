"""Safe loads: one source into one partition of the raw lake, all or nothing (R-DAT-2, R-DAT-4).

A load reads its source (whole with DuckDB, :mod:`whole_csv`, or as a stream, :mod:`stream`), validates it, and writes the good rows
to ``RAW/<table>/<partition>.parquet`` and the rejected ones to the quarantine, both first into
``RAW/_staging/<load id>/``; :func:`commit` then renames the staged files over the previous ones
(``os.replace`` is atomic), so a load killed half-way leaves the previous lake intact, and a
re-ingest of the same file replaces its partition instead of appending to it. Each committed
load appends one line to ``RAW/_loads.jsonl``: source, checksum, row counts and times.
"""

from __future__ import annotations

import os
import shutil
import time
from collections import Counter
from datetime import datetime
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from tierwise.errors import DataError
from tierwise.ingest.mapping import Mapping, SourceSpec, resolve_columns, synthesized
from tierwise.ingest.partitions import STAGING, LoadResult, Progress, StagedFiles, partition_name
from tierwise.ingest.quarantine import (
    QUARANTINE_SCHEMA,
    count_malformed,
    quarantine_malformed,
    quarantine_path,
    quarantine_res,
)
from tierwise.ingest.readers import Source
from tierwise.ingest.references import check_references_whole, reference_tables
from tierwise.ingest.stream import stage_stream
from tierwise.ingest.validate import SQL_TYPES, lit, q
from tierwise.ingest.whole_csv import stage_whole_csv
from tierwise.model.tables import TABLES

WHOLE_CSV = True  # CSV files: DuckDB's parallel reader first (see stage_whole_csv)


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
    # Ids the file lacks are numbered from its partition and row; the whole-file path
    # learns row numbers only after its first pass, so such a file is streamed.
    row_prefix = f"{partition}#" if synthesized(spec, positions) else None
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
        refs, ref_notes = reference_tables(con, spec, raw, home, staged)
        result.notes += ref_notes
        problems: Counter[str] = Counter()
        # Good rows stay inside DuckDB (spilling to the staging folder when large) and are
        # written by one parallel COPY; converting them to Arrow in Python cost a third more.
        con.execute(f"SET temp_directory = {lit(str(stage_dir / 'spill'))}")
        if memory_limit is not None:
            con.execute(f"SET memory_limit = {lit(memory_limit)}")
        whole = (
            stage_whole_csv(
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
            if WHOLE_CSV and source.csv_path is not None and row_prefix is None
            else None
        )
        with pq.ParquetWriter(q_file, QUARANTINE_SCHEMA, compression="zstd") as q_w:
            if whole is not None:
                n_all, n_bad = con.execute(
                    "SELECT (SELECT count(*) FROM fast), (SELECT count(_problems) FROM res)"
                ).fetchone()  # type: ignore[misc]
                n_all += whole.reread
                result.rows_loaded, result.rows_quarantined = n_all - n_bad, n_bad
                quarantine_res(con, q_w, load_id, source.name, t.name, result, problems)
                quarantine_malformed(whole.malformed, q_w, load_id, source.name, t.name)
                count_malformed(whole.malformed, result, problems)
                check_references_whole(con, t, refs, q_w, load_id, source.name, result, problems)
                if progress is not None:
                    progress(n_all + len(whole.malformed))
            else:
                stage_stream(
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
                    row_prefix=row_prefix,
                )
        result.notes += source.notes  # rows skipped as not records (totals): known once read
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
    if not result.rows_loaded and any("implausibly old" in r for r in result.problems):
        shutil.rmtree(stage_dir, ignore_errors=True)
        raise every_row_rejected(result, mapping)
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


def every_row_rejected(result: LoadResult, mapping: Mapping) -> DataError:
    """The error of a load whose date window would quarantine every row: nothing is
    quarantined silently (a window that rejects a whole book is a setting to fix, not bad
    data; a file whose rows are all bad for other reasons still goes to the quarantine)."""
    problems = "; ".join(f"{reason} ({n:,} rows)" for reason, n in result.problems.items())
    first = "; ".join(
        f"row {e['row']} {e['column']}={e['value']!r}: {e['reason']}" for e in result.examples[:5]
    )
    hints = []
    if any("implausibly old" in r for r in result.problems):
        hints.append(
            f"the book is older than the earliest plausible date {mapping.limits.earliest}: "
            "pass --earliest with a date before its first record (e.g. --earliest 1970-01-01) "
            "or set limits.earliest in the mapping"
        )
    if any("in the future" in r for r in result.problems):
        hints.append("the load time is before the book's dates: pass --now")
    if any("orphan" in r for r in result.problems):
        hints.append("ingest the referenced table (e.g. customers) in the same run or before")
    hints.append("nothing was loaded or quarantined")
    return DataError(
        f"{result.source}: every one of its {result.rows_in:,} rows would be quarantined: "
        f"{problems}; first rows: {first}",
        hint="; ".join(hints),
        file=result.source,
        problems=result.problems,
        examples=result.examples[:5],
    )
