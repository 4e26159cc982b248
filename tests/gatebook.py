"""A run held for its spot check (issue 23 item 4), in a home the API, CLI and console read."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import Engine

from tierwise.pipeline.publish import grade_and_publish
from tierwise.policy import DEFAULT_POLICY, load_policy
from tierwise.policy.schema import Review
from tinylake import ts, write_lake


def gate_lake(home: Path) -> Path:
    """8 customers, 6 of them with enough orders to be graded as of 2025-06-30."""
    last = ts(2025, 6, 25)
    orders = [
        {"order_id": f"o{i}-{k}", "customer_id": f"c{i}",
         "order_time": last - dt.timedelta(days=6 * k), "amount": 800 * i}
        for i in range(1, 8)
        for k in range(4 * i)
    ]  # fmt: skip
    customers = [{"customer_id": f"c{i}"} for i in range(8)]
    return write_lake(home / "lake", {"customers": customers, "orders": orders})


def held_run(home: Path, engine: Engine, *, per_stratum: int = 2) -> str:
    """Grade :func:`gate_lake` with the default policy plus ``review:`` into ``home/lake``
    and ``home/runs``; returns the id of the run awaiting review."""
    lake = gate_lake(home)
    policy = load_policy(DEFAULT_POLICY).model_copy(
        update={"review": Review(per_stratum=per_stratum)}
    )
    done = grade_and_publish(
        policy, as_of=dt.date(2025, 6, 30), lake=lake, runs=home / "runs", engine=engine
    )
    assert done.summary.held
    return done.result.run_id
