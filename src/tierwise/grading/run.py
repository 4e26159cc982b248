"""Run a grading: features → scores → tiers → labels → upgrade paths, written atomically."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import ibis
import pyarrow as pa
import pyarrow.parquet as pq

from tierwise.engines.output import materialize, write_parquet
from tierwise.errors import DataError
from tierwise.features.availability import require_available
from tierwise.features.build import GROUP_TABLES, build_features, groups_for
from tierwise.features.sources import connect, open_lake
from tierwise.grading import layout
from tierwise.grading.fingerprint import data_fingerprint
from tierwise.lake import LakeLocation
from tierwise.policy.engine import grade_frame, required_features
from tierwise.policy.load import policy_hash
from tierwise.policy.predictions import read_predictions
from tierwise.policy.schema import ModelScore, Policy
from tierwise.policy.tiering import Cutoff, cutoffs_expr, cutoffs_from_rows, share_warnings
from tierwise.policy.upgrade import add_upgrade

_DROP = {"eligible", "run_id", "as_of"}


@dataclass
class RunResult:
    """What a finished run reports (also in its run.json)."""

    run_id: str
    path: Path
    counts: dict[str, Any]
    timings: dict[str, float]
    cutoffs: list[Cutoff] = field(default_factory=list)


def make_run_id(policy: Policy, as_of: dt.date, now: dt.datetime) -> str:
    """``<as_of>-<policy name>-<UTC time of the run>``: sortable and readable."""
    return f"{as_of:%Y%m%d}-{policy.name}-{now:%Y%m%dT%H%M%S%f}"


def run_grading(
    policy: Policy,
    *,
    as_of: dt.date,
    lake: LakeLocation,
    runs: Path,
    now: dt.datetime,
    policy_dir: Path | None = None,
    con: Any = None,
    run_id: str | None = None,
) -> RunResult:
    """Grade every entity of ``lake`` as of ``as_of`` and publish the run under ``runs``.

    Parameters
    ----------
    policy:
        The validated policy.
    as_of:
        Only data on or before this day counts.
    lake, runs:
        The lake to read (a folder or a URL the engine reads) and the folder runs are
        written to.
    now:
        The wall-clock time of the run (for its id and record; never used in computation).
    policy_dir:
        Folder that a model score's relative ``path`` is resolved against.
    con:
        An Ibis backend (see :func:`tierwise.engines.open_backend`); a fresh DuckDB one
        by default.
    run_id:
        The run's id, when the caller recorded the run before grading (see
        :func:`tierwise.pipeline.publish.grade_and_publish`); made from the policy, as_of and
        ``now`` otherwise.
    """
    con = con or connect()
    t0 = time.perf_counter()
    names = required_features(policy)
    unavailable = require_available(policy.name, names, lake)
    tables_read = sorted({t for g in groups_for(names) for t in GROUP_TABLES[g]})
    tables = open_lake(con, lake, tables_read)
    run_id = run_id or make_run_id(policy, as_of, now)
    tmp = runs / f".{run_id}.tmp"
    tmp.mkdir(parents=True, exist_ok=False)
    # one background thread writes features.parquet from the Arrow rows while DuckDB grades
    # (pyarrow's writer releases the GIL): at 200 000 customers it overlaps ~0.25 s of work
    writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tierwise-write")
    features_written: Future[None] | None = None
    try:
        feats = build_features(
            tables, as_of, lookback_days=policy.lookback_days, entity=policy.entity, names=names
        )
        # an upper bound of the entities (outlets or accounts): the customers on file
        hint = _count(con, tables["customers"]) if con.name == "duckdb" else None
        kept = materialize(con, feats, "features", rows_hint=hint)
        ft = kept.table
        if kept.arrow is not None:
            features_written = writer.submit(pq.write_table, kept.arrow, tmp / layout.FEATURES)
        t1 = time.perf_counter()
        model = _model_table(con, policy, policy_dir)
        preds = read_predictions(con, policy, policy_dir, as_of)
        graded_kept = materialize(
            con, grade_frame(ft, policy, model, preds), "graded", rows_hint=hint
        )
        graded = graded_kept.table
        cut_rows = con.to_pyarrow(cutoffs_expr(graded)).to_pylist()
        cutoffs = cutoffs_from_rows(cut_rows, policy)
        out = add_upgrade(graded, policy, cutoffs)
        # assignments carry the grading; the features stay in features.parquet
        feature_cols = set(names) - {"account_id"}
        keep = [c for c in out.columns if c not in _DROP | feature_cols | {"entity_id"}]
        out = out.mutate(run_id=ibis.literal(run_id), as_of=ibis.literal(as_of))
        out = out.select("entity_id", "run_id", "as_of", *keep)
        t2 = time.perf_counter()
        write_parquet(con, out, tmp / layout.ASSIGNMENTS)
        if features_written is None:
            write_parquet(con, ft, tmp / layout.FEATURES)
        pa_cut = pa.Table.from_pylist([asdict(c) for c in cutoffs])
        pq.write_table(pa_cut, tmp / layout.CUTOFFS)
        counts = _counts(con, graded, policy, cutoffs)
        if features_written is not None:
            features_written.result()  # its error, if any, is the run's
        graded_kept.free()
        kept.free()
        t3 = time.perf_counter()
        timings = {
            "features_s": round(t1 - t0, 3),
            "grade_s": round(t2 - t1, 3),
            "write_s": round(t3 - t2, 3),
            "total_s": round(t3 - t0, 3),
        }
        record = {
            "run_id": run_id,
            "created_at": now.isoformat(),
            "as_of": as_of.isoformat(),
            "policy_name": policy.name,
            "policy_hash": policy_hash(policy),
            "policy": policy.model_dump(mode="json"),
            "entity": policy.entity,
            "lake": str(lake),
            "tables_read": tables_read,
            "data_fingerprint": data_fingerprint(lake, tables_read),
            "features": names,
            "unavailable_features": unavailable,
            "counts": counts,
            "timings": timings,
            "cutoffs": [asdict(c) for c in cutoffs],
            "files": [layout.ASSIGNMENTS, layout.FEATURES, layout.CUTOFFS],
        }
        (tmp / layout.RUN_JSON).write_text(
            json.dumps(record, ensure_ascii=False, indent=2), encoding="utf-8"
        )
        final = runs / run_id
        os.replace(tmp, final)
    except BaseException:
        writer.shutdown(wait=True, cancel_futures=True)  # before the folder goes
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    finally:
        writer.shutdown(wait=True)
    latest_tmp = runs / f".{layout.LATEST}.tmp"
    latest_tmp.write_text(run_id, encoding="utf-8")
    os.replace(latest_tmp, runs / layout.LATEST)
    return RunResult(run_id, final, counts, timings, cutoffs)


def _model_table(con: Any, policy: Policy, policy_dir: Path | None) -> Any:
    s = policy.score
    if not isinstance(s, ModelScore):
        return None
    path = Path(s.path)
    if not path.is_absolute() and policy_dir is not None:
        path = policy_dir / path
    if not path.is_file():
        raise DataError(
            f"model score file {path} does not exist",
            hint="write the model's predictions (entity_id + column) there first",
        )
    return con.read_parquet(str(path))


def _count(con: Any, table: Any) -> int:
    """Rows of ``table`` (for Parquet, DuckDB reads the count from the files' footers)."""
    return int(con.to_pyarrow(table.count()).as_py())


def _counts(con: Any, graded: Any, policy: Policy, cutoffs: list[Cutoff]) -> dict[str, Any]:
    aggs = {"entities": graded.count(), "graded": graded.eligible.sum()}
    tags = [f"tag_{t.code}" for t in policy.tags]
    for t in tags:
        aggs[t] = graded[t].sum()
    row = con.to_pyarrow(graded.aggregate(**aggs)).to_pylist()[0]
    entities, n = int(row["entities"]), int(row["graded"] or 0)
    return {
        "entities": entities,
        "graded": n,
        "insufficient_data": entities - n,
        "tiers": {c.tier: c.count for c in cutoffs},
        "tags": {t.removeprefix("tag_"): int(row[t] or 0) for t in tags},
        "share_warnings": share_warnings(cutoffs, n) if policy.tiers.method == "percentile" else [],
    }
