"""The retention sync (R-OPS-5): what opening, re-syncing and recovering tasks costs.

On SQLite, with one webhook subscribed to the retention events and the default policy's
coupon and SMS steps: open N tasks among 10 N customers, sync the same tags again (nothing to
do), let half of them recover; then real-time micro-batches of 200 customers through
``sync_after_regrade`` (10 % come back, the others stay tagged). Prints the figures and the
load average; writes nothing (docs/operations.md quotes a run).

    flock /work/bench.lock uv run --frozen python -m bench.bench_retention --tasks 50000
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import insert

from tierwise.ops.retention import EVENTS, sync_after_regrade, sync_tasks
from tierwise.policy import DEFAULT_POLICY, load_policy
from tierwise.store.db import make_engine, sqlite_url
from tierwise.store.migrate import upgrade
from tierwise.store.schema import CustomerTier
from tierwise.store.webhooks import register_webhook

T0 = dt.datetime(2026, 11, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=50_000)
    parser.add_argument("--batches", type=int, default=100)
    args = parser.parse_args()
    policy = load_policy(DEFAULT_POLICY)
    config = policy.retention
    assert config is not None, "the default policy has a retention block"
    n = args.tasks
    ids = [f"C{i:07d}" for i in range(n * 10)]
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(sqlite_url(Path(tmp) / "state.db"))
        upgrade(engine)
        with engine.begin() as conn:
            conn.execute(
                insert(CustomerTier),
                [
                    {"customer_id": c, "tier": "bronze", "score": 1.0, "run_id": "r",
                     "since": T0.date(), "runs_below": 0, "downgrade_warning": False,
                     "updated_at": T0}
                    for c in ids
                ],
            )  # fmt: skip
        register_webhook(
            engine, name="crm", url="http://crm.invalid", secret="s", now=T0, events=EVENTS
        )
        tagged = set(ids[::10])
        steps = (
            (f"open {n:,} tasks", tagged),
            ("the same tags again", tagged),
            (f"{n // 2:,} recover", set(sorted(tagged)[: n // 2])),
        )
        for label, tags in steps:
            t = time.perf_counter()
            with engine.begin() as conn:
                r = sync_tasks(conn, config, tags, now=T0, source="run")
            print(
                f"{label}: {time.perf_counter() - t:.2f} s (opened {len(r.opened):,}, "
                f"recovered {len(r.recovered):,}, messages {r.messages:,})"
            )
        still = {"days_since_last_order": 90, "median_order_gap_days": 10, "orders_365d": 12}
        back = {"days_since_last_order": 0, "median_order_gap_days": 10, "orders_365d": 13}
        times = []
        for b in range(args.batches):
            batch = ids[b * 200 : (b + 1) * 200]
            rows = {c: (back if i % 10 == 0 else still) for i, c in enumerate(batch)}
            t = time.perf_counter()
            with engine.begin() as conn:
                sync_after_regrade(conn, policy, rows, run_id="r", now=T0)
            times.append((time.perf_counter() - t) * 1000)
        times.sort()
        print(
            f"real-time batches of 200: median {statistics.median(times):.1f} ms, "
            f"p95 {times[int(len(times) * 0.95) - 1]:.1f} ms (transaction included)"
        )
        engine.dispose()
    print("load average:", ", ".join(f"{x:.2f}" for x in os.getloadavg()))


if __name__ == "__main__":
    main()
