"""The churn retention flow (R-OPS-5): tasks open on a new tag, once, and close on recovery."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import Engine, func, inspect, select

from tierwise.errors import ConflictError, DataError, PolicyError
from tierwise.ops.retention import (
    COUPON_EVENT,
    SMS_EVENT,
    TASK_EVENT,
    sync_tasks,
    task_row,
    update_task,
)
from tierwise.pipeline.publish import grade_and_publish
from tierwise.policy import Policy, parse_policy
from tierwise.policy.schema import Retention
from tierwise.realtime import OrderEvent, Regrader, ReturnEvent
from tierwise.store.migrate import alembic_config, upgrade
from tierwise.store.schema import OutboxMessage, RetentionTask
from tierwise.store.webhooks import TIER_CHANGED, register_webhook
from tinylake import ts, write_lake

AS_OF = dt.date(2025, 6, 30)
T0 = dt.datetime(2025, 7, 1, 8)

# customer ci placed i orders of 500 yuan, every 3 days from June 2: the last one on
# June 2 + 3 (i - 1), so c1 (28 days), c2 (25) and c3 (22) are past the 20-day tag rule
POLICY: dict[str, Any] = {
    "name": "retention-test",
    "score": {
        "method": "rfm_formula", "frequency_step": 1, "monetary": "spend_365d",
        "monetary_step": 1000,
    },
    "tiers": {
        "method": "percentile",
        "levels": [
            {"code": "gold", "label": {"zh": "金", "en": "Gold"}, "top": 0.25},
            {"code": "silver", "label": {"zh": "银", "en": "Silver"}, "top": 0.5},
            {"code": "bronze", "label": {"zh": "铜", "en": "Bronze"}},
        ],
    },
    "tags": [
        {"code": "churn_warning", "label": {"zh": "流失预警", "en": "Churn warning"},
         "when": "days_since_last_order > 20"},
    ],
    "retention": {
        "callback_within_days": 3,
        "steps": [
            {"kind": "coupon", "after_days": 0, "amount": 50},
            {"kind": "sms", "after_days": 7, "template": "recall_v1"},
        ],
    },
}  # fmt: skip
TAGGED = {"c1", "c2", "c3"}


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> dt.datetime:
        self.now += dt.timedelta(seconds=1)
        return self.now


class World:
    def __init__(self, engine: Engine, tmp: Path) -> None:
        upgrade(engine)
        self.engine = engine
        customers = [
            {"customer_id": f"c{i}", "account_manager": "am1" if i % 2 else "am2"}
            for i in range(1, 9)
        ]
        orders = [
            {"order_id": f"L{i}-{k}", "customer_id": f"c{i}",
             "order_time": ts(2025, 6, 2 + 3 * k), "amount": 500}
            for i in range(1, 9)
            for k in range(i)
        ]  # fmt: skip
        self.lake = write_lake(tmp / "lake", {"customers": customers, "orders": orders})
        self.runs = tmp / "runs"
        self.clock = Clock()
        self.regrader = Regrader(engine, self.runs, clock=self.clock)
        self.hook = register_webhook(
            engine, name="crm", url="http://crm.invalid/hook", secret="s", now=T0,
            events=(TIER_CHANGED, TASK_EVENT, COUPON_EVENT, SMS_EVENT),
        )  # fmt: skip

    def publish(self, policy: Policy | None = None) -> str:
        done = grade_and_publish(
            policy or parse_policy(POLICY, source="test"), as_of=AS_OF, lake=self.lake,
            runs=self.runs, engine=self.engine, clock=self.clock,
        )  # fmt: skip
        return done.result.run_id

    def tasks(self) -> dict[str, list[Any]]:
        out: dict[str, list[Any]] = {}
        with self.engine.connect() as conn:
            for r in conn.execute(select(RetentionTask).order_by(RetentionTask.id)):
                out.setdefault(r.customer_id, []).append(r)
        return out

    def outbox(self, kind: str) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(OutboxMessage.payload)
                .where(OutboxMessage.event_type == kind)
                .order_by(OutboxMessage.id)
            )
            return [r.payload for r in rows]

    def order(self, cid: str, oid: str) -> Any:
        ev = OrderEvent(
            order_id=oid, customer_id=cid, order_time=dt.datetime(2025, 7, 1, 9),
            amount=Decimal(500),
        )  # fmt: skip
        return self.regrader.ingest([ev])


@pytest.fixture
def world(engine: Engine, tmp_path: Path) -> World:
    return World(engine, tmp_path)


def test_a_published_run_opens_one_task_per_newly_tagged_customer(world: World) -> None:
    run_id = world.publish()
    tasks = world.tasks()
    assert set(tasks) == TAGGED
    t = tasks["c1"][0]
    assert (t.status, t.account_manager, t.tag, t.source, t.run_id) == (
        "open", "am1", "churn_warning", "run", run_id
    )  # fmt: skip
    assert tasks["c2"][0].account_manager == "am2"
    assert t.due_date == t.opened_at.date() + dt.timedelta(days=3)
    assert [s["kind"] for s in t.steps] == ["coupon", "sms"]
    assert t.steps[1]["due"] == (t.opened_at.date() + dt.timedelta(days=7)).isoformat()
    # the recall steps go out as webhook events for the CRM / SMS system, one per task
    coupons = world.outbox(COUPON_EVENT)
    assert sorted(p["customer_id"] for p in coupons) == sorted(TAGGED)
    assert coupons[0]["step"]["amount"] == 50
    assert len(world.outbox(SMS_EVENT)) == 3
    assert [p["action"] for p in world.outbox(TASK_EVENT)] == ["opened"] * 3
    log = task_row(world.engine, t.id)["log"]
    assert [(e["actor"], e["from_status"], e["to_status"]) for e in log] == [
        ("system", None, "open")
    ]


def test_re_publishing_opens_nothing_new(world: World) -> None:
    world.publish()
    before = {c: [t.id for t in ts_] for c, ts_ in world.tasks().items()}
    messages = len(world.outbox(COUPON_EVENT))
    world.publish()  # the same data again: the same tags
    assert {c: [t.id for t in ts_] for c, ts_ in world.tasks().items()} == before
    assert len(world.outbox(COUPON_EVENT)) == messages


def test_a_policy_without_a_retention_block_opens_no_tasks(world: World) -> None:
    world.publish(parse_policy({**POLICY, "retention": None}, source="test"))
    assert world.tasks() == {}


def test_an_order_closes_the_task_as_recovered_and_a_duplicate_does_nothing(
    world: World,
) -> None:
    world.publish()
    res = world.order("c1", "N1")
    assert res.stored == ["order:N1"]
    t = world.tasks()["c1"][0]
    assert (t.status, t.updated_by) == ("recovered", "system")
    assert t.closed_at is not None and t.tag_cleared_at is not None
    assert "realtime" in (t.note or "")
    assert world.outbox(TASK_EVENT)[-1] == {
        "event": TASK_EVENT, "action": "recovered", "task_id": t.id, "customer_id": "c1"
    }  # fmt: skip
    logs = len(task_row(world.engine, t.id)["log"])
    again = world.order("c1", "N1")  # the same event again
    assert again.duplicates == ["order:N1"]
    assert len(world.tasks()["c1"]) == 1
    assert len(task_row(world.engine, t.id)["log"]) == logs
    # the others are untouched
    assert {c: ts_[0].status for c, ts_ in world.tasks().items() if c != "c1"} == {
        "c2": "open", "c3": "open"
    }  # fmt: skip


def test_a_regrade_of_a_customer_still_tagged_opens_nothing_new(world: World) -> None:
    world.publish()
    # a late order dated back in early June: still 20+ days since the last order
    ev = OrderEvent(
        order_id="OLD", customer_id="c2", order_time=dt.datetime(2025, 6, 3, 9),
        amount=Decimal(100),
    )  # fmt: skip
    world.regrader.ingest([ev])
    assert [t.status for t in world.tasks()["c2"]] == ["open"]


def test_a_regrade_opens_a_task_when_the_tag_appears(world: World) -> None:
    """With a tag on returns, c3's return of an order the run saw tags it in real time: a
    task opens in the regrade's transaction."""
    returns = {**POLICY, "tags": [{**POLICY["tags"][0], "when": "return_amount > 100"}]}
    world.publish(parse_policy(returns, source="test"))
    assert world.tasks() == {}
    ev = ReturnEvent(
        return_id="R1", order_id="L3-0", customer_id="c3",
        return_time=dt.datetime(2025, 7, 1, 9), amount=Decimal(400),
    )  # fmt: skip
    world.regrader.ingest([ev])
    t = world.tasks()["c3"][0]
    assert (t.status, t.source, t.account_manager) == ("open", "realtime", "am1")
    assert world.outbox(COUPON_EVENT)[-1]["customer_id"] == "c3"


def test_a_task_done_while_still_tagged_is_not_reopened_until_the_tag_comes_back(
    world: World,
) -> None:
    config = Retention()
    with world.engine.begin() as conn:
        first = sync_tasks(conn, config, {"x1"}, now=T0, source="run")
    (tid,) = first.opened
    update_task(world.engine, tid, "done", actor="user:am", now=T0, note="called, will order")
    with world.engine.begin() as conn:  # next run: still tagged, the same episode
        assert sync_tasks(conn, config, {"x1"}, now=T0, source="run").opened == ()
    with world.engine.begin() as conn:  # the customer came back
        cleared = sync_tasks(conn, config, set(), now=T0, source="run")
    assert cleared.cleared == (tid,) and cleared.recovered == ()
    assert task_row(world.engine, tid)["status"] == "done"
    with world.engine.begin() as conn:  # and churns again: a new episode, a new task
        again = sync_tasks(conn, config, {"x1"}, now=T0, source="run")
    assert len(again.opened) == 1 and again.opened != (tid,)


def test_one_active_task_per_customer_is_enforced_by_the_database(world: World) -> None:
    row = {
        "customer_id": "x1", "tag": "churn_warning", "status": "open", "source": "run",
        "opened_at": T0, "due_date": T0.date(), "steps": [], "updated_at": T0,
        "updated_by": "system",
    }  # fmt: skip
    from sqlalchemy import insert
    from sqlalchemy.exc import IntegrityError

    with world.engine.begin() as conn:
        conn.execute(insert(RetentionTask), row)
    with pytest.raises(IntegrityError), world.engine.begin() as conn:
        conn.execute(insert(RetentionTask), row)


def test_status_changes_are_checked_and_logged(world: World) -> None:
    with world.engine.begin() as conn:
        (tid,) = sync_tasks(conn, Retention(), {"x1"}, now=T0, source="run").opened
    t = update_task(world.engine, tid, "in_progress", actor="user:am", now=T0)
    assert (t["status"], t["updated_by"]) == ("in_progress", "user:am")
    with pytest.raises(DataError, match="needs a note"):
        update_task(world.engine, tid, "done", actor="user:am", now=T0, note="  ")
    with pytest.raises(ConflictError, match="cannot become recovered"):
        update_task(world.engine, tid, "recovered", actor="user:am", now=T0)
    with pytest.raises(DataError, match="unknown task status 'closed'"):
        update_task(world.engine, tid, "closed", actor="user:am", now=T0)
    done = update_task(world.engine, tid, "done", actor="user:am", now=T0, note="ordered again")
    assert done["note"] == "ordered again" and done["closed_at"] == T0
    with pytest.raises(ConflictError, match=r"task \d+ is done"):
        update_task(world.engine, tid, "open", actor="user:am", now=T0)
    with pytest.raises(ConflictError, match="it cannot become done"):  # closed means closed
        update_task(world.engine, tid, "done", actor="user:am", now=T0, note="again")
    assert [(e["from_status"], e["to_status"], e["actor"]) for e in done["log"]] == [
        (None, "open", "system"),
        ("open", "in_progress", "user:am"),
        ("in_progress", "done", "user:am"),
    ]


@pytest.mark.parametrize(
    ("retention", "path", "message"),
    [
        ({"callback_days": 3}, "retention.callback_days", "unknown key"),
        ({"steps": [{"kind": "coupon", "amount": 5, "colour": 1}]}, "retention.steps", "unknown"),
        ({"steps": [{"kind": "coupon"}]}, "retention.steps", "needs amount"),
        ({"steps": [{"kind": "fax"}]}, "retention.steps", "'coupon' or 'sms'"),
        (
            {"steps": [{"kind": "sms", "after_days": 7, "template": "a"},
                       {"kind": "coupon", "after_days": 1, "amount": 5}]},
            "retention.steps", "in the order they happen",
        ),
        ({"tag": "high_risk"}, "retention.tag", "not a tag of this policy"),
        ({"callback_within_days": -1}, "retention.callback_within_days", "greater than"),
    ],
)  # fmt: skip
def test_the_retention_block_is_validated_strictly(
    retention: dict[str, Any], path: str, message: str
) -> None:
    with pytest.raises(PolicyError) as err:
        parse_policy({**POLICY, "retention": retention}, source="p.yaml")
    assert path in str(err.value) and message in str(err.value), str(err.value)


def test_migration_0009_goes_up_and_down(engine: Engine) -> None:
    upgrade(engine)
    assert {"retention_tasks", "retention_task_log"} <= set(inspect(engine).get_table_names())
    cfg = alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0008_models")
    names = set(inspect(engine).get_table_names())
    assert "retention_tasks" not in names and "customer_predictions" in names
    upgrade(engine)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(RetentionTask)).scalar() == 0


def test_large_sets_go_in_chunks_and_excluded_customers_are_left_alone(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tierwise.ops import retention

    monkeypatch.setattr(retention, "CHUNK", 2)  # five customers: three IN (...) lists
    ids = {f"x{i}" for i in range(5)}
    with world.engine.begin() as conn:
        opened = sync_tasks(conn, Retention(), ids, now=T0, source="run", scope=ids | {"y"})
    assert len(opened.opened) == 5
    with world.engine.begin() as conn:  # x0 was regraded in real time: not this sync's call
        closed = sync_tasks(conn, Retention(), set(), now=T0, source="run", exclude={"x0"})
    assert len(closed.recovered) == 4
    assert [t.status for t in world.tasks()["x0"]] == ["open"]
