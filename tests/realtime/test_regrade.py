"""Real-time regrade (R-GRD-9, R-GRD-10): idempotency, order independence, upgrades at once,
downgrades wait, returns that undo an upgrade, and the latest run's cutoffs (never a re-rank)."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from conftest import AS_OF, RFM_POLICY, Clock, World, lake_rows, make_world
from tierwise.pipeline.publish import grade_and_publish
from tierwise.policy import parse_policy
from tierwise.realtime import (
    OrderEvent,
    PaymentEvent,
    Regrader,
    ReturnEvent,
    ingest_event,
    parse_event,
)
from tierwise.store.db import make_engine, sqlite_url
from tierwise.store.migrate import upgrade
from tierwise.store.runs import RunStore
from tierwise.store.schema import CustomerTier, Event
from tinylake import write_lake


def order(cid: str, oid: str, amount: int, when: dt.datetime | None = None) -> OrderEvent:
    return OrderEvent(
        order_id=oid, customer_id=cid, order_time=when or dt.datetime(2025, 7, 1, 9),
        amount=Decimal(amount),
    )  # fmt: skip


def ret(cid: str, oid: str, amount: int) -> ReturnEvent:
    return ReturnEvent(
        return_id=f"R-{oid}", order_id=oid, customer_id=cid,
        return_time=dt.datetime(2025, 7, 2, 9), amount=Decimal(amount),
    )  # fmt: skip


def state(engine: Engine, cid: str) -> CustomerTier:
    from sqlalchemy.orm import Session

    with Session(engine) as s:
        row = s.get(CustomerTier, cid)
    assert row is not None
    return row


def codes(engine: Engine, cid: str) -> list[str]:
    return [c.reason_code for c in RunStore(engine).history(cid)]


def test_upgrade_takes_effect_at_once(world: World) -> None:
    assert state(world.engine, "c4").tier == "bronze"
    res = ingest_event(world.regrader, order("c4", "N1", 1000))
    assert res.stored == ["order:N1"] and res.regraded == 1
    # 5 orders, 3000 yuan: 0.4*5 + 0.3*5 + 0.3*3 = 4.4, the gold cutoff
    st = state(world.engine, "c4")
    assert (st.tier, st.score) == ("gold", 4.4)
    last = RunStore(world.engine).history("c4")[-1]
    assert (last.from_tier, last.to_tier, last.reason_code) == ("bronze", "gold", "upgrade")
    assert last.reason["order_id"] == "N1" and last.reason["source"] == "realtime"


def test_a_duplicate_event_is_ignored(world: World) -> None:
    first = ingest_event(world.regrader, order("c4", "N1", 1000))
    again = ingest_event(
        world.regrader,
        {"kind": "order", "order_id": "N1", "customer_id": "c4",
         "order_time": "2025-07-01T09:00:00", "amount": "1000"},
    )  # fmt: skip
    assert first.stored == ["order:N1"]
    assert again.stored == [] and again.duplicates == ["order:N1"] and again.changes == []
    with world.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Event)).scalar() == 1
    assert codes(world.engine, "c4").count("upgrade") == 1


def test_a_small_order_changes_nothing(world: World) -> None:
    res = ingest_event(world.regrader, order("c1", "N1", 100))
    assert res.changes == []
    st = state(world.engine, "c1")
    assert (st.tier, st.score) == ("bronze", 2.6)


def test_regrade_uses_the_runs_cutoffs_never_a_re_rank(world: World) -> None:
    # The four bronze customers order 5000 yuan each: c1 reaches 4.1 (silver's cutoff), c2..c4
    # 4.4, 4.7, 5.0: six customers are gold against the run's cutoff (4.4), though a re-rank
    # would give gold to the top quarter only; c5 stays silver.
    for i in range(1, 5):
        ingest_event(world.regrader, order(f"c{i}", f"N{i}", 5000))
    tiers = RunStore(world.engine).tiers()
    assert [tiers[f"c{i}"] for i in range(1, 9)] == ["silver"] + ["gold"] * 3 + ["silver"] + [
        "gold"
    ] * 3


def test_out_of_order_events_give_the_same_result(tmp_path: Path) -> None:
    late = dt.datetime(2025, 6, 1, 9)  # a late order dated before the run's as_of
    events = [
        order("c4", "N1", 1000),
        order("c4", "N2", 400, late),
        ret("c4", "N1", 1000),
        order("c4", "N3", 600, dt.datetime(2025, 7, 3, 9)),
        PaymentEvent(payment_id="P1", invoice_id="I1", customer_id="c4",
                     paid_date=dt.date(2025, 7, 2), amount=Decimal(50)),
    ]  # fmt: skip
    results = set()
    perms = list(itertools.permutations(range(len(events))))[::17]
    assert len(perms) >= 7
    for n, perm in enumerate(perms):
        engine = make_engine(sqlite_url(tmp_path / f"w{n}.db"))
        w = make_world(engine, tmp_path / f"w{n}")
        for i in perm:
            ingest_event(w.regrader, events[i])
        st = state(engine, "c4")
        results.add((st.tier, st.score))
        engine.dispose()
    # N1 is returned in full, so N2 (late, inside the windows) and N3 count: 6 orders, 3000
    # yuan: 0.4*5 + 0.3*5 + 0.3*3 = 4.4
    assert results == {("gold", 4.4)}


def test_downgrade_waits_for_the_runs(engine: Engine, tmp_path: Path) -> None:
    policy = {
        "name": "rt-w",
        "entity": "outlet",
        "lookback_days": 365,
        "eligibility": {"when": "orders_lookback >= 1"},
        "score": {"method": "weighted", "normalize": "none", "scale": 1,
                  "weights": {"spend_365d": 0.001, "return_amount": -0.002}},
        "tiers": {"method": "percentile", "levels": [
            {"code": "gold", "label": {"zh": "金", "en": "Gold"}, "top": 0.25},
            {"code": "silver", "label": {"zh": "银", "en": "Silver"}, "top": 0.5},
            {"code": "bronze", "label": {"zh": "铜", "en": "Bronze"}}]},
        "stability": {"downgrade_after_runs": 2, "max_steps_down": 1},
    }  # fmt: skip
    w = make_world(engine, tmp_path, policy)
    assert state(engine, "c8").tier == "gold"  # 4000 yuan: score 4.0
    # a return of an order from the lake: return_amount 1500 → score 1.0, computed bronze
    res = ingest_event(w.regrader, ret("c8", "L8-0", 1500))
    assert res.changes == []
    st = state(engine, "c8")
    assert (st.tier, st.downgrade_warning, st.score) == ("gold", True, 1.0)
    assert codes(engine, "c8") == ["initial"]


def test_a_return_reverts_the_upgrade_it_undoes(world: World) -> None:
    ingest_event(world.regrader, order("c4", "N1", 1000))
    assert state(world.engine, "c4").tier == "gold"
    res = ingest_event(world.regrader, ret("c4", "N1", 1000))
    st = state(world.engine, "c4")
    assert (st.tier, st.downgrade_warning) == ("bronze", False)
    assert [c["reason_code"] for c in res.changes] == ["upgrade_reverted"]
    last = RunStore(world.engine).history("c4")[-1]
    assert (last.from_tier, last.to_tier) == ("gold", "bronze")
    assert last.reason["returned_orders"] == ["N1"]


def test_a_partial_return_that_keeps_the_upgrade_reverts_nothing(world: World) -> None:
    ingest_event(world.regrader, order("c4", "N1", 2000))  # 4000 yuan: 4.7
    res = ingest_event(world.regrader, ret("c4", "N1", 500))  # 3500 yuan: still 4.4
    assert res.changes == []
    assert state(world.engine, "c4").tier == "gold"


def test_a_new_run_is_picked_up(world: World) -> None:
    ingest_event(world.regrader, order("c4", "N1", 1000))
    first = world.regrader.current_run_id
    world.publish(parse_policy(RFM_POLICY, source="test"))
    ingest_event(world.regrader, order("c1", "N2", 100))
    assert world.regrader.current_run_id not in (None, first)


def test_invalid_events_are_refused_with_every_field() -> None:
    import pytest

    from tierwise.errors import DataError

    with pytest.raises(DataError) as err:
        parse_event({"kind": "order", "order_id": "x", "customer_id": "c", "amount": "-1"})
    assert "order.amount: Input should be greater than or equal to 0" in str(err.value)
    assert "order.order_time: Field required" in str(err.value)
    with pytest.raises(DataError, match=r"payment\.x: Extra inputs"):
        parse_event({"kind": "payment", "payment_id": "p", "invoice_id": "i",
                     "customer_id": "c", "paid_date": "2025-07-01", "amount": "1", "x": 1})  # fmt: skip
    assert parse_event('{"kind":"return","return_id":"r","order_id":"o","customer_id":"c",'
                       '"return_time":"2025-07-01T10:00:00+08:00","amount":"12.50"}'
                       ).event_time == dt.datetime(2025, 7, 1, 2)  # fmt: skip


def test_the_api_intake_body_maps_to_events() -> None:
    from tierwise.realtime.events import from_intake

    ev = from_intake(
        {"idempotency_key": "k-000001", "kind": "order", "customer_id": "C1",
         "occurred_at": "2026-11-22T18:00:00+08:00", "amount": 1234.5, "reference": "SO-9",
         "lines": []}
    )  # fmt: skip
    assert isinstance(ev, OrderEvent)
    assert (ev.key, ev.order_id, ev.order_time) == (
        "k-000001",
        "SO-9",
        dt.datetime(2026, 11, 22, 10),
    )
    assert ev.amount == Decimal("1234.50")
    r = from_intake(
        {"idempotency_key": "k-000002", "kind": "return", "customer_id": "C1",
         "occurred_at": "2026-11-23T10:00:00Z", "amount": 100.0, "order_id": "SO-9"}
    )  # fmt: skip
    assert isinstance(r, ReturnEvent) and (r.return_id, r.order_id) == ("k-000002", "SO-9")
    p = from_intake(
        {"idempotency_key": "k-000003", "kind": "payment", "customer_id": "C1",
         "occurred_at": "2026-11-23T10:00:00Z", "amount": 5.0, "reference": "INV-1"}
    )  # fmt: skip
    assert (
        isinstance(p, PaymentEvent)
        and p.invoice_id == "INV-1"
        and p.paid_date == dt.date(2026, 11, 23)
    )


@pytest.mark.parametrize("normalize", ["none", "percentile", "zscore"])
def test_without_events_the_regrade_reproduces_the_runs_scores(
    tmp_path: Path, normalize: str
) -> None:
    # The same scoring expression as the batch run: per-row and population-relative scores
    # alike give every customer exactly the run's score and tier back, and change nothing.
    policy = {
        "name": "rt-n",
        "entity": "outlet",
        "lookback_days": 365,
        "eligibility": {"when": "orders_lookback >= 1"},
        "score": {"method": "weighted", "normalize": normalize,
                  "weights": {"spend_365d": 0.5, "orders_365d": 0.3, "recency_days": -0.2}},
        "tiers": RFM_POLICY["tiers"],
    }  # fmt: skip
    engine = make_engine(sqlite_url(tmp_path / "s.db"))
    w = make_world(engine, tmp_path, policy)
    before = {c: (t.tier, t.score) for c, t in _states(engine).items()}
    for i in range(1, 9):  # one at a time: a batch of one must be placed among the run's others
        assert w.regrader.regrade([f"c{i}"]) == []
    assert {c: (t.tier, t.score) for c, t in _states(engine).items()} == before
    engine.dispose()


def _states(engine: Engine) -> dict[str, CustomerTier]:
    from sqlalchemy.orm import Session

    with Session(engine) as s:
        return {t.customer_id: t for t in s.scalars(select(CustomerTier))}


def unpublished_world(engine: Engine, tmp_path: Path) -> World:
    upgrade(engine)
    lake = write_lake(tmp_path / "lake", lake_rows())
    clock = Clock(dt.datetime(2025, 7, 1, 8))
    return World(engine, lake, tmp_path / "runs", clock, Regrader(engine, tmp_path / "runs", clock))


def test_a_backfill_date_does_not_reapply_events(tmp_path: Path) -> None:
    """``reapply_events=False`` (a backfill's past dates) leaves the event for later."""
    engine = make_engine(sqlite_url(tmp_path / "state.db"))
    w = unpublished_world(engine, tmp_path)
    ingest_event(w.regrader, order("c4", "N1", 1000))
    done = grade_and_publish(
        parse_policy(RFM_POLICY, source="test"), as_of=AS_OF, lake=w.lake, runs=w.runs,
        engine=engine, clock=w.clock, reapply_events=False,
    )  # fmt: skip
    assert done.regraded == () and state(engine, "c4").tier == "bronze"
    with engine.connect() as conn:
        assert conn.execute(select(Event.applied_at)).scalar_one() is None
    engine.dispose()


def test_a_published_run_reapplies_events_after_its_as_of(engine: Engine, tmp_path: Path) -> None:
    """Issue 5 follow-up: an event the run did not see (stored before any run was published,
    dated after the run's as_of) is applied when the run is published, not lost until the
    customer's next event; a second pass changes nothing."""
    w = unpublished_world(engine, tmp_path)
    lake, clock = w.lake, w.clock
    res = ingest_event(w.regrader, order("c4", "N1", 1000))  # no run yet: stored only
    assert res.stored == ["order:N1"] and res.regraded == 0
    done = grade_and_publish(
        parse_policy(RFM_POLICY, source="test"), as_of=AS_OF, lake=lake, runs=w.runs,
        engine=engine, clock=clock,
    )  # fmt: skip
    assert done.regraded == ("c4",)
    st = state(engine, "c4")
    assert (st.tier, st.score) == ("gold", 4.4)  # the run alone says bronze (3.8)
    assert RunStore(engine).tiers()["c3"] == "bronze"  # nobody else moved
    last = RunStore(engine).history("c4")[-1]
    assert (last.to_tier, last.reason["source"], last.reason["orders"]) == (
        "gold",
        "realtime",
        ["N1"],
    )
    with engine.connect() as conn:
        assert conn.execute(select(Event.applied_at)).scalar_one() is not None
    n = len(RunStore(engine).history("c4"))
    with engine.begin() as conn:
        assert w.regrader.regrade_unseen(conn, clock()) == ["c4"]
    assert len(RunStore(engine).history("c4")) == n and state(engine, "c4").tier == "gold"


def test_a_released_run_reapplies_events_the_held_run_did_not_see(
    engine: Engine, tmp_path: Path
) -> None:
    """Issue 23 item 4: a run held for its spot check applies nothing; its release
    re-applies the unseen events exactly as a direct publication does."""
    from tierwise.experiments import spotcheck
    from tierwise.pipeline.review import gate, release_run
    from tierwise.policy.schema import Review

    w = unpublished_world(engine, tmp_path)
    ingest_event(w.regrader, order("c4", "N1", 1000))
    gated = parse_policy(RFM_POLICY, source="test").model_copy(
        update={"review": Review(per_stratum=1)}
    )
    held = grade_and_publish(
        gated, as_of=AS_OF, lake=w.lake, runs=w.runs, engine=engine, clock=w.clock
    )
    assert held.summary.held and held.regraded == () and RunStore(engine).tiers() == {}
    with engine.connect() as conn:
        assert conn.execute(select(Event.applied_at)).scalar_one() is None
    for item in gate(engine, held.result.run_id)["check"]["items"]:
        spotcheck.review(engine, item["id"], "agree", reason=None, reviewer="t", now=w.clock())
    done = release_run(
        engine, held.result.run_id, runs=w.runs, lake=w.lake, actor="t", clock=w.clock
    )
    assert done.regraded == ("c4",)
    st = state(engine, "c4")
    assert (st.tier, st.score) == ("gold", 4.4)  # the run alone says bronze (3.8)
    with engine.connect() as conn:
        assert conn.execute(select(Event.applied_at)).scalar_one() is not None
