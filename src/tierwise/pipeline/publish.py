"""Grade and publish in one step: the path every caller takes (CLI, schedules, API).

The run is recorded in the store as ``running`` first (so that runs never overlap and a crash
leaves a trace), graded into its run folder, then published in one transaction with the
stability rules of its policy. In that same transaction, customers with real-time events
the run did not see (after its as_of, or received after it started) are regraded from the new
run plus those events (:meth:`tierwise.realtime.Regrader.regrade_unseen`), so publishing never
takes back a real-time regrade. Any failure marks the run failed; the previous run stays
current.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine

from tierwise.errors import TierwiseError, describe
from tierwise.grading.handoff import RunOutput, read_run
from tierwise.grading.run import RunResult, make_run_id, run_grading
from tierwise.lake import LakeLocation
from tierwise.ops.benefits.ledger import save_plan
from tierwise.ops.retention import manager_capacity, sync_after_publish
from tierwise.pipeline.review import hold_gate
from tierwise.policy import Policy
from tierwise.policy.load import policy_hash
from tierwise.realtime.regrade import Regrader
from tierwise.store.profiles import refresh_profiles
from tierwise.store.runs import Cutoff, PublishSummary, RunStore

log = logging.getLogger(__name__)


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class Published:
    """A graded and published run."""

    result: RunResult
    output: RunOutput
    summary: PublishSummary
    # customers regraded from real-time events the run did not see, in the publish transaction
    regraded: tuple[str, ...] = ()


def store_cutoffs(output: RunOutput) -> list[Cutoff]:
    """The run's cutoffs in the store's shape (rank 0 = top tier)."""
    return [Cutoff(c.tier, c.tier_rank, c.min_score) for c in output.cutoffs]


def begin_run(
    store: RunStore, policy: Policy, *, as_of: dt.date, started: dt.datetime, trigger: str
) -> str:
    """Record a run of ``policy`` as running (refused while another runs); returns its id."""
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
    return run_id


def with_note(counts: dict[str, Any], as_of: dt.date) -> dict[str, Any]:
    """The run's counts, with a note when nobody was graded (the run still completes:
    customers keep their published tiers; issue 17 #10)."""
    if counts.get("graded", 1):
        return counts
    entities = int(counts.get("entities", 0) or 0)
    why = (
        f"no customer in the lake as of {as_of}"
        if not entities
        else f"none of {entities} customers has enough data as of {as_of} (insufficient data)"
    )
    return {**counts, "note": f"nobody was graded: {why}"}


def grade_and_publish(
    policy: Policy,
    *,
    as_of: dt.date,
    lake: LakeLocation,
    runs: Path,
    engine: Engine,
    trigger: str = "manual",
    policy_dir: Path | None = None,
    con: Any = None,
    clock: Callable[[], dt.datetime] = _utcnow,
    run_id: str | None = None,
    reapply_events: bool = True,
) -> Published:
    """Grade every customer of ``lake`` as of ``as_of`` and publish the run to the store.

    A policy with a ``review:`` block is held instead (``summary.held``): the run waits as
    ``awaiting_review`` with its proposed changes sampled for a spot check, and
    :func:`tierwise.pipeline.review.release_run` publishes it (docs/runs.md).

    Parameters
    ----------
    policy, as_of, lake, runs, policy_dir, con:
        As for :func:`tierwise.grading.run.run_grading` (``con``: the compute backend).
    engine:
        The operational store (already upgraded to the latest schema).
    trigger:
        What started the run: ``manual``, ``schedule:<name>``, ``api:<user>`` ...
    clock:
        Wall-clock time in naive UTC (a parameter so tests and backfills can set it).
    run_id:
        A run already recorded with :func:`begin_run` (e.g. by the API, which answers with the
        id before grading in the background); recorded here otherwise.
    reapply_events:
        Regrade, in the publish transaction, the customers with real-time events the run did
        not see (docs/runs.md). A backfill turns it off for every date but the newest, so
        that later events are not applied to past dates.
    """
    store = RunStore(engine)
    started = clock()
    if run_id is None:
        run_id = begin_run(store, policy, as_of=as_of, started=started, trigger=trigger)
    try:
        result = run_grading(
            policy,
            as_of=as_of,
            lake=lake,
            runs=runs,
            now=started,
            policy_dir=policy_dir,
            con=con,
            run_id=run_id,
        )
        output = read_run(result.path)
        published_at = clock()
        if policy.review is not None:  # held for its spot check: nothing published yet
            summary = store.publish(
                run_id,
                output.store_assignments(),
                store_cutoffs(output),
                rule=output.stability_rule(),
                now=published_at,
                counts=with_note(output.record["counts"], as_of),
                timings=output.record["timings"],
                data_fingerprint=output.record["data_fingerprint"],
                hold=True,
                on_hold=hold_gate(run_id, policy.name, policy.review, published_at),
            )
            return Published(result, output, summary)
        # the benefits the run's tiers give, where the tier writer's hook finds them (R-OPS-2)
        save_plan(engine, output.policy, clock())
        regraded: list[str] = []

        def reapply(conn: Connection) -> None:
            regrader = Regrader(engine, runs, clock=clock)
            regraded.extend(regrader.regrade_unseen(conn, published_at))

        summary = store.publish(
            run_id,
            output.store_assignments(),
            store_cutoffs(output),
            rule=output.stability_rule(),
            now=published_at,
            counts=with_note(output.record["counts"], as_of),
            timings=output.record["timings"],
            data_fingerprint=output.record["data_fingerprint"],
            after=reapply if reapply_events else None,
        )
    except BaseException as err:
        if isinstance(err, TierwiseError):  # a known failure (no lake, bad policy): one line
            log.warning("run %s failed: %s", run_id, err)
        else:  # anything else: the whole error, SQL included, in the log
            log.exception("run %s failed", run_id)
        store.fail(run_id, describe(err), clock())  # what GET /runs/{id} shows: no SQL
        raise
    after_publication(engine, policy, run_id, lake=lake, runs=runs, regraded=regraded, clock=clock)
    return Published(result, output, summary, tuple(regraded))


def after_publication(
    engine: Engine,
    policy: Policy,
    run_id: str,
    *,
    lake: LakeLocation,
    runs: Path,
    regraded: list[str],
    clock: Callable[[], dt.datetime],
) -> None:
    """What follows every publication, direct or released after a spot check."""
    # the API's read model follows the published state (a failure here leaves the run
    # published; `tierwise profiles refresh` rebuilds it). It reads the lake's customers table
    # from a local folder; a lake given as a URL (Spark on S3/HDFS) is not refreshed here.
    if isinstance(lake, Path) or "://" not in lake:
        refresh_profiles(engine, Path(lake), runs, now=clock())
        # retention tasks follow the refreshed tags (R-OPS-5, docs/operations.md)
        sync_after_publish(
            engine, policy, run_id, now=clock(), skip=regraded,
            capacity=manager_capacity(Path(lake)),
        )  # fmt: skip
