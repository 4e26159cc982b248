"""Real-time regrade: store events, regrade their customers with the latest run's cutoffs.

:meth:`Regrader.ingest` is the one entry point (the API's events route, the Redis consumer
and the tests call it): in **one transaction** it stores the events (a duplicate idempotency
key is ignored), recomputes each affected customer's features from the run's features plus
all of the customer's events since the run (so a late or out-of-order event gives the same
result as in order), rescores them with the policy's own expression, places the score
against the run's stored cutoffs, decides the next tier state (:func:`tierwise.tierstate.decide.decide`, between runs)
and writes it through the one writer (:mod:`tierwise.store.tier_writer`: ``customer_tiers``,
``tier_changes``, the webhook outbox and the operations modules' hooks).
"""

from __future__ import annotations

import datetime as dt
import gc
import logging
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
from sqlalchemy import Connection, Engine, and_, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from tierwise.errors import TierwiseError, UsageError
from tierwise.ops.retention import sync_after_regrade
from tierwise.realtime.context import RunContext, load_context
from tierwise.realtime.events import OrderEvent, PaymentEvent, ReturnEvent
from tierwise.realtime.features import EventRow, apply_events
from tierwise.recommend.service import refresh_after_orders
from tierwise.store.schema import (
    CustomerTier,
    Event,
    Override,
    Run,
    TierChange,
    latest_published,
)
from tierwise.store.tier_writer import write_regrade
from tierwise.tierstate.decide import (
    UPGRADE_REVERTED,
    Decision,
    TierState,
    decide,
    revert_upgrade,
)

AnyEvent = OrderEvent | ReturnEvent | PaymentEvent
SOURCE = "realtime"


log = logging.getLogger(__name__)


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class IngestResult:
    """What one :meth:`Regrader.ingest` call did."""

    stored: list[str]  # idempotency keys stored now
    duplicates: list[str]  # keys seen before (ignored)
    changes: list[dict[str, Any]] = field(default_factory=list)  # tier changes written
    regraded: int = 0
    run_id: str | None = None


def _insert(conn: Connection) -> Any:
    return postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert


class Regrader:
    """Regrades customers from their events against the latest published run.

    Parameters
    ----------
    engine:
        The operational store (at the latest schema).
    runs:
        The runs directory the published runs were graded into (their ``features.parquet``).
    clock:
        Naive-UTC wall clock (a parameter for tests).
    """

    def __init__(
        self, engine: Engine, runs: Path, clock: Callable[[], dt.datetime] = _utcnow
    ) -> None:
        self.engine = engine
        self.runs = runs
        self.clock = clock
        self._ctx: RunContext | None = None

    @property
    def current_run_id(self) -> str | None:
        """The run whose cutoffs the last regrade used."""
        return None if self._ctx is None else self._ctx.run_id

    def context(self, conn: Connection) -> RunContext | None:
        """The current run's context, reloaded when another run has been published."""
        row = conn.execute(latest_published(Run.id, Run.started_at)).first()
        if row is None:
            return None
        if self._ctx is None or self._ctx.run_id != row.id:
            if self._ctx is not None:
                self._ctx.scorer.close()
            self._ctx = load_context(row.id, row.started_at, self.runs)
            # The run's features are long-lived: keep the cyclic garbage collector from
            # walking them on every full collection (pauses that show up as p99 latency).
            gc.collect()
            gc.freeze()
        return self._ctx

    def ingest(
        self,
        events: Sequence[AnyEvent],
        *,
        received_at: dt.datetime | Sequence[dt.datetime] | None = None,
        actor: str | None = None,
    ) -> IngestResult:
        """Store ``events`` and regrade their customers, all in one transaction.

        This is the one write path of the ``events`` table (the API's events route, the Redis
        consumer and ``tierwise events consume`` all come here).
        ``received_at``: when the events were received (one time, or one per event; default
        now). ``actor``: who sent them (``user:<name>``, ``key:<name>``, ``redis:<stream>``).
        Events whose key is already stored are ignored (reported in ``duplicates``).
        Without a published run the events are stored and nobody is regraded yet (the first
        run's features do not include them: they are regraded with the first later event).
        """
        now = self.clock()
        times = (
            [received_at or now] * len(events)
            if received_at is None or isinstance(received_at, dt.datetime)
            else list(received_at)
        )
        rows: list[dict[str, Any]] = []
        seen: set[str] = set()
        for ev, at in zip(events, times, strict=True):
            if ev.key in seen:
                continue
            seen.add(ev.key)
            rows.append(
                {
                    "key": ev.key,
                    "kind": ev.kind,
                    "customer_id": ev.customer_id,
                    "source_id": ev.source_id,
                    "order_id": ev.order_id if isinstance(ev, ReturnEvent) else None,
                    "event_time": ev.event_time,
                    "amount": ev.amount,
                    "payload": ev.model_dump(mode="json", exclude_none=True),
                    "received_at": at,
                    "actor": actor,
                }
            )
        all_keys = [e.key for e in events]
        if not rows:
            return IngestResult([], all_keys)
        with self.engine.begin() as conn:
            try:
                ctx = self.context(conn)
            except TierwiseError as err:
                # The current run's folder is missing or unreadable: keep the events (they are
                # applied with the customer's next event once a usable run is published), but
                # never lose them because grading output is broken.
                log.warning("events stored without a regrade: %s", err)
                ctx = None
            if ctx is not None:  # applied in this transaction
                rows = [{**r, "applied_at": now} for r in rows]
            stmt = (
                _insert(conn)(Event)
                .on_conflict_do_nothing(index_elements=["key"])
                .returning(Event.key)
            )
            stored = set(conn.execute(stmt, rows).scalars().all())
            new = [r for r in rows if r["key"] in stored]
            # product recommendations follow the order's lines, regrade or not (R-OPS-7)
            refresh_after_orders(conn, new, now)
            dups = [k for k in all_keys if k not in stored]
            if ctx is None or not new:
                return IngestResult(sorted(stored), dups, run_id=ctx.run_id if ctx else None)
            customers = sorted({r["customer_id"] for r in new})
            new_by_customer: dict[str, list[dict[str, Any]]] = {}
            for r in new:
                new_by_customer.setdefault(r["customer_id"], []).append(r)
            changes = self._regrade(conn, ctx, customers, new_by_customer, now)
        return IngestResult(
            [r["key"] for r in new], dups, changes, regraded=len(customers), run_id=ctx.run_id
        )

    def regrade(self, customer_ids: Sequence[str]) -> list[dict[str, Any]]:
        """Regrade customers from their stored events (e.g. after a publish); the changes."""
        now = self.clock()
        with self.engine.begin() as conn:
            ctx = self.context(conn)
            if ctx is None:
                raise UsageError("no published run: grade and publish one first")
            return self._regrade(conn, ctx, sorted(set(customer_ids)), {}, now)

    def regrade_unseen(self, conn: Connection, now: dt.datetime) -> list[str]:
        """Re-apply the events the current run did not see; the customers regraded.

        Called by the pipeline inside the transaction that publishes a run (the run is already
        marked published on ``conn``): a customer with an event after the run's as_of (or
        received after the run started) would otherwise keep the run's tier, without its
        real-time regrade, until its next event. Idempotent: a second call changes nothing.
        A policy that cannot be regraded in real time (model scores, account-level tiers)
        regrades nobody (logged); its events wait for the next batch run, as always.
        """
        run = conn.execute(latest_published(Run.as_of, Run.started_at)).first()
        if run is None:
            return []
        unseen = _unseen(run.as_of, run.started_at)
        customers = sorted(
            conn.execute(select(Event.customer_id).where(unseen).distinct()).scalars().all()
        )
        if not customers:
            return []
        try:
            ctx = self.context(conn)
        except UsageError as err:
            log.warning("events after the run not re-applied: %s", err)
            return []
        if ctx is None:  # pragma: no cover - the run was just marked published on conn
            return []
        fresh = {
            c: [asdict(e) for e in rows] for c, rows in self._events(conn, ctx, customers).items()
        }
        self._regrade(conn, ctx, customers, fresh, now)
        conn.execute(
            update(Event)
            .where(Event.customer_id.in_(customers), unseen, Event.applied_at.is_(None))
            .values(applied_at=now)
        )
        return customers

    # -- the regrade itself -------------------------------------------------------------

    def _events(
        self, conn: Connection, ctx: RunContext, customers: list[str]
    ) -> dict[str, list[EventRow]]:
        """Each customer's events the run did not see: after its as_of, or received after
        it started (a late event with an older time)."""
        q = select(
            Event.key,
            Event.kind,
            Event.customer_id,
            Event.source_id,
            Event.order_id,
            Event.event_time,
            Event.amount,
        ).where(Event.customer_id.in_(customers), _unseen(ctx.as_of, ctx.started_at))
        out: dict[str, list[EventRow]] = {c: [] for c in customers}
        for r in conn.execute(q):
            out[r.customer_id].append(
                EventRow(r.key, r.kind, r.source_id, r.order_id, r.event_time, float(r.amount))
            )
        return out

    def _regrade(
        self,
        conn: Connection,
        ctx: RunContext,
        customers: list[str],
        new_events: dict[str, list[dict[str, Any]]],
        now: dt.datetime,
    ) -> list[dict[str, Any]]:
        events = self._events(conn, ctx, customers)
        base = ctx.base_rows(customers)
        cols = ctx.columns
        feats = [
            {
                "entity_id": c,
                **apply_events(
                    base.get(c),
                    events[c],
                    as_of=ctx.as_of,
                    lookback_days=ctx.policy.lookback_days,
                    columns=cols,
                ),
            }
            for c in customers
        ]
        scored = ctx.scorer.score(pa.Table.from_pylist(feats, schema=ctx.features.schema))

        state_q = select(CustomerTier).where(CustomerTier.customer_id.in_(customers))
        if conn.dialect.name == "postgresql":
            state_q = state_q.with_for_update()
        states = {r.customer_id: r for r in conn.execute(state_q)}
        overrides = {
            r.customer_id: r.tier
            for r in conn.execute(
                select(Override.customer_id, Override.tier)
                .where(
                    Override.customer_id.in_(customers),
                    Override.revoked_at.is_(None),
                    Override.expires_at > now,
                )
                .order_by(Override.created_at)
            )
        }
        last_id = (
            select(TierChange.customer_id, func.max(TierChange.id).label("id"))
            .where(TierChange.customer_id.in_(customers))
            .group_by(TierChange.customer_id)
            .subquery()
        )
        last_change = {
            r.customer_id: r
            for r in conn.execute(
                select(TierChange).join(
                    last_id,
                    and_(TierChange.id == last_id.c.id),
                )
            )
        }

        day = now.date()
        order = ctx.order
        changes: list[dict[str, Any]] = []
        upserts: list[dict[str, Any]] = []
        tag_rows: dict[str, dict[str, Any]] = {}  # features after the events (R-OPS-5)
        for c, feat in zip(customers, feats, strict=True):
            s = scored.get(c, {"eligible": False, "score": None, "rule_rank": None})
            score = s["score"]
            computed = ctx.tier_of(bool(s["eligible"]), score, s["rule_rank"])
            st = states.get(c)
            current = (
                None
                if st is None
                else TierState(
                    st.tier, st.since, st.runs_below, st.below_since, st.downgrade_warning
                )
            )
            prev_score = None if st is None else st.score
            fresh = new_events.get(c, [])
            decision = self._revert(ctx, current, computed, score, last_change.get(c), fresh, day)
            if decision is None:
                decision = decide(
                    current,
                    computed,
                    score,
                    order=order,
                    cutoffs=ctx.stay_cutoffs,
                    rule=ctx.rule,
                    as_of=day,
                    override=overrides.get(c),
                    between_runs=True,
                )
            new = decision.state
            tag_rows[c] = {
                **feat,
                "score": score,
                "tier": new.tier,
                "tier_rank": order.index(new.tier) if new.tier in order else None,
            }
            upserts.append(
                {
                    "customer_id": c,
                    "tier": new.tier,
                    "score": score,
                    "run_id": ctx.run_id if st is None else st.run_id,
                    "since": new.since,
                    "runs_below": new.runs_below,
                    "below_since": new.below_since,
                    "downgrade_warning": new.downgrade_warning,
                    "updated_at": now,
                }
            )
            if decision.change is not None:
                ch = decision.change
                reason = {**ch.reason, "source": SOURCE, "previous_score": prev_score}
                if ch.reason_code in ("upgrade", "initial"):
                    orders = sorted(
                        (e for e in fresh if e["kind"] == "order"),
                        key=lambda e: (e["event_time"], e["amount"]),
                    )
                    if orders:
                        reason["order_id"] = orders[-1]["source_id"]
                        reason["orders"] = [e["source_id"] for e in orders]
                    reason["events"] = [e["key"] for e in fresh]
                changes.append(
                    {
                        "customer_id": c,
                        "run_id": ctx.run_id,
                        "from_tier": ch.from_tier,
                        "to_tier": ch.to_tier,
                        "changed_at": now,
                        "effective": day,
                        "reason_code": ch.reason_code,
                        "reason": reason,
                    }
                )
        # state, history, outbox and the operations modules' hooks: one writer
        write_regrade(conn, ctx.run_id, upserts, changes, now)
        # retention tasks follow the tag rule on the features after the events (R-OPS-5)
        sync_after_regrade(conn, ctx.policy, tag_rows, run_id=ctx.run_id, now=now)
        return changes

    def _revert(
        self,
        ctx: RunContext,
        current: TierState | None,
        computed: str | None,
        score: float | None,
        last: Any,
        fresh: list[dict[str, Any]],
        day: dt.date,
    ) -> Decision | None:
        """Revert a real-time upgrade at once when a new return undoes its order."""
        if current is None or last is None or last.reason_code != "upgrade":
            return None
        reason = last.reason or {}
        if reason.get("source") != SOURCE or last.to_tier != current.tier:
            return None
        returned = {e["order_id"] for e in fresh if e["kind"] == "return"}
        hit = returned & set(reason.get("orders") or [])
        if not hit:
            return None
        return revert_upgrade(
            current,
            computed,
            last.from_tier,
            order=ctx.order,
            day=day,
            reason={
                "score": score,
                "returned_orders": sorted(hit),
                "upgrade_change_id": last.id,
                "computed": computed,
            },
        )


__all__ = ["UPGRADE_REVERTED", "IngestResult", "Regrader"]


def _unseen(as_of: dt.date, started_at: dt.datetime) -> Any:
    """Events a run did not see: after its as_of, or received after it started (a late
    event with an older time)."""
    after = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time())
    return or_(Event.event_time >= after, Event.received_at > started_at)
