"""Publication gated by a spot check (人工抽检, R-GRD-11; docs/runs.md).

A run whose policy has a ``review:`` block is graded and *held*: :func:`hold_gate` is the
``on_hold`` callback of :meth:`tierwise.store.runs.RunStore.publish`, which draws the
stratified sample of the changes the run proposes into the spot-check queue in the same
transaction as the run becomes ``awaiting_review``. Reviewers record verdicts with
:func:`tierwise.experiments.spotcheck.review`. :func:`release_run` publishes the run once
every sampled change has its verdict (and the agreement reaches the policy's
``min_agreement``): the same publication as an unheld run, so tier changes, webhooks, tier-write
hooks, the re-applied real-time events, the read model and retention tasks all happen there,
exactly once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
from sqlalchemy import Connection, Engine, select

from tierwise.errors import ConflictError, NotFoundError
from tierwise.experiments import spotcheck
from tierwise.grading.handoff import is_run, read_run
from tierwise.lake import LakeLocation
from tierwise.ops.benefits.ledger import save_plan
from tierwise.policy.schema import Review
from tierwise.realtime.regrade import Regrader
from tierwise.store.runs import PublishSummary, RunStore
from tierwise.store.schema import Run, RunCutoff

#: who opened a gate's spot check (the run itself, not a person)
GATE_ACTOR = "review gate"


def hold_gate(
    run_id: str, policy_name: str, review: Review, now: dt.datetime
) -> Callable[[Connection, pa.Table], object]:
    """The ``on_hold`` callback: sample the run's proposed changes into its spot check."""

    def sample(conn: Connection, changes: pa.Table) -> int:
        ranks = {
            str(t): int(r)
            for t, r in conn.execute(
                select(RunCutoff.tier, RunCutoff.rank).where(RunCutoff.run_id == run_id)
            )
        }
        rows = list(
            zip(
                changes["customer_id"].to_pylist(),
                changes["from_tier"].to_pylist(),
                changes["to_tier"].to_pylist(),
                strict=True,
            )
        )
        return spotcheck.sample_into_queue(
            conn,
            run_id,
            policy_name,
            rows,
            ranks,
            per_stratum=review.per_stratum,
            actor=GATE_ACTOR,
            now=now,
        )

    return sample


def gate(engine: Engine, run_id: str) -> dict[str, Any]:
    """A held run and its spot check: ``run`` (id, status, counts), ``check`` (the check
    with its items, or None) and ``unreviewed`` (sampled changes without a verdict)."""
    with engine.connect() as conn:
        run = conn.execute(
            select(Run.id, Run.status, Run.policy_name, Run.as_of, Run.counts).where(
                Run.id == run_id
            )
        ).first()
        if run is None:
            raise NotFoundError(f"no run {run_id!r}", run_id=run_id)
        check = spotcheck.check_of_run(conn, run_id)
    unreviewed = 0 if check is None else sum(i["verdict"] is None for i in check["items"])
    return {"run": dict(run._mapping), "check": check, "unreviewed": unreviewed}


def _guard(
    min_agreement: float | None, *, actor: str, four_eyes: bool
) -> Callable[[Connection, Any], object]:
    """Refuse a release until the run's spot check is finished (and agreed enough), and,
    under four eyes, when ``actor`` reviewed any of its sampled changes."""

    def check(conn: Connection, run: Any) -> None:
        c = spotcheck.check_of_run(conn, run.id)
        if c is None:
            raise ConflictError(
                f"run {run.id!r} has no spot check to wait for",
                code="spot_check_not_finished",
                run_id=run.id,
            )
        left = sum(i["verdict"] is None for i in c["items"])
        if left:
            raise ConflictError(
                f"the spot check of run {run.id!r} is not finished: {left} of {c['sampled']}"
                " sampled changes have no verdict yet",
                hint=f"review them (tierwise spotcheck show {c['id']}), then release the run",
                code="spot_check_not_finished",
                run_id=run.id,
                check_id=c["id"],
                unreviewed=left,
                sampled=c["sampled"],
            )
        rate = c["agreement"]["rate"]
        if min_agreement is not None and rate is not None and rate < min_agreement:
            raise ConflictError(
                f"the spot check of run {run.id!r} agrees with {rate:.1%} of the sampled"
                f" changes, below the policy's min_agreement {min_agreement:.1%}",
                hint="fix the policy and run again; this run cannot be released",
                code="spot_check_agreement_too_low",
                run_id=run.id,
                check_id=c["id"],
                agreement=rate,
                min_agreement=min_agreement,
            )
        reviewers = sorted({i["reviewer"] for i in c["items"] if i["reviewer"]})
        if four_eyes and actor in reviewers:
            raise ConflictError(
                f"{actor} reviewed changes of run {run.id!r}; under the policy's four_eyes"
                " someone who did not review them releases it",
                hint="ask another user with the release right to publish the run",
                code="four_eyes_required",
                run_id=run.id,
                check_id=c["id"],
                reviewers=reviewers,
            )

    return check


@dataclass(frozen=True)
class Released:
    """A held run, published after its spot check."""

    summary: PublishSummary
    check_id: int | None
    regraded: tuple[str, ...] = ()


def release_run(
    engine: Engine,
    run_id: str,
    *,
    runs: Path,
    lake: LakeLocation,
    actor: str,
    clock: Callable[[], dt.datetime],
) -> Released:
    """Publish ``run_id`` (``awaiting_review``) once its spot check is finished.

    Refused with :class:`ConflictError` (``code`` ``spot_check_not_finished``,
    ``spot_check_agreement_too_low`` or ``run_not_awaiting_review``) before anything is
    written. The publication is the one of :func:`tierwise.pipeline.publish.grade_and_publish`:
    the benefits plan, the stability rules against the state now, tier changes, webhooks and
    hooks, the real-time events the run did not see, then the read model and retention tasks.
    """
    from tierwise.pipeline.publish import after_publication

    info = gate(engine, run_id)  # 404 before anything else
    status = info["run"]["status"]
    if status != "awaiting_review":  # checked again, locked, by RunStore.release
        raise ConflictError(
            f"run {run_id!r} is {status}; only a run awaiting review can be released",
            code="run_not_awaiting_review",
            run_id=run_id,
            status=status,
        )
    check = info["check"]
    if not is_run(runs / run_id):
        raise NotFoundError(
            f"the folder of run {run_id!r} is not in {runs}",
            hint="a held run is released from its run folder (its policy and stability rules)",
            run_id=run_id,
        )
    output = read_run(runs / run_id)
    policy = output.policy
    review = policy.review or Review()
    store = RunStore(engine)
    save_plan(engine, policy, clock())
    published_at = clock()
    regraded: list[str] = []

    def reapply(conn: Connection) -> None:
        regraded.extend(Regrader(engine, runs, clock=clock).regrade_unseen(conn, published_at))

    summary = store.release(
        run_id,
        rule=output.stability_rule(),
        now=published_at,
        before=_guard(review.min_agreement, actor=actor, four_eyes=review.four_eyes),
        after=reapply,
        review={
            "released_by": actor,
            "check_id": None if check is None else check["id"],
            "agreement": None if check is None else check["agreement"]["rate"],
        },
    )
    after_publication(engine, policy, run_id, lake=lake, runs=runs, regraded=regraded, clock=clock)
    return Released(summary, None if check is None else int(check["id"]), tuple(regraded))
