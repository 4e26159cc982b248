"""Grade and publish in one step (issue 5): the run folder, the store, stability, failure."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from tierwise.errors import DataError
from tierwise.pipeline.publish import grade_and_publish
from tierwise.policy import DEFAULT_POLICY, load_policy
from tierwise.store.db import make_engine, sqlite_url
from tierwise.store.migrate import upgrade
from tierwise.store.runs import RunStore
from tinylake import ts, write_lake


def _orders(last: dt.datetime, per_customer: dict[int, int]) -> list[dict[str, Any]]:
    return [
        {"order_id": f"o{i}-{k}-{last:%m%d}", "customer_id": f"c{i}",
         "order_time": last - dt.timedelta(days=6 * k), "amount": 800 * i}
        for i, n in per_customer.items()
        for k in range(n)
    ]  # fmt: skip


def _engine(tmp_path: Path) -> Engine:
    engine = make_engine(sqlite_url(tmp_path / "state.db"))
    upgrade(engine)
    return engine


class Clock:
    def __init__(self, start: dt.datetime) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        self.now += dt.timedelta(seconds=1)
        return self.now


def test_grade_and_publish_makes_the_run_current(tmp_path: Path) -> None:
    customers = [{"customer_id": f"c{i}"} for i in range(8)]
    orders = _orders(ts(2025, 6, 25), {i: 4 * i for i in range(1, 8)})
    lake = write_lake(tmp_path / "lake", {"customers": customers, "orders": orders})
    engine = _engine(tmp_path)
    done = grade_and_publish(
        load_policy(DEFAULT_POLICY), as_of=dt.date(2025, 6, 30), lake=lake, runs=tmp_path / "runs",
        engine=engine, clock=Clock(dt.datetime(2026, 1, 1)),
    )  # fmt: skip
    store = RunStore(engine)
    current = store.current_run()
    assert current is not None
    assert current.id == done.result.run_id
    assert current.data_fingerprint == done.output.record["data_fingerprint"]
    assert current.counts["graded"] == 6
    graded = {
        row["customer_id"]: row["tier"] for row in done.output.store_assignments().to_pylist()
    }
    assert store.tiers() == graded
    # c0 never ordered, c1 started 23 days ago: insufficient data, no tier
    assert set(graded) == {f"c{i}" for i in range(2, 8)}
    assert done.summary.changes == {"initial": 6}


def test_a_failed_grading_is_recorded_and_changes_nothing(tmp_path: Path) -> None:
    customers = [{"customer_id": f"c{i}"} for i in range(8)]
    orders = _orders(ts(2025, 6, 25), {i: 4 * i for i in range(1, 8)})
    lake = write_lake(tmp_path / "lake", {"customers": customers, "orders": orders})
    engine = _engine(tmp_path)
    clock = Clock(dt.datetime(2026, 1, 1))
    policy = load_policy(DEFAULT_POLICY)
    first = grade_and_publish(
        policy,
        as_of=dt.date(2025, 6, 30),
        lake=lake,
        runs=tmp_path / "runs",
        engine=engine,
        clock=clock,
    )
    before = RunStore(engine).tiers()
    with pytest.raises(DataError):
        grade_and_publish(
            policy,
            as_of=dt.date(2025, 7, 31),
            lake=tmp_path / "no-lake",
            runs=tmp_path / "runs",
            engine=engine,
            clock=clock,
        )
    store = RunStore(engine)
    current = store.current_run()
    assert current is not None
    assert current.id == first.result.run_id
    assert store.tiers() == before
    failed = [r for r in (store.run(rid) for rid in _run_ids(engine)) if r.status == "failed"]
    assert len(failed) == 1
    assert "DataError" in (failed[0].error or "")


def _run_ids(engine: Engine) -> list[str]:
    from sqlalchemy import select

    from tierwise.store.schema import Run

    with engine.connect() as conn:
        return list(conn.execute(select(Run.id)).scalars())
