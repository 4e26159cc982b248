"""Tag snapshots: every tag of every outlet as of a date, written once, read by everything.

::

    $TIERWISE_HOME/tags/<as_of YYYY-MM-DD>/
        tags.parquet   entity_id, account_id, i_<input> ..., <tag code> ...
        meta.json      as_of, computed_at, lake, catalogue hash, user-defined tag versions,
                       unavailable tags (with what they lack), rows, seconds

A snapshot is written into ``tags/.<as_of>.tmp`` and renamed when complete, so a failed
computation never appears; an existing snapshot is only replaced when asked (``replace``):
the member list of an audience as of a date reads the snapshot of that date, so keeping it
fixed keeps the list reproducible.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from tierwise.errors import ConflictError, NotFoundError
from tierwise.features.availability import book_inputs
from tierwise.features.sources import open_lake
from tierwise.lake import LakeLocation
from tierwise.tags.availability import unavailable_inputs, unavailable_tags
from tierwise.tags.catalog import TAGS, Tag
from tierwise.tags.compute import tag_frame
from tierwise.tags.inputs import tag_tables

TAGS_FILE = "tags.parquet"
META_FILE = "meta.json"


def tags_dir(home: Path) -> Path:
    """Where tag snapshots live under the Tierwise home."""
    return home / "tags"


def catalogue_hash(tags: Sequence[Tag]) -> str:
    """SHA-256 over the definitions of ``tags`` (code, kind, definition, bands, version)."""
    h = hashlib.sha256()
    for t in tags:
        h.update(repr((t.code, t.kind, t.definition, t.bands, t.version)).encode())
    return h.hexdigest()


@dataclass(frozen=True)
class Snapshot:
    """A finished snapshot on disk."""

    path: Path
    meta: dict[str, Any]

    @property
    def as_of(self) -> dt.date:
        return dt.date.fromisoformat(self.meta["as_of"])

    @property
    def file(self) -> Path:
        return self.path / TAGS_FILE

    @property
    def custom(self) -> dict[str, int]:
        """User-defined tags in the snapshot: code -> version."""
        return dict(self.meta.get("custom", {}))

    @property
    def unavailable(self) -> dict[str, list[str]]:
        """Tags this book could not compute (empty in the file) → their missing inputs."""
        return dict(self.meta.get("unavailable", {}))


def read_snapshot(path: Path) -> Snapshot:
    """The snapshot in folder ``path``."""
    meta = json.loads((path / META_FILE).read_text(encoding="utf-8"))
    return Snapshot(path, meta)


def list_snapshots(home: Path) -> list[Snapshot]:
    """Every finished snapshot, oldest as_of first."""
    root = tags_dir(home)
    if not root.is_dir():
        return []
    out = [read_snapshot(p) for p in sorted(root.iterdir()) if (p / META_FILE).is_file()]
    return sorted(out, key=lambda s: s.as_of)


def snapshot_for(home: Path, on: dt.date | None = None) -> Snapshot:
    """The snapshot with the latest as_of on or before ``on`` (the latest one: ``None``).

    Raises
    ------
    NotFoundError
        When there is none (the message says how to compute one).
    """
    snaps = [s for s in list_snapshots(home) if on is None or s.as_of <= on]
    if not snaps:
        when = f" on or before {on}" if on else ""
        raise NotFoundError(
            f"no tag snapshot{when}",
            hint="compute one: tierwise tags compute --as-of YYYY-MM-DD",
            as_of=str(on) if on else None,
        )
    return snaps[-1]


def compute_snapshot(
    con: Any,
    lake: LakeLocation,
    home: Path,
    as_of: dt.date,
    *,
    now: dt.datetime,
    custom: Sequence[Tag] = (),
    lookback_days: int = 365,
    replace: bool = False,
) -> Snapshot:
    """Compute every tag as of ``as_of`` on backend ``con`` and write the snapshot.

    Raises
    ------
    ConflictError
        When a snapshot of ``as_of`` exists and ``replace`` is false.
    """
    root = tags_dir(home)
    final = root / as_of.isoformat()
    if (final / META_FILE).is_file() and not replace:
        raise ConflictError(
            f"a tag snapshot as of {as_of} exists ({final})",
            hint="pass --replace to compute it again (audiences as of that date will change)",
            as_of=str(as_of),
        )
    started = time.perf_counter()
    book = book_inputs(lake)  # None for a remote lake: every tag is taken as available
    gone = {} if book is None else unavailable_tags(book, TAGS, custom)
    gone_inputs = {} if book is None else unavailable_inputs(book)
    tables = open_lake(con, lake, tag_tables())
    expr = tag_frame(
        tables,
        as_of,
        lookback_days=lookback_days,
        custom=custom,
        unavailable=[*gone, *gone_inputs],
    )
    tmp = root / f".{as_of.isoformat()}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    if getattr(con, "name", "") == "duckdb":
        con.to_parquet(expr, tmp / TAGS_FILE)  # streamed by DuckDB, never whole in Python
    else:
        pq.write_table(expr.to_pyarrow(), tmp / TAGS_FILE)
    rows = pq.ParquetFile(tmp / TAGS_FILE).metadata.num_rows
    meta = {
        "as_of": as_of.isoformat(),
        "computed_at": now.isoformat(timespec="seconds"),
        "lake": str(lake),
        "lookback_days": lookback_days,
        "catalogue_hash": catalogue_hash([*TAGS, *custom]),
        "tags": len(TAGS) + len(custom),
        "custom": {t.code: t.version for t in custom},
        "unavailable": gone,
        "rows": rows,
        "seconds": round(time.perf_counter() - started, 2),
    }
    (tmp / META_FILE).write_text(json.dumps(meta, ensure_ascii=False, indent=2), "utf-8")
    if final.exists():
        old = root / f".{as_of.isoformat()}.old"
        shutil.rmtree(old, ignore_errors=True)
        final.rename(old)
        tmp.rename(final)
        shutil.rmtree(old, ignore_errors=True)
    else:
        tmp.rename(final)
    return read_snapshot(final)
