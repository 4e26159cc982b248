"""Retention tasks by value at risk (issue 18 finding 10, R-OPS-5): LTV × churn probability
orders the list, and new tasks' due dates are spread by each manager's calls a day."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import Engine, insert

from tierwise.ops.retention import manager_capacity, sync_tasks
from tierwise.ops.tasks import TaskFilter, list_tasks
from tierwise.policy import parse_policy
from tierwise.policy.schema import Retention
from tierwise.store.schema import CustomerPrediction
from tinylake import write_lake

from .test_retention import AS_OF, POLICY, T0, World

# c1 and c3 belong to am1, c2 to am2 (World); c3 has the most at risk, then c1, then c2
RISK = {"c1": (10_000.0, 0.5), "c2": (2_000.0, 0.5), "c3": (40_000.0, 0.25)}


def _world(engine: Engine, tmp: Path) -> World:
    w = World(engine, tmp)
    w.publish(parse_policy({k: v for k, v in POLICY.items() if k != "retention"}, source="t"))
    with engine.begin() as conn:
        conn.execute(
            insert(CustomerPrediction),
            [
                {"customer_id": c, "as_of": AS_OF, "models": {}, "clv": ltv, "refreshed_at": T0,
                 "churn_probability": p}
                for c, (ltv, p) in RISK.items()
            ],
        )  # fmt: skip
    return w


def _due(w: World) -> dict[str, dt.date]:
    return {c: ts[0].due_date for c, ts in w.tasks().items()}


def test_due_dates_follow_value_at_risk_a_days_calls_at_a_time(
    engine: Engine, tmp_path: Path
) -> None:
    w = _world(engine, tmp_path)
    first = T0.date() + dt.timedelta(days=3)
    with engine.begin() as conn:
        sync_tasks(conn, Retention(calls_per_day=1), {"c1", "c2", "c3"}, now=T0, source="run")
    # am1 makes one call a day: c3 (20 000 at risk) first, c1 (5 000) the day after
    assert _due(w) == {"c3": first, "c1": first + dt.timedelta(days=1), "c2": first}
    rows, total = list_tasks(engine, TaskFilter(), today=T0.date())
    assert [r["customer_id"] for r in rows] == ["c3", "c1", "c2"] and total == 3
    assert [r["value_at_risk"] for r in rows] == [10_000.0, 5_000.0, 1_000.0]


def test_a_managers_own_capacity_wins_and_the_backlog_pushes_new_tasks(
    engine: Engine, tmp_path: Path
) -> None:
    w = _world(engine, tmp_path)
    first = T0.date() + dt.timedelta(days=3)
    with engine.begin() as conn:  # am1 calls 2 a day: both on the first day
        sync_tasks(conn, Retention(calls_per_day=1), {"c1", "c3"}, now=T0, source="run",
                   capacity={"am1": 2})  # fmt: skip
        # am1 now has 2 open tasks and calls 2 a day: a third is due a day later
        sync_tasks(conn, Retention(calls_per_day=1), {"c1", "c3", "c5"}, now=T0, source="run",
                   capacity={"am1": 2})  # fmt: skip
    assert _due(w) == {"c1": first, "c3": first, "c5": first + dt.timedelta(days=1)}


def test_without_a_capacity_every_task_is_due_on_the_first_day(
    engine: Engine, tmp_path: Path
) -> None:
    w = _world(engine, tmp_path)
    with engine.begin() as conn:
        sync_tasks(conn, Retention(), {"c1", "c2", "c3"}, now=T0, source="run")
    assert set(_due(w).values()) == {T0.date() + dt.timedelta(days=3)}


def test_capacity_comes_from_the_lakes_account_managers(tmp_path: Path) -> None:
    lake = write_lake(
        tmp_path / "lake",
        {"account_managers": [{"manager_id": "am1", "name": "王芳", "territory": "成都市",
                               "capacity_per_day": 6}]},
    )  # fmt: skip
    assert manager_capacity(lake) == {"am1": 6}
    assert manager_capacity(tmp_path / "nolake") == {}
