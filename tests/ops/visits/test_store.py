"""Visits in the store (R-OPS-8, issue 26): cadence follows a tier write in its transaction;
a day planned within capacity and routed; check-in far flagged; check-out moves the next
visit; missed visits rolled forward; adherence per manager and tier."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine, insert, select

from tierwise.errors import ConflictError, NotFoundError, UsageError
from tierwise.ops.visits import service
from tierwise.ops.visits.policy import load_visit_policy
from tierwise.store import tier_writer
from tierwise.store.migrate import upgrade
from tierwise.store.runs import Assignment, Cutoff, RunStore
from tierwise.store.schema import (
    CustomerPrediction,
    CustomerProfile,
    CustomerTier,
    VisitCadence,
)
from tierwise.tierstate.decide import StabilityRule

POLICY = load_visit_policy()
CUTS = [Cutoff("platinum", 0, 70.0), Cutoff("gold", 1, 40.0), Cutoff("bronze", 2, None)]
D = dt.date
NOW = dt.datetime(2026, 3, 2, 8)


@pytest.fixture
def store(engine: Engine) -> Engine:
    """A migrated store; importing the pipeline wires the visits hook (as in production)."""
    import tierwise.pipeline  # noqa: F401

    upgrade(engine)
    return engine


def _publish(engine: Engine, run_id: str, as_of: dt.date, scores: dict[str, float]) -> None:
    store = RunStore(engine)
    store.begin(run_id, policy_name="p", policy_hash="h", as_of=as_of, data_fingerprint="f",
                started_at=dt.datetime(2026, 1, 1))  # fmt: skip
    tier = {c: "platinum" if s >= 70 else "gold" if s >= 40 else "bronze"
            for c, s in scores.items()}  # fmt: skip
    store.publish(run_id, [Assignment(c, tier[c], s) for c, s in scores.items()], CUTS,
                  rule=StabilityRule(), now=dt.datetime.combine(as_of, dt.time()))  # fmt: skip


def _profiles(engine: Engine, managers: dict[str, str], risk: dict[str, float]) -> None:
    with engine.begin() as conn:
        conn.execute(insert(CustomerProfile), [
            {"customer_id": c, "name": c, "account_manager": m, "refreshed_at": NOW,
             "signup_date": D(2024, 1, 1)} for c, m in managers.items()])  # fmt: skip
        if risk:
            conn.execute(insert(CustomerPrediction), [
                {"customer_id": c, "as_of": D(2026, 3, 1), "clv": 1000.0,
                 "churn_probability": r, "refreshed_at": NOW} for c, r in risk.items()])  # fmt: skip


def _cadence(engine: Engine) -> dict[str, tuple[str, str, int]]:
    with engine.connect() as conn:
        rows = conn.execute(select(VisitCadence.customer_id, VisitCadence.tier,
                                   VisitCadence.channel, VisitCadence.every_days))  # fmt: skip
        return {r[0]: (r[1], r[2], r[3]) for r in rows}


def test_a_tier_change_moves_the_cadence_in_the_same_transaction(store: Engine) -> None:
    _publish(store, "r1", D(2026, 3, 1), {"a": 80.0, "b": 10.0})
    assert _cadence(store) == {"a": ("platinum", "visit", 7), "b": ("bronze", "phone", 30)}
    _publish(store, "r2", D(2026, 3, 8), {"a": 80.0, "b": 50.0})
    assert _cadence(store)["b"] == ("gold", "visit", 14)

    def boom(conn: object, write: object) -> None:
        raise RuntimeError("a later hook fails")

    with tier_writer.hook("zz_boom", boom), pytest.raises(RuntimeError):
        _publish(store, "r3", D(2026, 3, 15), {"a": 10.0, "b": 10.0})
    # the failed publication wrote neither the tiers nor the cadence
    assert _cadence(store)["a"] == ("platinum", "visit", 7)
    with store.connect() as conn:
        assert conn.execute(select(CustomerTier.tier).where(CustomerTier.customer_id == "a")
                            ).scalar_one() == "platinum"  # fmt: skip


def _due_all(engine: Engine, day: dt.date) -> None:
    with engine.begin() as conn:
        conn.execute(VisitCadence.__table__.update().values(next_due=day))


def test_a_day_is_planned_within_capacity_routed_and_rolled_forward(store: Engine) -> None:
    ids = [f"c{i}" for i in range(5)]
    _publish(store, "r1", D(2026, 3, 1), dict.fromkeys(ids, 80.0))
    _profiles(store, dict.fromkeys(ids, "AM001"), {c: 0.1 * (i + 1) for i, c in enumerate(ids)})
    _due_all(store, D(2026, 3, 2))
    where = {c: (31.0, 121.0 + 0.01 * i) for i, c in enumerate(ids)}
    monday = D(2026, 3, 2)
    with store.begin() as conn:
        p = service.plan(conn, POLICY, monday, NOW, capacity={"AM001": 3}, locations=where)
    assert p.planned == 3
    # overflow kept, ranked by value at risk, with the reason
    assert p.overflow[["customer_id", "rank", "overflow"]].values.tolist() == [
        ["c1", 4, "capacity"], ["c0", 5, "capacity"]]  # fmt: skip
    # 5 weekly visits over 5 working days against 3 a day: no shortfall; capacity 0.5 would be
    assert p.shortfall.empty
    with store.connect() as conn:
        stops = service.day_stops(conn, "AM001", monday)
    assert sorted(s["customer_id"] for s in stops) == ["c2", "c3", "c4"]
    assert [s["seq"] for s in stops] == [1, 2, 3]
    assert all(s["eta_minute"] is not None for s in stops)

    first = stops[0]
    with store.begin() as conn:
        near = service.check_in(conn, POLICY, first["id"], first["lat"], first["lon"] + 0.001,
                                NOW, "user:wang")  # fmt: skip
        assert near["far"] is False and 50 < near["distance_m"] < 150
        with pytest.raises(ConflictError):
            service.check_in(conn, POLICY, first["id"], 31.0, 121.0, NOW, "user:wang")
        service.check_out(conn, first["id"], "ordered", "下单 2 箱", NOW, "user:wang")
        far = service.check_in(conn, POLICY, stops[1]["id"], 31.5, 121.5, NOW, "user:wang")
        assert far["far"] is True  # flagged, not refused
        with pytest.raises(UsageError):
            service.check_out(conn, stops[1]["id"], "bought", None, NOW, "user:wang")
        with pytest.raises(ConflictError):
            service.check_out(conn, stops[2]["id"], "ordered", None, NOW, "user:wang")
        with pytest.raises(NotFoundError):
            service.check_in(conn, POLICY, 99_999, 31.0, 121.0, NOW, "user:wang")
    with store.connect() as conn:
        nd = conn.execute(select(VisitCadence.next_due, VisitCadence.last_visit).where(
            VisitCadence.customer_id == first["customer_id"])).one()  # fmt: skip
    assert tuple(nd) == (D(2026, 3, 9), monday)

    tuesday = D(2026, 3, 3)
    with store.begin() as conn:
        p2 = service.plan(conn, POLICY, tuesday, NOW, capacity={"AM001": 3}, locations=where)
    assert p2.missed == 1  # the third Monday visit was never started
    with store.connect() as conn:
        t = {s["customer_id"]: s for s in service.day_stops(conn, "AM001", tuesday)}
        adh = service.adherence(conn, monday, tuesday).set_index("manager_id")
    missed_c = stops[2]["customer_id"]
    assert t[missed_c]["rolled_from"] == monday
    assert first["customer_id"] not in t  # visited Monday: next due in a week
    assert adh.loc["AM001", ["planned", "done", "missed", "far"]].tolist()[:3] == [6, 1, 1]
    assert adh.loc["AM001", "far"] == 1
    # closed = planned - open = 6 - 4 (Monday's checked-in visit and Tuesday's 3 are open)
    assert adh.loc["AM001", "adherence"] == 0.5


def test_a_cadence_beyond_capacity_is_warned_with_the_shortfall(store: Engine) -> None:
    ids = [f"c{i}" for i in range(30)]
    _publish(store, "r1", D(2026, 3, 1), dict.fromkeys(ids, 80.0))
    _profiles(store, dict.fromkeys(ids, "AM001"), {})
    with store.begin() as conn:
        p = service.plan(conn, POLICY, D(2026, 3, 2), NOW, capacity={"AM001": 4})
    # 30 weekly visits over 5 working days = 6 a day against 4
    assert p.shortfall[["manager_id", "needed_per_day", "shortfall_per_day"]].values.tolist() == [
        ["AM001", 6.0, 2.0]]  # fmt: skip


def test_a_realtime_regrade_moves_only_the_regraded_customers_cadence(store: Engine) -> None:
    _publish(store, "r1", D(2026, 3, 1), {"a": 10.0, "b": 10.0})
    with store.begin() as conn:  # b: a next visit no recompute would give (3-02 + 30 d)
        conn.execute(
            VisitCadence.__table__.update()
            .where(VisitCadence.customer_id == "b")
            .values(last_visit=D(2026, 3, 2), next_due=D(2026, 4, 5))
        )
    now = dt.datetime(2026, 3, 4, 10)
    state = {"customer_id": "a", "tier": "platinum", "score": 90.0, "run_id": "r1",
             "since": D(2026, 3, 4), "runs_below": 0, "below_since": None,
             "downgrade_warning": False, "updated_at": now}  # fmt: skip
    change = {"customer_id": "a", "run_id": "r1", "from_tier": "bronze", "to_tier": "platinum",
              "changed_at": now, "effective": D(2026, 3, 4), "reason_code": "upgrade",
              "reason": {"why": "late order"}}  # fmt: skip
    with store.begin() as conn:
        tier_writer.write_regrade(conn, "r1", [state], [change], now)
    assert _cadence(store) == {"a": ("platinum", "visit", 7), "b": ("bronze", "phone", 30)}
    with store.connect() as conn:
        due = conn.execute(
            select(VisitCadence.next_due).where(VisitCadence.customer_id == "b")
        ).scalar_one()
    assert due == D(2026, 4, 5)  # a recompute would give 2026-04-01


def test_a_full_managers_overflow_is_planned_with_a_manager_of_the_territory(
    store: Engine,
) -> None:
    """R-OPS-8 (issue 26): with the managers' territories (account_managers.territory), a
    customer that does not fit with its own manager is planned with another manager of its
    city (customer_profiles.city) who has room; routed in that manager's day."""
    from sqlalchemy import update

    ids = [f"c{i}" for i in range(5)]
    _publish(store, "r1", D(2026, 3, 1), dict.fromkeys(ids, 80.0))
    _profiles(store, dict.fromkeys(ids, "AM001"), {c: 0.1 * (i + 1) for i, c in enumerate(ids)})
    with store.begin() as conn:
        conn.execute(update(CustomerProfile).values(city="成都市"))
        conn.execute(
            update(CustomerProfile).where(CustomerProfile.customer_id == "c0").values(city="重庆市")
        )
    _due_all(store, D(2026, 3, 2))
    monday = D(2026, 3, 2)
    where = {c: (30.6, 104.0 + 0.01 * i) for i, c in enumerate(ids)}
    with store.begin() as conn:
        p = service.plan(
            conn, POLICY, monday, NOW, capacity={"AM001": 3, "AM002": 2}, locations=where,
            territory={"AM001": "成都市", "AM002": "成都市"},
        )  # fmt: skip
    assert (p.planned, p.covered) == (4, 1)
    # c1 (成都市) goes to AM002; c0 (重庆市) has no manager of its city with room
    assert p.overflow[["customer_id", "overflow"]].values.tolist() == [["c0", "capacity"]]
    with store.connect() as conn:
        other = service.day_stops(conn, "AM002", monday)
    assert [(s["customer_id"], s["seq"]) for s in other] == [("c1", 1)]
