"""A grading run publishes into the operational store unchanged (issue 5's input)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import create_engine

from tierwise.grading.handoff import read_run
from tierwise.grading.run import run_grading
from tierwise.policy import DEFAULT_POLICY, load_policy
from tierwise.store.migrate import upgrade
from tierwise.store.runs import Cutoff as StoreCutoff
from tierwise.store.runs import RunStore
from tinylake import ts, write_lake


def test_run_output_publishes_into_the_store(tmp_path: Path) -> None:
    customers = [{"customer_id": f"c{i}"} for i in range(8)]
    orders = [
        {"order_id": f"o{i}-{k}", "customer_id": f"c{i}",
         "order_time": ts(2025, 6, 25) - dt.timedelta(days=6 * k), "amount": 800 * i}
        for i in range(1, 8)
        for k in range(4 * i)
    ]  # fmt: skip
    lake = write_lake(tmp_path / "lake", {"customers": customers, "orders": orders})
    now = dt.datetime(2026, 1, 1)
    result = run_grading(
        load_policy(DEFAULT_POLICY),
        as_of=dt.date(2025, 6, 30),
        lake=lake,
        runs=tmp_path / "runs",
        now=now,
    )
    out = read_run(result.path)
    assert out.run_id == result.run_id
    assert out.stability_rule().downgrade_after_runs == 2
    engine = create_engine(f"sqlite:///{tmp_path / 'state.db'}")
    upgrade(engine)
    store = RunStore(engine)
    r = out.record
    store.begin(out.run_id, policy_name=r["policy_name"], policy_hash=r["policy_hash"], as_of=out.as_of,
                data_fingerprint=r["data_fingerprint"], started_at=now)  # fmt: skip
    cutoffs = [StoreCutoff(c.tier, c.tier_rank, c.min_score) for c in out.cutoffs]
    store.publish(out.run_id, out.store_assignments(), cutoffs, rule=out.stability_rule(), now=now)
    graded = {row["customer_id"]: row["tier"] for row in out.store_assignments().to_pylist()}
    assert store.tiers() == graded
    # c0 never ordered, c1 started 23 days ago: insufficient data, no tier
    assert set(graded) == {f"c{i}" for i in range(2, 8)}
