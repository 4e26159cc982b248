"""Ingest a folder, a file or a SQL query through a mapping into the raw lake (R-DAT-2)."""

from __future__ import annotations

import fnmatch
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from tierwise.errors import DataError, UsageError
from tierwise.ingest.load import stage_load
from tierwise.ingest.mapping import Mapping, SourceSpec
from tierwise.ingest.partitions import (
    LoadResult,
    StagedFiles,
    commit,
    file_checksum,
    last_checksum,
    partition_name,
    sweep_staging,
)
from tierwise.ingest.readers import open_source, read_sql

ProgressFactory = Callable[[str, int], Callable[[int], None]]


@dataclass
class IngestRun:
    """The loads of one ``tierwise ingest`` call."""

    loads: list[LoadResult] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)

    @property
    def rows_in(self) -> int:
        return sum(r.rows_in for r in self.loads)

    @property
    def rows_loaded(self) -> int:
        return sum(r.rows_loaded for r in self.loads)

    @property
    def rows_quarantined(self) -> int:
        return sum(r.rows_quarantined for r in self.loads)


def _match(spec: SourceSpec, name: str) -> bool:
    return spec.file is not None and fnmatch.fnmatch(name, spec.file)


def _plan_files(
    files: list[Path], mapping: Mapping, table: str | None
) -> list[tuple[SourceSpec, Path]]:
    """Files named on the command line: each to the first source of the mapping that matches
    its name, in the mapping's order (referenced tables first)."""
    problems = [f"{f} does not exist" for f in files if not f.is_file()]
    order: list[tuple[int, SourceSpec, Path]] = []
    for f in files:
        hits = [
            (i, s)
            for i, s in enumerate(mapping.sources)
            if (table is None and _match(s, f.name)) or s.table == table
        ]
        if hits:
            order.append((hits[0][0], hits[0][1], f))
        elif f.is_file():
            problems.append(f"the mapping has no source for {f.name}")
    if problems:
        raise DataError(
            "; ".join(problems),
            hint="expected one of: "
            + ", ".join(str(s.file) for s in mapping.sources)
            + " (or propose a mapping with --infer)",
        )
    return [(s, f) for _, s, f in sorted(order, key=lambda x: x[0])]


def plan(
    path: Path | list[Path], mapping: Mapping, table: str | None = None
) -> tuple[list[tuple[SourceSpec, Path]], list[str]]:
    """Which file each source of the mapping reads, in mapping order; and what is missing."""
    if isinstance(path, list):
        return _plan_files(path, mapping, table), []
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.is_file())
        pairs: list[tuple[SourceSpec, Path]] = []
        missing: list[str] = []
        for spec in mapping.sources:
            if table is not None and spec.table != table:
                continue
            hits = [f for f in files if _match(spec, f.name)]
            if not hits:
                missing.append(f"{spec.file} ({spec.table})")
            pairs += [(spec, f) for f in hits]
        if not pairs:
            raise DataError(
                f"no file in {path} matches the mapping",
                hint="expected one of: " + ", ".join(str(s.file) for s in mapping.sources),
                file=str(path),
            )
        return pairs, missing
    if not path.exists():
        raise DataError(f"source {path} does not exist", file=str(path))
    specs = [
        s for s in mapping.sources if (table is None and _match(s, path.name)) or s.table == table
    ]
    if not specs:
        raise UsageError(
            f"the mapping has no source for {path.name}",
            hint="pass --table to say which canonical table the file fills, or add it to the mapping",
        )
    return [(specs[0], path)], []


def ingest(
    path: Path | list[Path],
    mapping: Mapping,
    *,
    raw: Path,
    home: Path,
    now: datetime,
    table: str | None = None,
    encoding: str | None = None,
    force: bool = False,
    allow_empty: bool = False,
    progress: ProgressFactory | None = None,
    memory_limit: str | None = None,
) -> IngestRun:
    """Load every source found at ``path`` into the raw lake; commit all at the end.

    Parameters
    ----------
    path:
        A folder (every mapped file in it), one file, or a list of files.
    mapping:
        Source-to-canonical mapping.
    raw, home:
        The raw lake folder and the Tierwise home (quarantine).
    now:
        Load time (later event times are "in the future").
    table, encoding:
        Override the mapping: which table a single file fills, and its encoding.
    force:
        Reload sources whose checksum matches the last load.
    allow_empty:
        Accept sources with a header and no rows.
    progress:
        ``progress(label, total_bytes)`` returns a callback receiving rows done.
    memory_limit:
        DuckDB's memory cap per load (e.g. ``1GB``); beyond it DuckDB spills to disk.
    """
    pairs, missing = plan(path, mapping, table)
    sweep_staging(raw)
    run = IngestRun(missing=missing)
    staged: list[StagedFiles] = []
    unchanged: list[LoadResult] = []
    for spec, file in pairs:
        checksum = file_checksum(file)
        part = partition_name(file.name)
        if not force and last_checksum(raw, spec.table, part) == checksum:
            unchanged.append(
                LoadResult(
                    f"{checksum[:16]}-{spec.table}",
                    str(file),
                    spec.table,
                    part,
                    checksum,
                    file.stat().st_size,
                    None,
                    status="unchanged",
                    notes=["same checksum as the last load; nothing re-read"],
                )
            )
            continue
        source = open_source(
            file,
            fmt=spec.format,
            encoding=encoding or spec.encoding,
            sheet=spec.sheet,
            delimiter=spec.delimiter,
            header_row=spec.header_row,
        )
        cb = progress(f"{file.name} → {spec.table}", file.stat().st_size) if progress else None
        staged.append(
            stage_load(
                source,
                spec,
                mapping,
                raw=raw,
                home=home,
                checksum=checksum,
                size=file.stat().st_size,
                now=now,
                staged=staged,
                progress=cb,
                allow_empty=allow_empty,
                memory_limit=memory_limit,
            )
        )
    run.loads = commit(staged, raw) + unchanged
    return run


def ingest_sql(
    url: str,
    query: str,
    table: str,
    mapping: Mapping,
    *,
    raw: Path,
    home: Path,
    now: datetime,
    progress: ProgressFactory | None = None,
    memory_limit: str | None = None,
) -> IngestRun:
    """Load the rows of a SQL query (or a table name) into canonical table ``table``."""
    import hashlib

    specs = [s for s in mapping.sources if s.table == table]
    spec = specs[0] if specs else SourceSpec(table=table, query=query)
    source = read_sql(url, query)
    checksum = hashlib.sha256(f"{url}\n{query}\n{now.isoformat()}".encode()).hexdigest()
    cb = progress(f"{query} → {table}", 0) if progress else None
    staged = [
        stage_load(
            source,
            spec,
            mapping,
            raw=raw,
            home=home,
            checksum=checksum,
            size=0,
            now=now,
            progress=cb,
            memory_limit=memory_limit,
        )
    ]
    return IngestRun(loads=commit(staged, raw))
