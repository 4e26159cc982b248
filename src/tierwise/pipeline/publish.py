"""Grade and publish in one step: the path every caller takes (CLI, schedules, API).

The run is recorded in the store as ``running`` first (so that runs never overlap and a crash
leaves a trace), graded into its run folder, then published in one transaction with the
stability rules of its policy. Any failure marks the run failed; the previous run stays
current.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from tierwise.grading.handoff import RunOutput, read_run
from tierwise.grading.run import RunResult, make_run_id, run_grading
from tierwise.policy import Policy
from tierwise.policy.load import policy_hash
from tierwise.store.profiles import refresh_profiles
from tierwise.store.runs import Cutoff, PublishSummary, RunStore


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class Published:
    """A graded and published run."""

    result: RunResult
    output: RunOutput
    summary: PublishSummary


def store_cutoffs(output: RunOutput) -> list[Cutoff]:
    """The run's cutoffs in the store's shape (rank 0 = top tier)."""
    return [Cutoff(c.tier, c.tier_rank, c.min_score) for c in output.cutoffs]


def grade_and_publish(
    policy: Policy,
    *,
    as_of: dt.date,
    lake: Path,
    runs: Path,
    engine: Engine,
    trigger: str = "manual",
    policy_dir: Path | None = None,
    clock: Callable[[], dt.datetime] = _utcnow,
) -> Published:
    """Grade every customer of ``lake`` as of ``as_of`` and publish the run to the store.

    Parameters
    ----------
    policy, as_of, lake, runs, policy_dir:
        As for :func:`tierwise.grading.run.run_grading`.
    engine:
        The operational store (already upgraded to the latest schema).
    trigger:
        What started the run: ``manual``, ``schedule:<name>``, ``api:<user>`` ...
    clock:
        Wall-clock time in naive UTC (a parameter so tests and backfills can set it).
    """
    store = RunStore(engine)
    started = clock()
    run_id = make_run_id(policy, as_of, started)
    store.begin(
        run_id,
        policy_name=policy.name,
        policy_hash=policy_hash(policy),
        as_of=as_of,
        data_fingerprint="",
        started_at=started,
        trigger=trigger,
    )
    try:
        result = run_grading(
            policy,
            as_of=as_of,
            lake=lake,
            runs=runs,
            now=started,
            policy_dir=policy_dir,
            run_id=run_id,
        )
        output = read_run(result.path)
        summary = store.publish(
            run_id,
            output.store_assignments(),
            store_cutoffs(output),
            rule=output.stability_rule(),
            now=clock(),
            counts=output.record["counts"],
            timings=output.record["timings"],
            data_fingerprint=output.record["data_fingerprint"],
        )
    except BaseException as err:
        store.fail(run_id, f"{type(err).__name__}: {err}", clock())
        raise
    # the API's read model follows the published state (a failure here leaves the run
    # published; `tierwise profiles refresh` rebuilds it)
    refresh_profiles(engine, lake, runs, now=clock())
    return Published(result, output, summary)
