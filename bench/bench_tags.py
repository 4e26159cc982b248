"""Benchmark (issue 20): every tag for 2 M customers as of a date, and audience counts.

Targets: all tags (the whole catalogue, written as a snapshot) for 2 M customers on DuckDB in
under 5 minutes on this machine's 2 cores; an audience count over 2 M customers under 1 s.

The lake is the grading benchmark's synthetic lake (``bench/synth_lake.py``: 100 M order
lines, 20 M orders, 2 M customers, with invoices, payments and credit reports; it has no
returns, tickets, activity or products, so those inputs are zero there). It is reused from
``var/bench-lakes/`` when ``bench.bench_grading`` built it, else built (about 2.5 min).
The audience counts read the snapshot and a run's ``assignments.parquet`` with a tier per
customer (written here from the snapshot: a hash of the id picks one of four tiers).

Usage (one benchmark at a time on the machine)::

    flock /work/bench.lock uv run --frozen python -m bench.bench_tags
    flock /work/bench.lock uv run --frozen python -m bench.bench_tags --lines 1000000   # smoke
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

EXPRESSIONS = (
    "cat_hotpot_heavy",
    "tier in ('gold', 'platinum') and freq_90d_high and not overdue",
    "(recency_d30 or recency_d60) and spend_365d >= 5000 and rating_low == False",
    "tier == 'bronze' and slowing or cat_meat_rising and value_v3",
)


def _load() -> float:
    return round(os.getloadavg()[0], 2)


def compute(lake: Path, home: Path, as_of: dt.date, memory_limit: str | None) -> dict[str, Any]:
    """Child process: compute the snapshot under DuckDB's memory cap; seconds and peak RSS."""
    from tierwise.engines import open_backend
    from tierwise.tags.snapshot import compute_snapshot

    con = open_backend("duckdb", memory_limit=memory_limit)
    t0 = time.perf_counter()
    snap = compute_snapshot(con, lake, home, as_of, now=dt.datetime.now(dt.UTC), replace=True)
    return {
        "seconds": round(time.perf_counter() - t0, 2),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
        "rows": snap.meta["rows"],
        "tags": snap.meta["tags"],
        "load_1m": _load(),
    }


def counts(home: Path, repeats: int) -> list[dict[str, Any]]:
    """Audience counts over the snapshot joined with a run's tiers: cold and warm times."""
    import duckdb

    from tierwise.tags.audience import Frame, RunRef, check_expression
    from tierwise.tags.snapshot import snapshot_for

    snap = snapshot_for(home)
    run = home / "runs" / "bench-run"
    run.mkdir(parents=True, exist_ok=True)
    duckdb.connect().execute(
        f"COPY (SELECT entity_id, (['platinum','gold','silver','bronze'])[1 + (hash(entity_id) % 4)::BIGINT]"
        f" AS tier FROM read_parquet('{snap.file}')) TO '{run / 'assignments.parquet'}' "
        "(FORMAT parquet)"
    )
    out = []
    for text in EXPRESSIONS:
        t0 = time.perf_counter()
        frame = Frame(snap, RunRef("bench-run", snap.as_of, run))
        rule = check_expression(text, frame.types())
        n = frame.count(rule)
        cold = time.perf_counter() - t0
        warm = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            frame = Frame(snap, RunRef("bench-run", snap.as_of, run))
            assert frame.count(check_expression(text, frame.types())) == n
            warm.append(time.perf_counter() - t0)
        out.append(
            {
                "expression": text,
                "count": n,
                "first_s": round(cold, 3),
                "median_s": round(statistics.median(warm), 3),
                "max_s": round(max(warm), 3),
            }
        )
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--lines", type=int, default=100_000_000)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--phase", choices=["compute"], default=None)
    p.add_argument("--lake", type=Path, default=None)
    p.add_argument("--home", type=Path, default=None)
    p.add_argument("--memory-limit", default="4GB", help="DuckDB's cap (TIERWISE_MEMORY_LIMIT)")
    args = p.parse_args()
    from synth_lake import AS_OF

    if args.phase == "compute":
        print(json.dumps(compute(args.lake, args.home, AS_OF, args.memory_limit)))
        return
    from bench_grading import LAKES, built_lake, lake_path

    lake = lake_path(LAKES, args.lines)
    work = Path(tempfile.mkdtemp(prefix="bench-tags-"))
    build = built_lake(lake, work, args.lines, 2, False)
    print(f"lake {lake}: {build.get('rows')}", flush=True)
    home = work / "home"
    cmd = [sys.executable, __file__, "--phase", "compute", "--lake", str(lake), "--home", str(home)]
    cmd += ["--lines", str(args.lines), "--memory-limit", args.memory_limit]
    proc = subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=ROOT)
    c = json.loads(proc.stdout.strip().splitlines()[-1])
    verdict = "met" if c["seconds"] < 300 else "NOT met"
    print(
        f"all {c['tags']} tags × {c['rows']:,} customers as of {AS_OF}: {c['seconds']} s, "
        f"peak RSS {c['peak_rss_mb']} MB (cap {args.memory_limit}), load {c['load_1m']} (target < 300 s: {verdict})",
        flush=True,
    )
    rows = counts(home, args.repeats)
    for r in rows:
        ok = "met" if r["median_s"] < 1 else "NOT met"
        print(
            f"count {r['count']:>9,}  first {r['first_s']:.3f} s  median {r['median_s']:.3f} s"
            f"  max {r['max_s']:.3f} s  ({ok})  {r['expression']}",
            flush=True,
        )
    print(f"load {_load()}; work folder {work}")
    _record(args, c, rows)


def _record(args: argparse.Namespace, c: dict[str, Any], rows: list[dict[str, Any]]) -> None:
    """The section ``tags`` of docs/benchmarks.md (bench/common.py), as the other benches."""
    from common import figure, machine_facts, record
    from synth_lake import AS_OF

    size = f"{c['rows']:,} customers ({args.lines:,} order lines)"
    worst = max(r["median_s"] for r in rows)
    table = "\n".join(
        f"| `{r['expression']}` | {r['count']:,} | {r['first_s']:.3f} | {r['median_s']:.3f} | {r['max_s']:.3f} |"
        for r in rows
    )
    cmd = "flock /work/bench.lock uv run --frozen python -m bench.bench_tags"
    if args.lines != 100_000_000:
        cmd += f" --lines {args.lines}"
    body = f"""## Tags and audiences (issue 20)

{machine_facts()}

`{cmd}`: all {c["tags"]} tags × {size} as of {AS_OF} on DuckDB
(cap {args.memory_limit}): **{c["seconds"]} s**, peak RSS {c["peak_rss_mb"]} MB, load average
{c["load_1m"]} at the end of the computation. The synthetic lake has no operations tables, so
the 营销响应 tags that read them are unavailable (empty) there.

Audience counts over the snapshot joined with a run's tiers ({args.repeats} warm repeats):

| expression | count | first s | median s | max s |
|---|---:|---:|---:|---:|
{table}

{figure(f"tags: all {c['tags']} tags × {c['rows']:,} customers (DuckDB)", None, "-", "< 300 s", c["seconds"] < 300, f"{c['seconds']} s")}
{figure(f"tags: audience count over {c['rows']:,} customers (worst median)", None, "-", "< 1 s", worst < 1, f"{worst:.3f} s")}
"""
    print(body)
    record("tags", body)


if __name__ == "__main__":
    main()
