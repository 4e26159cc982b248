"""Partitions of the raw lake: naming, the load result, staging folders, the atomic commit and
the load log (R-DAT-2, R-DAT-4).

A load's files are written first into ``RAW/_staging/<load id>/``; :func:`commit` renames them
over the previous partition (``os.replace`` is atomic), so a load killed half-way leaves the
previous lake intact and a re-ingest of the same file replaces its partition instead of
appending to it. Each committed load appends one line to ``RAW/_loads.jsonl``.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

LOG_NAME = "_loads.jsonl"
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
