"""The lake: one directory of Parquet files per canonical table.

Layout (the contract between the generator, ingestion and every engine)::

    LAKE/<table>/<any sub-folders>/<file>.parquet

Every file under a table's directory holds exactly that table's canonical columns (no hive
partition columns are added on read). Files are written atomically: to a temporary name in
the same directory, then renamed, so a reader never sees half a file and a killed writer
leaves the previous lake intact.

A lake is a local folder (a :class:`~pathlib.Path`) or a URL any engine reads
(``hdfs://nn/lake``, ``s3a://bucket/lake``, ``file:///data/lake``); a URL is kept as text,
never passed through ``Path`` (which would fold ``//``).
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import TypeAlias

import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from tierwise.errors import DataError
from tierwise.model.tables import table as canonical_table

LakeLocation: TypeAlias = Path | str


def as_lake(text: str | Path) -> LakeLocation:
    """A URL (``scheme://...``) kept as text; anything else a local folder."""
    s = str(text)
    return s.rstrip("/") if "://" in s else Path(s)


def table_location(lake: LakeLocation, name: str) -> str:
    """Where table ``name`` lives: a local folder or a URL (the engines read either)."""
    canonical_table(name)
    return f"{lake}/{name}" if isinstance(lake, str) else str(lake / name)


def table_files(lake: LakeLocation, name: str) -> list[tuple[str, int]] | None:
    """(table-relative path, size) of each Parquet file of ``name``, sorted.

    None when the lake is a URL whose file system pyarrow cannot open here (for instance
    HDFS without libhdfs): the engine then finds the files itself.
    """
    if isinstance(lake, Path):
        d = table_dir(lake, name)
        files = sorted(d.rglob("*.parquet")) if d.is_dir() else []
        return [(str(f.relative_to(d)), f.stat().st_size) for f in files]
    url = table_location(lake, name)
    try:
        fs, root = pafs.FileSystem.from_uri(url.replace("s3a://", "s3://", 1))
        infos = fs.get_file_info(pafs.FileSelector(root, recursive=True, allow_not_found=True))
    except (OSError, ValueError, pa.ArrowException):
        return None
    return sorted(
        (i.path.removeprefix(root).lstrip("/"), i.size or 0)
        for i in infos
        if i.is_file and i.path.endswith(".parquet")
    )


def table_dir(lake: Path, name: str) -> Path:
    """The directory holding table ``name`` (the name is checked against the model)."""
    canonical_table(name)
    return lake / name


def parquet_glob(lake: LakeLocation, name: str) -> str:
    """A glob matching every Parquet file of table ``name`` (DuckDB reads it)."""
    return f"{table_location(lake, name)}/**/*.parquet"


def has_table(lake: LakeLocation, name: str) -> bool:
    """Whether the lake holds at least one file of table ``name`` (unknown URL: assumed)."""
    if isinstance(lake, Path):
        d = table_dir(lake, name)
        return d.is_dir() and any(d.rglob("*.parquet"))
    files = table_files(lake, name)
    return files is None or bool(files)


def require_table(lake: LakeLocation, name: str) -> LakeLocation:
    """The table's directory, or a clear error saying how to fill it."""
    if not has_table(lake, name):
        raise DataError(
            f"the lake at {lake} has no {name!r} table",
            hint="run `tierwise generate` or `tierwise ingest` first, or pass --lake",
            table=name,
            lake=str(lake),
        )
    return table_dir(lake, name) if isinstance(lake, Path) else table_location(lake, name)


def write_parquet_atomic(data: pa.Table, path: Path, *, compression: str = "zstd") -> Path:
    """Write ``data`` to ``path`` atomically (temp file in the same folder, fsync, rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        pq.write_table(data, tmp, compression=compression)
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path
