"""Reference checks of a load: each foreign key against the keys loaded (R-DAT-4).

A row whose reference does not exist goes to the quarantine as an orphan, or, when the row it
refers to was itself quarantined, says so, so that cascades are told apart.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from tierwise.ingest.mapping import SourceSpec
from tierwise.ingest.partitions import LoadResult, StagedFiles
from tierwise.ingest.quarantine import quarantine_rows
from tierwise.ingest.validate import References, lit, q
from tierwise.model.tables import TABLES, Column, Table

NO_REFS = References({}, {})


def reference_tables(
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


def reference_checks(t: Table, refs: References, prefix: str) -> Iterator[tuple[Column, str, str]]:
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


def check_references(
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
    for col, ref, reason in reference_checks(t, refs, ""):
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
        quarantine_rows(bad, q_w, load_id, source, t.name, result, problems)
        result.rows_loaded -= bad.num_rows
        result.rows_quarantined += bad.num_rows


def check_references_whole(
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
    :func:`check_references`; the row is ``rowid`` + 2 + the rejected lines before it.
    Rows that failed another check were checked by the full query, references included.
    """
    packed = ", ".join(f"{q(c)} := f.{q(c)}" for c in t.names)
    for col, ref, reason in reference_checks(t, refs, "f."):
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
        quarantine_rows(bad, q_w, load_id, source, t.name, result, problems)
        result.rows_loaded -= bad.num_rows
        result.rows_quarantined += bad.num_rows
