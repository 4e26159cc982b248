"""The run output layout: what a grading run writes and where (the contract with later stages).

::

    $TIERWISE_HOME/runs/<run_id>/
        run.json             policy name + hash + full policy, as_of, entity, data fingerprint,
                             counts, timings, files, cutoffs (also below)
        assignments.parquet  one row per entity: status, score, tier, contributions, layers,
                             segments, tags, upgrade path (next_tier, gap_score, need_*)
        features.parquet     the features the policy read, one row per entity
        cutoffs.parquet      one row per tier: rank, code, top, min_score, count
    $TIERWISE_HOME/runs/LATEST   the run_id of the latest finished run

A run is written into ``runs/.<run_id>.tmp`` and renamed when complete, so a failed or
interrupted run never appears.
"""

from __future__ import annotations

from pathlib import Path

ASSIGNMENTS = "assignments.parquet"
FEATURES = "features.parquet"
CUTOFFS = "cutoffs.parquet"
RUN_JSON = "run.json"
LATEST = "LATEST"


def runs_dir(home: Path) -> Path:
    """Where runs live under the Tierwise home."""
    return home / "runs"


def latest_run(runs: Path) -> Path | None:
    """The directory of the latest finished run, if any."""
    p = runs / LATEST
    if not p.is_file():
        return None
    d = runs / p.read_text(encoding="utf-8").strip()
    return d if (d / RUN_JSON).is_file() else None
