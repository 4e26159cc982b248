"""One tier state (issue 16, R-GRD-9, R-GRD-10): for random books and random event sequences,
the tier state after real-time regrades equals a batch run's for the same as-of, customer by
customer, reasons included.

Two stores start from the same published run (as of 2025-06-30). Late orders (event time on the
as-of day, received after the run started) go to one store through :class:`Regrader` in random
chunks; the other store gets a second batch run at the same as-of over the lake with the same
orders written into it. The real-time regrade decides "between runs"
(:func:`tierwise.tierstate.decide.decide`), so its downgrade grace is never counted; late
orders never lower a computed tier, which is where the two paths must agree exactly.

Returns of late orders do **not** agree yet (the real-time features net them, the batch
features do not): :func:`test_returns_of_late_orders_agree_too` is a strict xfail until the
one feature definition (issue 16 item 2) lands.

Compared: tier, score, since, downgrade warning of every customer; the net change since the
first run (from, to, reason code); and, when the events came in one chunk, the change's
reasons (the real-time path adds its provenance keys, which a batch run has no events for).
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select

from conftest import RFM_POLICY, Clock
from tierwise.pipeline.publish import grade_and_publish
from tierwise.policy import parse_policy
from tierwise.realtime import OrderEvent, Regrader, ReturnEvent
from tierwise.store.db import make_engine, sqlite_url
from tierwise.store.migrate import upgrade
from tierwise.store.schema import CustomerTier, TierChange
from tinylake import ts, write_lake

AS_OF = dt.date(2025, 6, 30)
PROVENANCE = {"source", "previous_score", "order_id", "orders", "events"}

# the real-time tests' RFM score (per customer, no re-rank) with threshold tiers
POLICY = parse_policy(
    {
        **RFM_POLICY,
        "name": "rt-equals-batch",
        "tiers": {
            "method": "threshold",
            "levels": [
                {
                    "code": "gold",
                    "label": {"zh": "金", "en": "Gold"},
                    "when": ["spend_365d >= 3000", "orders_365d >= 4"],
                },
                {
                    "code": "silver",
                    "label": {"zh": "银", "en": "Silver"},
                    "when": "spend_365d >= 1500",
                },
                {"code": "bronze", "label": {"zh": "铜", "en": "Bronze"}},
            ],
        },
    },
    source="test",
)

amounts = st.integers(2, 40).map(lambda k: 50 * k)
lake_orders = st.lists(
    st.tuples(st.integers(0, 5), st.integers(1, 29), amounts), min_size=1, max_size=14
)


def _events(late: list[tuple[int, int, int, int]]) -> list[Any]:
    """Late events: (customer, hour, amount, what follows: 0 nothing, 1 full return, 2 half)."""
    out: list[Any] = []
    for k, (c, hour, amount, follow) in enumerate(late):
        cid, oid = f"c{c}", f"E{k}"
        out.append(
            OrderEvent(
                order_id=oid,
                customer_id=cid,
                order_time=ts(2025, 6, 30, hour),
                amount=Decimal(amount),
            )
        )
        if follow:
            out.append(
                ReturnEvent(
                    return_id=f"R{k}",
                    order_id=oid,
                    customer_id=cid,
                    return_time=ts(2025, 6, 30, 19),
                    amount=Decimal(amount if follow == 1 else amount // 2),
                )
            )
    return out


def _store(path: Path) -> Engine:
    engine = make_engine(sqlite_url(path))
    upgrade(engine)
    return engine


def _state(engine: Engine) -> dict[str, tuple[Any, ...]]:
    with engine.connect() as conn:
        return {
            r.customer_id: (r.tier, r.score, r.since, r.downgrade_warning)
            for r in conn.execute(select(CustomerTier))
        }


def _changes(engine: Engine, keep: Any) -> dict[str, list[Any]]:
    """The tier changes ``keep(row)`` selects, by customer, oldest first."""
    out: dict[str, list[Any]] = {}
    with engine.connect() as conn:
        for r in conn.execute(select(TierChange).order_by(TierChange.id)):
            if keep(r):
                out.setdefault(r.customer_id, []).append(r)
    return out


def _check(
    tmp: Path, book: list[tuple[int, int, int]], late: list[tuple[int, int, int, int]], chunks: int
) -> None:
    customers = [{"customer_id": f"c{i}"} for i in range(6)]
    orders = [
        {"order_id": f"L{k}", "customer_id": f"c{c}", "order_time": ts(2025, 6, d), "amount": a}
        for k, (c, d, a) in enumerate(book)
    ]
    events = _events(late)
    lake1 = write_lake(tmp / "lake1", {"customers": customers, "orders": orders})

    # real time: the run, then the late events in `chunks` ingests
    rt = _store(tmp / "rt.db")
    clock = Clock(dt.datetime(2025, 6, 30, 20))
    runs_rt = tmp / "runs-rt"
    grade_and_publish(POLICY, as_of=AS_OF, lake=lake1, runs=runs_rt, engine=rt, clock=clock)
    regrader = Regrader(rt, runs_rt, clock=clock)
    size = math.ceil(len(events) / chunks)
    for start in range(0, len(events), size):
        regrader.ingest(events[start : start + size])

    # batch: the same run, then a second run at the same as-of over the lake with the events
    batch = _store(tmp / "batch.db")
    bclock = Clock(dt.datetime(2025, 6, 30, 20))
    runs_b = tmp / "runs-b"
    grade_and_publish(POLICY, as_of=AS_OF, lake=lake1, runs=runs_b, engine=batch, clock=bclock)
    late_rows = [e for e in events if isinstance(e, OrderEvent)]
    lake2 = write_lake(
        tmp / "lake2",
        {
            "customers": customers,
            "orders": orders
            + [
                {
                    "order_id": e.order_id,
                    "customer_id": e.customer_id,
                    "order_time": e.order_time,
                    "amount": e.amount,
                }
                for e in late_rows
            ],
            "returns": [
                {
                    "return_id": e.return_id,
                    "order_id": e.order_id,
                    "customer_id": e.customer_id,
                    "return_time": e.return_time,
                    "amount": e.amount,
                }
                for e in events
                if isinstance(e, ReturnEvent)
            ],
        },
    )
    second = grade_and_publish(
        POLICY, as_of=AS_OF, lake=lake2, runs=runs_b, engine=batch, clock=bclock
    )

    rt_state, b_state = _state(rt), _state(batch)
    assert rt_state.keys() == b_state.keys()
    for cid, (tier, score, since, warning) in b_state.items():
        r_tier, r_score, r_since, r_warning = rt_state[cid]
        assert (r_tier, r_since, r_warning) == (tier, since, warning), cid
        assert (r_score is None) == (score is None), cid
        if score is not None:
            assert math.isclose(r_score, score, rel_tol=1e-9, abs_tol=1e-9), cid

    rt_changes = _changes(rt, lambda r: r.reason.get("source") == "realtime")
    b_changes = _changes(batch, lambda r: r.run_id == second.result.run_id)
    for cid in rt_state:
        rts, bs = rt_changes.get(cid, []), b_changes.get(cid, [])
        assert len(bs) <= 1, cid
        if not bs:
            assert rts == [] or rts[0].from_tier == rts[-1].to_tier, cid
            continue
        b = bs[0]
        assert rts, cid
        assert (rts[0].from_tier, rts[-1].to_tier) == (b.from_tier, b.to_tier), cid
        if chunks == 1:
            (r,) = rts
            assert r.reason_code == b.reason_code, cid
            assert r.effective == b.effective, cid
            assert {k: v for k, v in r.reason.items() if k not in PROVENANCE} == b.reason, cid


# (customer, hour, amount, 0): late orders without returns
late_orders_only = st.lists(
    st.tuples(st.integers(0, 5), st.integers(8, 18), amounts, st.just(0)), min_size=1, max_size=10
)


@settings(
    max_examples=8,
    deadline=None,
    phases=(Phase.explicit, Phase.generate),  # a shrink re-grades twice per step: minutes
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(lake_orders, late_orders_only, st.integers(1, 3))
@example(  # c1 reaches gold in one chunk, c2 silver in two orders
    book=[(1, 3, 1000), (1, 10, 1000), (2, 5, 1000)],
    late=[(1, 9, 700, 0), (1, 10, 800, 0), (2, 11, 300, 0), (2, 12, 300, 0)],
    chunks=1,
)
def test_realtime_regrades_equal_the_batch_run_of_the_same_as_of(
    tmp_path_factory: Any,
    book: list[tuple[int, int, int]],
    late: list[tuple[int, int, int, int]],
    chunks: int,
) -> None:
    _check(tmp_path_factory.mktemp("eq"), book, late, chunks)


@pytest.mark.xfail(
    strict=True,
    reason="issue 16 item 2, not yet: real time nets a late order's returns out of its orders, "
    "spend and recency (realtime/features.py); the batch features count the order and its full "
    "amount. One feature definition (real time evaluating the Ibis features) removes the drift.",
)
@pytest.mark.parametrize("follow", [1, 2], ids=["full-return", "partial-return"])
def test_returns_of_late_orders_agree_too(tmp_path: Path, follow: int) -> None:
    _check(tmp_path, [(2, 5, 1600)], [(2, 11, 600, follow)], 1)
