"""Grading runs in the operational store: begin, publish atomically, fail (issue 5).

A run is first recorded as ``running`` in its own transaction, so that a crash leaves a visible
trace. :meth:`RunStore.publish` then does everything else in **one** transaction: the run's
assignments and cutoffs, the stability rules applied to every customer, the new current tiers,
the change history, and the run's status. A failure or a killed process rolls all of it back:
the previous run stays current. A published run is never modified again.

A run of a policy with a ``review:`` block is *held* instead (``publish(hold=True)``): its
assignments and cutoffs are stored, it is ``awaiting_review`` and no tier changes until
:meth:`RunStore.release` publishes it by the same path after its spot check (docs/runs.md).
Statuses: running → published | failed | awaiting_review; awaiting_review → published |
superseded (a newer run was published first).
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
import psutil
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Connection, Engine, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tierwise.errors import ConflictError, NotFoundError, UsageError
from tierwise.store.bulk import insert_arrow, read_arrow
from tierwise.store.held import record_held
from tierwise.store.schema import (
    Base,
    CustomerTier,
    Override,
    Run,
    TierChange,
    latest_published,
)
from tierwise.store.tier_writer import CHANGES, write_run
from tierwise.tierstate.decide import StabilityRule
from tierwise.tierstate.decide_many import CODE_NAMES, BatchState, decide_many, reasons_json

_T = Base.metadata.tables
_OWNER = f"{socket.gethostname()}:{os.getpid()}"
STALE_AFTER = timedelta(hours=2)  # a running run silent for this long is taken for dead


def _process_gone(owner: str | None) -> bool:
    """Whether ``owner`` (host:pid) names a process of this host that no longer runs."""
    if not owner or ":" not in owner:
        return False
    host, _, pid = owner.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    return not psutil.pid_exists(int(pid))


ASSIGNMENTS = pa.schema(
    [
        ("customer_id", pa.string()),
        ("tier", pa.string()),
        ("score", pa.float64()),
        ("status", pa.string()),
    ]
)
_STATE = pa.schema(
    [
        ("customer_id", pa.string()),
        ("tier", pa.string()),
        ("score", pa.float64()),
        ("run_id", pa.string()),
        ("since", pa.date32()),
        ("runs_below", pa.int64()),
        ("below_since", pa.date32()),
        ("downgrade_warning", pa.bool_()),
        ("updated_at", pa.timestamp("us")),
    ]
)


@dataclass(frozen=True)
class Assignment:
    """What a run computed for one customer (convenience for small runs and tests)."""

    customer_id: str
    tier: str | None
    score: float | None
    status: str = "graded"


@dataclass(frozen=True)
class Cutoff:
    """Minimum score of one tier in a run; ``rank`` 0 is the top tier."""

    tier: str
    rank: int
    min_score: float | None


@dataclass(frozen=True)
class PublishSummary:
    run_id: str
    customers: int
    #: the changes written; for a held run, the changes it proposes (nothing written)
    changes: dict[str, int]
    held: bool = False


def assignments_table(rows: Sequence[Assignment]) -> pa.Table:
    """An assignments table (the input of :meth:`RunStore.publish`) from dataclasses."""
    return pa.table(
        {
            "customer_id": [a.customer_id for a in rows],
            "tier": [a.tier for a in rows],
            "score": [a.score for a in rows],
            "status": [a.status for a in rows],
        },
        schema=ASSIGNMENTS,
    )


def _ranks(tiers: pa.Array | pa.ChunkedArray, order: list[str], missing: int) -> np.ndarray:
    idx = pc.index_in(tiers, value_set=pa.array(order, pa.string()))
    return np.asarray(pc.fill_null(idx, missing).to_numpy(zero_copy_only=False), dtype=np.int64)


def _dates(col: pa.ChunkedArray | pa.Array) -> np.ndarray:
    return np.asarray(col.to_numpy(zero_copy_only=False), dtype="datetime64[D]")


class _Clock:
    """Seconds spent in each step of a publication (kept with the run)."""

    def __init__(self) -> None:
        self.laps: dict[str, float] = {}
        self._t = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps[name] = round(now - self._t, 3)
        self._t = now


def _decide(
    conn: Connection,
    run_id: str,
    data: pa.Table,
    cutoffs: Sequence[Cutoff],
    rule: StabilityRule,
    as_of: date,
    now: datetime,
    clock: _Clock,
) -> tuple[pa.Table, pa.Table, dict[str, int]]:
    """The stability rules of ``run_id``'s assignments against the current state: the new
    state of every customer (those absent from the run keep theirs), the tier changes and
    their tally. Reads only: a held run's proposal and a publication share it."""
    order = [c.tier for c in sorted(cutoffs, key=lambda c: c.rank)]
    n = len(order)
    stay_cut = _stay_cut(cutoffs)
    state = read_arrow(conn, _T["customer_tiers"], _STATE)
    clock.lap("read_state")
    ovr_rows = conn.execute(
        select(Override.customer_id, Override.tier)
        .where(Override.revoked_at.is_(None), Override.expires_at > now)
        .order_by(Override.created_at)
    ).all()
    overrides = {r.customer_id: r.tier for r in ovr_rows}  # the latest override wins

    # align the current state with the assignments (customers absent from the run keep their state)
    pos = pc.index_in(data["customer_id"], value_set=state["customer_id"])
    has = pc.is_valid(pos).to_numpy(zero_copy_only=False)
    take = pc.fill_null(pos, 0)
    m = data.num_rows
    cur_tier = np.full(m, n, dtype=np.int64)
    since = np.full(m, np.datetime64("NaT"), dtype="datetime64[D]")
    runs_below = np.zeros(m, dtype=np.int64)
    below_since = np.full(m, np.datetime64("NaT"), dtype="datetime64[D]")
    warning = np.zeros(m, dtype=bool)
    if state.num_rows:
        st = state.take(take)
        cur_tier = np.where(has, _ranks(st["tier"], order, n), n)
        since = np.where(has, _dates(st["since"]), since)
        runs_below = np.where(
            has,
            np.asarray(st["runs_below"].to_numpy(zero_copy_only=False), dtype=np.int64),
            0,
        )
        below_since = np.where(has, _dates(st["below_since"]), below_since)
        warning = np.where(
            has,
            np.asarray(st["downgrade_warning"].to_numpy(zero_copy_only=False), dtype=bool),
            False,
        )
    computed = _ranks(data["tier"], order, n)
    score = np.asarray(
        pc.fill_null(pc.cast(data["score"], pa.float64()), np.nan).to_numpy(zero_copy_only=False),
        dtype=np.float64,
    )
    ovr = np.full(m, -1, dtype=np.int64)
    if overrides:
        ovr_ids = pa.array(list(overrides), pa.string())
        ovr_rank = _ranks(pa.array(list(overrides.values()), pa.string()), order, -1)
        opos = pc.index_in(data["customer_id"], value_set=ovr_ids)
        ohas = pc.is_valid(opos).to_numpy(zero_copy_only=False)
        ovr = np.where(
            ohas,
            ovr_rank[np.asarray(pc.fill_null(opos, 0).to_numpy(zero_copy_only=False))],
            -1,
        )

    new, code = decide_many(
        BatchState(cur_tier, since, runs_below, below_since, warning),
        computed,
        score,
        ovr,
        n_tiers=n,
        stay_cutoff=stay_cut,
        rule=rule,
        as_of=as_of,
    )
    clock.lap("stability_rules")
    names = pa.array([*order, None], pa.string())
    new_state = pa.table(
        {
            "customer_id": data["customer_id"],
            "tier": pc.take(names, pa.array(new.tier)),
            "score": pa.array(score, from_pandas=True),
            "run_id": pa.array([run_id] * m, pa.string()),
            "since": pa.array(new.since, pa.date32()),
            "runs_below": pa.array(new.runs_below),
            "below_since": pa.array(new.below_since, pa.date32(), from_pandas=True),
            "downgrade_warning": pa.array(new.warning),
            "updated_at": pa.array([now] * m, pa.timestamp("us")),
        },
        schema=_STATE,
    )
    kept = state.filter(pc.invert(pc.is_in(state["customer_id"], value_set=data["customer_id"])))
    changed = code != 0
    idx = np.flatnonzero(changed)
    stay_cur = np.where(cur_tier < n, stay_cut[np.minimum(cur_tier, n - 1)], np.nan)
    before = BatchState(cur_tier, since, runs_below, below_since, warning)
    reasons = reasons_json(
        code[idx],
        score[idx],
        before.take(idx),
        computed[idx],
        stay_cur[idx],
        order,
        rule,
        ovr[idx],
        as_of=as_of,
    )
    code_names = pa.array([None, *(CODE_NAMES[i] for i in sorted(CODE_NAMES))], pa.string())
    changes = pa.table(
        {
            "customer_id": data["customer_id"].take(pa.array(idx)),
            "run_id": pa.array([run_id] * len(idx), pa.string()),
            "from_tier": pc.take(names, pa.array(cur_tier[idx])),
            "to_tier": pc.take(names, pa.array(new.tier[idx])),
            "changed_at": pa.array([now] * len(idx), pa.timestamp("us")),
            "effective": pa.array([as_of] * len(idx), pa.date32()),
            "reason_code": pc.take(code_names, pa.array(code[idx])),
            "reason": reasons,
        },
        schema=CHANGES,
    )
    tally = {
        CODE_NAMES[int(k)]: int(v)
        for k, v in zip(*np.unique(code[idx], return_counts=True), strict=True)
    }
    return pa.concat_tables([new_state, kept]), changes, tally


def _stay_cut(cutoffs: Sequence[Cutoff]) -> np.ndarray:
    return np.array(
        [
            np.nan if c.min_score is None else c.min_score
            for c in sorted(cutoffs, key=lambda c: c.rank)
        ]
    )


def _write(
    conn: Connection,
    run_id: str,
    data: pa.Table,
    cutoffs: Sequence[Cutoff],
    rule: StabilityRule,
    as_of: date,
    now: datetime,
    clock: _Clock,
    *,
    counts: dict[str, Any] | None,
    timings: dict[str, Any] | None,
    data_fingerprint: str | None = None,
) -> dict[str, int]:
    """Publish ``run_id``: the one path of every publication, direct or released after its
    spot check (state, history, outbox, hooks, the run's status, older held runs
    superseded)."""
    state, changes, tally = _decide(conn, run_id, data, cutoffs, rule, as_of, now, clock)
    # state, history, outbox and the operations modules' hooks: one writer
    write_run(conn, run_id, state, changes, now)
    clock.lap("write_state")
    conn.execute(
        update(Run)
        .where(Run.id == run_id)
        .values(
            status="published",
            published_at=now,
            finished_at=now,
            counts={**(counts or {}), "customers": data.num_rows, "changes": tally},
            timings={**(timings or {}), "publish": clock.laps},
            **({"data_fingerprint": data_fingerprint} if data_fingerprint else {}),
        )
    )
    started = conn.execute(select(Run.started_at).where(Run.id == run_id)).scalar_one()
    # a held run older than the one now published would take its state back: never released
    conn.execute(
        update(Run)
        .where(Run.status == "awaiting_review", Run.started_at <= started, Run.id != run_id)
        .values(status="superseded", error=f"superseded by run {run_id}")
    )
    return tally


class RunStore:
    """Runs and published state on one database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def begin(
        self,
        run_id: str,
        *,
        policy_name: str,
        policy_hash: str,
        as_of: date,
        data_fingerprint: str,
        started_at: datetime,
        trigger: str = "manual",
        stale_after: timedelta = STALE_AFTER,
    ) -> None:
        """Record a new run as ``running`` (committed at once).

        Refuses with :class:`UsageError` while another run is running (the database's
        one-running-run index decides, whatever process asks). A running run whose process is
        gone (same host, pid not alive) or that gave no heartbeat for ``stale_after`` is marked
        failed as abandoned first.
        """
        self._abandon_dead_runs(started_at, stale_after)
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    _T["runs"]
                    .insert()
                    .values(
                        id=run_id,
                        policy_name=policy_name,
                        policy_hash=policy_hash,
                        as_of=as_of,
                        data_fingerprint=data_fingerprint,
                        status="running",
                        trigger=trigger,
                        started_at=started_at,
                        counts={},
                        timings={},
                        owner=_OWNER,
                        heartbeat_at=started_at,
                    )
                )
        except IntegrityError as err:
            with self.engine.connect() as conn:
                other = conn.execute(
                    select(Run.id, Run.started_at, Run.owner).where(Run.status == "running")
                ).first()
            if other is None:  # the id itself was taken
                raise UsageError(f"a run with id {run_id!r} exists already", run_id=run_id) from err
            raise UsageError(
                f"another grading run is in progress: {other.id} (started {other.started_at:%Y-%m-%d %H:%M}"
                f" by {other.owner})",
                hint="wait for it to finish; runs never overlap",
                run_id=other.id,
            ) from err

    def heartbeat(self, run_id: str, now: datetime) -> None:
        """A long run's sign of life (keeps it from being taken for abandoned)."""
        with self.engine.begin() as conn:
            conn.execute(
                update(Run)
                .where(Run.id == run_id, Run.status == "running")
                .values(heartbeat_at=now)
            )

    def running(self, now: datetime, stale_after: timedelta = STALE_AFTER) -> str | None:
        """The run running now, after dead ones are marked failed (the one place that does:
        a crashed run must not answer "still running" forever, issue 17 #4)."""
        self._abandon_dead_runs(now, stale_after)
        with self.engine.connect() as conn:
            return conn.execute(select(Run.id).where(Run.status == "running")).scalar()

    def _abandon_dead_runs(self, now: datetime, stale_after: timedelta) -> None:
        with self.engine.begin() as conn:
            for r in conn.execute(
                select(Run.id, Run.owner, Run.heartbeat_at).where(Run.status == "running")
            ).all():
                if _process_gone(r.owner) or (
                    r.heartbeat_at is not None and now - r.heartbeat_at > stale_after
                ):
                    conn.execute(
                        update(Run)
                        .where(Run.id == r.id, Run.status == "running")
                        .values(
                            status="failed",
                            finished_at=now,
                            error=f"abandoned: its process ({r.owner}) is gone",
                        )
                    )

    def fail(self, run_id: str, error: str, finished_at: datetime) -> None:
        """Mark a running run failed; it never becomes current."""
        with self.engine.begin() as conn:
            conn.execute(
                update(Run)
                .where(Run.id == run_id, Run.status == "running")
                .values(status="failed", error=error[:4000], finished_at=finished_at)
            )

    def publish(
        self,
        run_id: str,
        assignments: pa.Table | Sequence[Assignment],
        cutoffs: Sequence[Cutoff],
        *,
        rule: StabilityRule,
        now: datetime,
        counts: dict[str, Any] | None = None,
        timings: dict[str, Any] | None = None,
        data_fingerprint: str | None = None,
        after: Callable[[Connection], object] | None = None,
        hold: bool = False,
        on_hold: Callable[[Connection, pa.Table], object] | None = None,
    ) -> PublishSummary:
        """Apply stability rules against the current state and publish, all or nothing.

        ``assignments`` has the columns of :data:`ASSIGNMENTS` (one row per customer). A tier
        not named in ``cutoffs`` is refused before anything is written. ``data_fingerprint``
        replaces the one given to :meth:`begin`, for callers that learn it while grading.
        ``after`` is called with the connection once the run is marked published, inside the
        same transaction (its failure publishes nothing): the pipeline re-applies the
        real-time events the run did not see there.

        ``hold`` (a policy with a ``review:`` block, docs/runs.md): store the assignments and
        cutoffs, mark the run ``awaiting_review`` and write no tier; ``on_hold`` gets the
        changes the run proposes (against the current state) in the same transaction, to
        sample its spot check. :meth:`release` publishes it later.
        """
        data = assignments if isinstance(assignments, pa.Table) else assignments_table(assignments)
        data = data.select(ASSIGNMENTS.names).cast(ASSIGNMENTS)
        order = [c.tier for c in sorted(cutoffs, key=lambda c: c.rank)]
        n = len(order)
        unknown = pc.unique(
            pc.filter(
                data["tier"], pc.invert(pc.fill_null(pc.is_in(data["tier"], pa.array(order)), True))
            )
        )
        if len(unknown):
            raise UsageError(
                f"run {run_id!r} assigns tiers the cutoffs do not name: {unknown.to_pylist()}",
                hint="tiers are " + ", ".join(order),
                run_id=run_id,
            )
        stay_cut = _stay_cut(cutoffs)
        clock = _Clock()
        with self.engine.begin() as conn:
            run = conn.execute(select(Run.status, Run.as_of).where(Run.id == run_id)).one_or_none()
            if run is None:
                raise NotFoundError(f"no run {run_id!r}", run_id=run_id)
            if run.status != "running":
                raise UsageError(
                    f"run {run_id!r} is {run.status}; only a running run can be published",
                    run_id=run_id,
                )
            as_of: date = run.as_of
            if conn.dialect.name == "postgresql":
                # Real-time regrades wait while a run publishes (readers do not): their updates
                # would otherwise be lost when the new state replaces the old one.
                conn.exec_driver_sql("LOCK TABLE customer_tiers IN SHARE ROW EXCLUSIVE MODE")
            insert_arrow(
                conn,
                _T["run_assignments"],
                data.append_column("run_id", pa.array([run_id] * data.num_rows, pa.string())),
            )
            insert_arrow(
                conn,
                _T["run_cutoffs"],
                pa.table(
                    {
                        "run_id": [run_id] * n,
                        "tier": order,
                        "rank": list(range(n)),
                        "min_score": pa.array(
                            [None if np.isnan(x) else float(x) for x in stay_cut], pa.float64()
                        ),
                    }
                ),
            )
            clock.lap("write_assignments")
            if hold:
                _, changes, tally = _decide(conn, run_id, data, cutoffs, rule, as_of, now, clock)
                conn.execute(
                    update(Run)
                    .where(Run.id == run_id)
                    .values(
                        status="awaiting_review",
                        finished_at=now,
                        counts={**(counts or {}), "customers": data.num_rows, "proposed": tally},
                        timings={**(timings or {}), "stage": clock.laps},
                        **({"data_fingerprint": data_fingerprint} if data_fingerprint else {}),
                    )
                )
                if on_hold is not None:
                    on_hold(conn, changes)
                return PublishSummary(run_id, data.num_rows, tally, held=True)
            tally = _write(
                conn, run_id, data, cutoffs, rule, as_of, now, clock,
                counts=counts, timings=timings, data_fingerprint=data_fingerprint,
            )  # fmt: skip
            if after is not None:
                after(conn)
                clock.lap("after_publish")
            # what every chart counts for this run, recorded once (tierwise.store.held)
            record_held(conn, run_id, now)
            clock.lap("held_counts")
        return PublishSummary(run_id, data.num_rows, tally)

    def release(
        self,
        run_id: str,
        *,
        rule: StabilityRule,
        now: datetime,
        before: Callable[[Connection, Any], object] | None = None,
        after: Callable[[Connection], object] | None = None,
        review: dict[str, Any] | None = None,
    ) -> PublishSummary:
        """Publish a run held ``awaiting_review``, all or nothing, by the path of
        :meth:`publish`: the stability rules against the state *now* (real-time changes since
        it was held count), state, history, outbox and hooks, older held runs superseded.

        ``before`` is called first in the transaction with the run's row (a Row of ``runs``; the spot-check
        gate raises there); ``after`` as in :meth:`publish`; ``review`` (who released, the
        check's agreement) is kept in the run's counts.
        """
        clock = _Clock()
        with self.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.exec_driver_sql("LOCK TABLE customer_tiers IN SHARE ROW EXCLUSIVE MODE")
            run = conn.execute(
                select(_T["runs"]).where(Run.id == run_id).with_for_update()
            ).one_or_none()
            if run is None:
                raise NotFoundError(f"no run {run_id!r}", run_id=run_id)
            if run.status != "awaiting_review":
                raise ConflictError(
                    f"run {run_id!r} is {run.status}; only a run awaiting review can be released",
                    code="run_not_awaiting_review",
                    run_id=run_id,
                    status=run.status,
                )
            if before is not None:
                before(conn, run)
            ra, rc = _T["run_assignments"], _T["run_cutoffs"]
            rows = conn.execute(
                select(ra.c.customer_id, ra.c.tier, ra.c.score, ra.c.status)
                .where(ra.c.run_id == run_id)
                .order_by(ra.c.customer_id)
            ).all()
            data = pa.table(
                {
                    "customer_id": [r.customer_id for r in rows],
                    "tier": [r.tier for r in rows],
                    "score": [r.score for r in rows],
                    "status": [r.status for r in rows],
                },
                schema=ASSIGNMENTS,
            )
            cutoffs = [
                Cutoff(c.tier, int(c.rank), c.min_score)
                for c in conn.execute(select(rc).where(rc.c.run_id == run_id))
            ]
            clock.lap("read_assignments")
            counts = {k: v for k, v in (run.counts or {}).items() if k != "proposed"}
            if review is not None:
                counts["review"] = review
            tally = _write(
                conn, run_id, data, cutoffs, rule, run.as_of, now, clock,
                counts=counts, timings=run.timings,
            )  # fmt: skip
            if after is not None:
                after(conn)
                clock.lap("after_publish")
            record_held(conn, run_id, now)
            clock.lap("held_counts")
        return PublishSummary(run_id, data.num_rows, tally)

    def current_run(self) -> Run | None:
        """The latest published run (the one whose cutoffs real-time regrades use)."""
        with Session(self.engine, expire_on_commit=False) as session:
            return session.scalars(latest_published(Run)).one_or_none()

    def run(self, run_id: str) -> Run:
        """One run by id."""
        with Session(self.engine, expire_on_commit=False) as session:
            run = session.get(Run, run_id)
        if run is None:
            raise NotFoundError(f"no run {run_id!r}", run_id=run_id)
        return run

    def tiers(self) -> dict[str, str | None]:
        """Current published tier of every customer."""
        with self.engine.connect() as conn:
            return {r.customer_id: r.tier for r in conn.execute(select(CustomerTier))}

    def history(self, customer_id: str) -> list[TierChange]:
        """A customer's tier changes, oldest first."""
        with Session(self.engine, expire_on_commit=False) as session:
            return list(
                session.scalars(
                    select(TierChange)
                    .where(TierChange.customer_id == customer_id)
                    .order_by(TierChange.id)
                )
            )
