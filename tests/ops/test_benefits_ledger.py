"""The benefits ledger in the one tier writer (R-OPS-2, issue 21 item 1): after any sequence of
batch publications and real-time regrades, grants agree with tier state, written in the same
transaction as the tier change (on SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection, Engine, delete, func, select

import tierwise.pipeline  # noqa: F401  (registers the benefits hook with the tier writer)
from tierwise.ops.benefits.decide import BenefitPlan, PlanBenefit, disagreements
from tierwise.ops.benefits.ledger import read_all_grants, read_states, store_plan
from tierwise.store import tier_writer
from tierwise.store.migrate import upgrade
from tierwise.store.runs import Assignment, Cutoff, RunStore
from tierwise.store.schema import (
    BenefitGrant,
    CustomerTier,
    OutboxMessage,
    Run,
    RunAssignment,
    RunCutoff,
    TierChange,
)
from tierwise.store.schema import (
    BenefitPlan as PlanRow,
)
from tierwise.store.tier_writer import TierWrite, write_regrade
from tierwise.store.webhooks import register_webhook
from tierwise.tierstate.decide import StabilityRule, TierState, decide

CUTS = [Cutoff("gold", 0, 70.0), Cutoff("silver", 1, 40.0), Cutoff("bronze", 2, None)]
ORDER = ["gold", "silver", "bronze"]
RULE = StabilityRule(downgrade_after_runs=2)
PLAN = BenefitPlan(
    tuple(ORDER),
    {
        "gold": (
            PlanBenefit("rebate", "rebate", {"pct": "2", "period": "month"}),
            PlanBenefit("custom_selection", "custom_selection", {}),
            PlanBenefit(
                "coupon_allowance", "coupon_allowance", {"amount_yuan": "50", "per_month": 2}
            ),
        ),
        "silver": (
            PlanBenefit("rebate", "rebate", {"pct": "1", "period": "month"}),
            PlanBenefit(
                "coupon_allowance", "coupon_allowance", {"amount_yuan": "50", "per_month": 2}
            ),
        ),
        "bronze": (),
    },
    grace_days=10,
)
CUSTOMERS = ["a", "b", "c", "d"]
T0 = datetime(2026, 1, 1)


def _tier(score: float) -> str:
    return "gold" if score >= 70 else "silver" if score >= 40 else "bronze"


def _publish(
    store: RunStore, run_id: str, day: date, scores: dict[str, float], h: str = "h"
) -> None:
    store.begin(
        run_id, policy_name="p", policy_hash=h, as_of=day, data_fingerprint="f", started_at=T0
    )
    store.publish(
        run_id,
        [Assignment(c, _tier(s), s) for c, s in scores.items()],
        CUTS,
        rule=RULE,
        now=datetime.combine(day, datetime.min.time()),
    )


def _regrade(engine: Engine, run_id: str, day: date, customer: str, score: float) -> None:
    """What the real-time regrader writes: the between-runs decision through the one writer."""
    now = datetime.combine(day, datetime.min.time())
    with engine.begin() as conn:
        row = conn.execute(select(CustomerTier).where(CustomerTier.customer_id == customer)).first()
        cur = (
            None
            if row is None
            else TierState(
                row.tier, row.since, row.runs_below, row.below_since, row.downgrade_warning
            )
        )
        d = decide(
            cur,
            _tier(score),
            score,
            order=ORDER,
            cutoffs={c.tier: c.min_score for c in CUTS},
            rule=RULE,
            as_of=day,
            between_runs=True,
        )
        state = {
            "customer_id": customer,
            "tier": d.state.tier,
            "score": score,
            "run_id": run_id,
            "since": d.state.since,
            "runs_below": d.state.runs_below,
            "below_since": d.state.below_since,
            "downgrade_warning": d.state.downgrade_warning,
            "updated_at": now,
        }
        changes = []
        if d.change is not None:
            changes.append(
                {
                    "customer_id": customer,
                    "run_id": run_id,
                    "from_tier": d.change.from_tier,
                    "to_tier": d.change.to_tier,
                    "changed_at": now,
                    "effective": day,
                    "reason_code": d.change.reason_code,
                    "reason": d.change.reason,
                }
            )
        write_regrade(conn, run_id, [state], changes, now)


def _check(engine: Engine, day: date) -> None:
    with engine.connect() as conn:
        states = read_states(conn, None)
        grants = read_all_grants(conn)
    assert disagreements(grants, states, PLAN, day) == []


def _reset(engine: Engine) -> None:
    with engine.begin() as conn:
        for t in (BenefitGrant, OutboxMessage, TierChange, CustomerTier, RunCutoff, RunAssignment):
            conn.execute(delete(t))
        conn.execute(delete(Run))


steps = st.lists(
    st.one_of(
        st.tuples(st.just("run"), st.lists(st.integers(0, 100), min_size=4, max_size=4)),
        st.tuples(st.just("regrade"), st.tuples(st.integers(0, 3), st.integers(0, 100))),
    ),
    min_size=1,
    max_size=9,
)
gaps = st.lists(st.integers(1, 12), min_size=9, max_size=9)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(seq=steps, gap=gaps)
def test_grants_agree_with_tier_state_after_any_runs_and_regrades(
    engine: Engine, seq: list[tuple[str, object]], gap: list[int]
) -> None:
    """R-OPS-2: 0 customers with a grant their tier does not give (outside grace) or missing
    one it gives, after every step of a random sequence of publications and regrades."""
    upgrade(engine)
    _reset(engine)
    store_plan(engine, "h", "p", PLAN, T0)
    day = date(2026, 1, 31)
    run_id: str | None = None
    for i, (kind, arg) in enumerate(seq):
        day += timedelta(days=gap[i])
        if kind == "run":
            assert isinstance(arg, list)
            run_id = f"r{i}"
            _publish(
                RunStore(engine), run_id, day, dict(zip(CUSTOMERS, map(float, arg), strict=True))
            )
        elif run_id is not None:
            assert isinstance(arg, tuple)
            _regrade(engine, run_id, day, CUSTOMERS[arg[0]], float(arg[1]))
        _check(engine, day)


def test_grants_change_in_the_transaction_of_the_tier_change(engine: Engine) -> None:
    """A hook after the benefits hook fails: neither the tier nor the grants are written."""
    upgrade(engine)
    store_plan(engine, "h", "p", PLAN, T0)
    store = RunStore(engine)
    _publish(store, "r1", date(2026, 1, 31), {"a": 90, "b": 50})
    with engine.connect() as conn:
        held = conn.execute(
            select(BenefitGrant.customer_id, BenefitGrant.code, BenefitGrant.cause).order_by(
                BenefitGrant.customer_id, BenefitGrant.code
            )
        ).all()
    assert [tuple(r) for r in held] == [
        ("a", "coupon_allowance", "run:r1"),
        ("a", "custom_selection", "run:r1"),
        ("a", "rebate", "run:r1"),
        ("b", "coupon_allowance", "run:r1"),
        ("b", "rebate", "run:r1"),
    ]

    def broken(conn: Connection, write: TierWrite) -> None:
        raise RuntimeError("terms down")

    with tier_writer.hook("terms", broken), pytest.raises(RuntimeError):
        _publish(store, "r2", date(2026, 2, 28), {"a": 90, "b": 90})
    with engine.connect() as conn:
        n = conn.execute(select(func.count()).select_from(BenefitGrant)).scalar_one()
        assert n == 5
        assert (
            conn.execute(
                select(CustomerTier.tier).where(CustomerTier.customer_id == "b")
            ).scalar_one()
            == "silver"
        )


def test_grant_changes_reach_the_webhooks(engine: Engine) -> None:
    """benefit.granted and benefit.revoked travel through the outbox (issue 21 item 4)."""
    upgrade(engine)
    register_webhook(
        engine,
        name="erp",
        url="http://127.0.0.1:9/hook",
        secret="s" * 16,
        now=T0,
        events=("benefit.granted", "benefit.revoked"),
    )
    store_plan(engine, "h", "p", PLAN, T0)
    store = RunStore(engine)
    _publish(store, "r1", date(2026, 1, 31), {"a": 90})
    _publish(store, "r2", date(2026, 2, 28), {"a": 50})  # silver computed: 1 run below, kept
    _publish(store, "r3", date(2026, 3, 31), {"a": 50})  # downgraded: rebate 2 % in grace
    _publish(store, "r4", date(2026, 4, 30), {"a": 50})  # grace over: expired, 1 % granted
    with engine.connect() as conn:
        msgs = conn.execute(
            select(OutboxMessage.event_type, OutboxMessage.payload).order_by(OutboxMessage.id)
        ).all()
    seen = [
        (m.event_type, m.payload["cause"], sorted(g["benefit"] for g in m.payload["grants"]))
        for m in msgs
    ]
    assert seen == [
        ("benefit.granted", "run:r1", ["coupon_allowance", "custom_selection", "rebate"]),
        ("benefit.revoked", "run:r4", ["custom_selection", "rebate"]),
        ("benefit.granted", "run:r4", ["rebate"]),
    ]


def test_a_policy_without_structured_benefits_writes_nothing(engine: Engine) -> None:
    upgrade(engine)
    _publish(RunStore(engine), "r1", date(2026, 1, 31), {"a": 90}, h="no-plan")
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(BenefitGrant)).scalar_one() == 0
        assert conn.execute(select(func.count()).select_from(PlanRow)).scalar_one() == 0
