"""Runs: publication applies stability rules, is atomic, and survives a killed process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from datetime import date, datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, func, select

from tierwise.errors import UsageError
from tierwise.store import runs
from tierwise.store.migrate import upgrade
from tierwise.store.runs import Assignment, Cutoff, RunStore
from tierwise.store.schema import Base, RunAssignment
from tierwise.tierstate.decide import StabilityRule

runs_table = Base.metadata.tables["runs"]

CUTS = [Cutoff("gold", 0, 70.0), Cutoff("silver", 1, 40.0), Cutoff("bronze", 2, None)]
RULE = StabilityRule(downgrade_after_runs=2)
T0 = datetime(2026, 1, 31, 3, 0)


def run_once(store: RunStore, run_id: str, as_of: date, scores: dict[str, float]) -> None:
    store.begin(
        run_id, policy_name="p", policy_hash="h", as_of=as_of, data_fingerprint="f", started_at=T0
    )

    def tier(s: float) -> str:
        return "gold" if s >= 70 else "silver" if s >= 40 else "bronze"

    store.publish(
        run_id,
        [Assignment(c, tier(s), s) for c, s in scores.items()],
        CUTS,
        rule=RULE,
        now=datetime.combine(as_of, datetime.min.time()),
    )


def test_runs_publish_with_natural_transitions(engine: Engine) -> None:
    upgrade(engine)
    store = RunStore(engine)
    run_once(store, "r1", date(2026, 1, 31), {"a": 80, "b": 50, "c": 10})
    assert store.tiers() == {"a": "gold", "b": "silver", "c": "bronze"}
    run_once(store, "r2", date(2026, 2, 28), {"a": 50, "b": 90, "c": 10})
    # b is upgraded at once; a is only warned (first run below gold)
    assert store.tiers() == {"a": "gold", "b": "gold", "c": "bronze"}
    run_once(store, "r3", date(2026, 3, 31), {"a": 50, "b": 90, "c": 10})
    assert store.tiers()["a"] == "silver"
    codes = [(h.run_id, h.reason_code, h.from_tier, h.to_tier) for h in store.history("a")]
    assert codes == [("r1", "initial", None, "gold"), ("r3", "downgrade", "gold", "silver")]
    current = store.current_run()
    assert current is not None
    assert current.id == "r3"
    assert current.counts["changes"] == {"downgrade": 1}
    with engine.connect() as conn:  # replacing the state table kept its declared shape
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []


def test_a_published_run_cannot_be_published_again(engine: Engine) -> None:
    upgrade(engine)
    store = RunStore(engine)
    run_once(store, "r1", date(2026, 1, 31), {"a": 80})
    with pytest.raises(UsageError, match="published"):
        store.publish("r1", [Assignment("a", "bronze", 1)], CUTS, rule=RULE, now=T0)


def test_a_failing_publication_leaves_the_previous_run_current(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    upgrade(engine)
    store = RunStore(engine)
    run_once(store, "r1", date(2026, 1, 31), {"a": 80, "b": 50})
    store.begin(
        "r2",
        policy_name="p",
        policy_hash="h",
        as_of=date(2026, 2, 28),
        data_fingerprint="f",
        started_at=T0,
    )

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("disk full")  # fails after the assignments were written

    monkeypatch.setattr(runs, "decide_many", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        store.publish("r2", [Assignment("a", "bronze", 1.0)], CUTS, rule=RULE, now=T0)
    store.fail("r2", "RuntimeError: disk full", T0)
    current = store.current_run()
    assert current is not None
    assert current.id == "r1"
    assert store.run("r2").status == "failed"
    assert store.tiers() == {"a": "gold", "b": "silver"}
    with engine.connect() as conn:
        assert (
            conn.scalar(
                select(func.count()).select_from(RunAssignment).where(RunAssignment.run_id == "r2")
            )
            == 0
        )


def test_unknown_tiers_are_refused_before_anything_is_written(engine: Engine) -> None:
    upgrade(engine)
    store = RunStore(engine)
    store.begin(
        "r1",
        policy_name="p",
        policy_hash="h",
        as_of=date(2026, 1, 31),
        data_fingerprint="f",
        started_at=T0,
    )
    with pytest.raises(UsageError, match="diamond"):
        store.publish("r1", [Assignment("a", "diamond", 99.0)], CUTS, rule=RULE, now=T0)
    assert store.current_run() is None


def test_customers_absent_from_a_run_keep_their_tier(engine: Engine) -> None:
    upgrade(engine)
    store = RunStore(engine)
    run_once(store, "r1", date(2026, 1, 31), {"a": 80, "b": 50})
    run_once(store, "r2", date(2026, 2, 28), {"b": 90})
    assert store.tiers() == {"a": "gold", "b": "gold"}


KILLED_PUBLISH = textwrap.dedent(
    """
    import sys, time
    from datetime import date, datetime
    from pathlib import Path
    import tierwise.store.runs as runs
    from tierwise.tierstate.decide import StabilityRule
    from tierwise.store.db import make_engine

    url, marker = sys.argv[1], Path(sys.argv[2])
    def stalling(*args, **kwargs):
        # assignments and cutoffs are written, the transaction is open: wait to be killed
        marker.write_text("ready")
        time.sleep(600)

    runs.decide_many = stalling
    store = runs.RunStore(make_engine(url))
    store.begin("r2", policy_name="p", policy_hash="h", as_of=date(2026, 2, 28),
                data_fingerprint="f", started_at=datetime(2026, 2, 28))
    cuts = [runs.Cutoff("gold", 0, 70.0), runs.Cutoff("silver", 1, 40.0), runs.Cutoff("bronze", 2, None)]
    store.publish("r2", [runs.Assignment(f"c{i}", "gold", 99.0) for i in range(2000)], cuts,
                  rule=StabilityRule(), now=datetime(2026, 2, 28))
    """
)


def test_a_killed_publication_never_becomes_current(engine: Engine, tmp_path: Path) -> None:
    upgrade(engine)
    store = RunStore(engine)
    run_once(store, "r1", date(2026, 1, 31), {f"c{i}": 10.0 for i in range(2000)})
    marker = tmp_path / "ready"
    url = engine.url.render_as_string(hide_password=False)
    proc = subprocess.Popen([sys.executable, "-c", KILLED_PUBLISH, url, str(marker)])
    try:
        deadline = time.monotonic() + 60
        while not marker.exists():
            assert proc.poll() is None, "the publishing process ended before the kill point"
            assert time.monotonic() < deadline, (
                "the publishing process never reached the kill point"
            )
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    engine.dispose()  # drop pooled connections; the killed session's locks go with its backend
    current = store.current_run()
    assert current is not None
    assert current.id == "r1"
    assert set(store.tiers().values()) == {"bronze"}
    assert store.run("r2").status == "running"  # visible, never published
    # the next run notices the dead process and records r2 as abandoned
    run_once(store, "r3", date(2026, 3, 31), {"c0": 99.0})
    assert store.run("r2").status == "failed"
    assert "abandoned" in (store.run("r2").error or "")
    with engine.connect() as conn:
        assert (
            conn.scalar(
                select(func.count()).select_from(RunAssignment).where(RunAssignment.run_id == "r2")
            )
            == 0
        )


def begin(store: RunStore, run_id: str, as_of: date = date(2026, 1, 31), at: datetime = T0) -> None:
    store.begin(
        run_id, policy_name="p", policy_hash="h", as_of=as_of, data_fingerprint="f", started_at=at
    )


def test_runs_never_overlap(engine: Engine) -> None:
    upgrade(engine)
    store = RunStore(engine)
    begin(store, "r1")
    with pytest.raises(UsageError, match="another grading run is in progress: r1"):
        begin(store, "r2")
    store.publish("r1", [Assignment("a", "gold", 80.0)], CUTS, rule=RULE, now=T0)
    begin(store, "r2", date(2026, 2, 28))
    store.publish("r2", [Assignment("a", "gold", 80.0)], CUTS, rule=RULE, now=T0)
    with pytest.raises(UsageError, match="exists already"):
        begin(store, "r1")


def test_a_silent_run_is_abandoned_after_the_stale_time(engine: Engine) -> None:
    upgrade(engine)
    store = RunStore(engine)
    store.begin(
        "r1",
        policy_name="p",
        policy_hash="h",
        as_of=date(2026, 1, 31),
        data_fingerprint="f",
        started_at=T0,
    )
    store.heartbeat("r1", T0)
    later = T0.replace(hour=T0.hour + 1)
    with pytest.raises(UsageError):
        store.begin(
            "r2",
            policy_name="p",
            policy_hash="h",
            as_of=date(2026, 1, 31),
            data_fingerprint="f",
            started_at=later,
        )
    with engine.begin() as conn:  # pretend r1 was started by a process on another host
        conn.execute(runs_table.update().values(owner="elsewhere:1"))
    much_later = T0.replace(hour=T0.hour + 5)
    store.begin(
        "r2",
        policy_name="p",
        policy_hash="h",
        as_of=date(2026, 1, 31),
        data_fingerprint="f",
        started_at=much_later,
    )
    assert store.run("r1").status == "failed"
