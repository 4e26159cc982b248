"""Publishing a grading run of N customers into the operational store (issue 5).

Measures ``RunStore.publish`` (assignments + cutoffs + stability rules + current state +
history, one transaction) on PostgreSQL, twice: the first run (everybody "initial") and a
second run where a fifth of the customers move. Target: 2 M customers in under 60 s.
Baseline, in the same run and database: the same rows loaded by one plain ``COPY`` into a
table of the same columns (no history, no rules, no indexes): the floor of any publish.

    uv run python -m bench.bench_publish --customers 2000000

Needs the PostgreSQL server of scripts/services.sh (started if TIERWISE_TEST_PG_URL is unset).
"""

from __future__ import annotations

import argparse
import os
import time
import uuid
from datetime import date, datetime

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Column, Float, MetaData, Table, Text, create_engine, text
from sqlalchemy.engine import Engine, make_url

from bench.common import figure, machine_facts, record, start_services
from tierwise.store.bulk import insert_arrow
from tierwise.store.db import make_engine
from tierwise.store.migrate import upgrade
from tierwise.store.runs import ASSIGNMENTS, Cutoff, RunStore
from tierwise.tierstate.decide import StabilityRule

CUTS = [
    Cutoff("platinum", 0, 95.0),
    Cutoff("gold", 1, 80.0),
    Cutoff("silver", 2, 50.0),
    Cutoff("bronze", 3, None),
]


def _assignments(n: int, seed: int) -> pa.Table:
    """A run's output as the grading engine hands it over: an Arrow table."""
    scores = np.random.default_rng(seed).uniform(0, 100, n).round(4)
    tiers = np.where(
        scores >= 95,
        "platinum",
        np.where(scores >= 80, "gold", np.where(scores >= 50, "silver", "bronze")),
    )
    ids = pc.binary_join_element_wise(
        "C", pc.utf8_lpad(pc.cast(pa.array(np.arange(n)), pa.string()), 8, "0"), ""
    )
    return pa.table(
        {"customer_id": ids, "tier": tiers, "score": scores, "status": ["graded"] * n},
        schema=ASSIGNMENTS,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=2_000_000)
    parser.add_argument("--no-doc", action="store_true", help="do not touch docs/benchmarks.md")
    args = parser.parse_args()
    url = os.environ.get("TIERWISE_TEST_PG_URL")
    if not url:
        url = start_services()["TIERWISE_TEST_PG_URL"]
    name = f"tw_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(make_url(url).set(database=name).render_as_string(hide_password=False))
    try:
        upgrade(engine)
        store = RunStore(engine)
        figures = []
        for i, seed in enumerate((1, 2)):
            rows = _assignments(args.customers, seed)
            run_id = f"bench{i}"
            store.begin(
                run_id,
                policy_name="bench",
                policy_hash="h",
                as_of=date(2026, 1 + i, 28),
                data_fingerprint="f",
                started_at=datetime.now(),
            )
            t = time.perf_counter()
            summary = store.publish(
                run_id, rows, CUTS, rule=StabilityRule(), now=datetime(2026, 1 + i, 28)
            )
            figures.append((time.perf_counter() - t, summary.changes))
            print(run_id, store.run(run_id).timings)
        copy_s = _copy_baseline(engine, _assignments(args.customers, 1))
        print(f"plain COPY of the same rows: {copy_s:.1f} s")
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    lines = [
        "## Publishing a run (PostgreSQL)",
        "",
        f"`uv run python -m bench.bench_publish --customers {args.customers}` — {machine_facts()}",
        "",
        "| run | customers | seconds | changes | target |",
        "|---|---|---|---|---|",
    ]
    for i, (secs, changes) in enumerate(figures):
        lines.append(
            f"| {'first (all initial)' if i == 0 else 'second (stability rules)'} | {args.customers:,} | {secs:.1f} | {sum(changes.values()):,} | < 60 s for 2 M |"
        )
    first = figures[0][0]
    lines += [
        "",
        f"Baseline in the same run and database: the same {args.customers:,} rows loaded by one "
        f"plain `COPY` into a table of the same four columns (no history, no stability rules, "
        f"no indexes) took {copy_s:.2f} s; the first publish is **{first / copy_s:.1f}x** that.",
        figure(
            f"publish {args.customers / 1e6:g} M customers (first run), PostgreSQL",
            round(first / copy_s, 1),
            "plain COPY of the same rows into a bare table",
            "< 60 s for 2 M customers",
            first < 60 if args.customers >= 2_000_000 else None,
            value=f"{first:.1f} s (second run {figures[1][0]:.1f} s)",
        ),
    ]
    print("\n".join(lines))
    if not args.no_doc:
        record("publish", "\n".join(lines))


def _copy_baseline(engine: Engine, rows: pa.Table) -> float:
    """Seconds to COPY ``rows`` into a fresh table of the same columns, in one transaction."""
    bare = Table(
        "bench_copy_baseline",
        MetaData(),
        Column("customer_id", Text),
        Column("tier", Text),
        Column("score", Float),
        Column("status", Text),
    )
    bare.create(engine)
    t = time.perf_counter()
    with engine.begin() as conn:
        insert_arrow(conn, bare, rows)
    return time.perf_counter() - t


if __name__ == "__main__":
    main()
