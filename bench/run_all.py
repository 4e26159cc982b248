"""Run every benchmark in turn (``make bench``); each rewrites its own section of docs/benchmarks.md.

Sizes are the ones the issues name; ``--quick`` runs the same scripts at small sizes and leaves
docs/benchmarks.md untouched. ``--only`` / ``--skip`` take bench names (see ``--list``). Each
bench runs in its own process with a time limit, so one stuck bench cannot hold up the rest;
the elapsed time of each and the total are printed and, for a full run of the whole list,
written to the ``run_all`` section with the summary table.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from bench.common import DOC, NO_DOC_ENV, ROOT, machine_facts, record, write_summary


@dataclass(frozen=True)
class Bench:
    """One benchmark script of ``make bench``."""

    name: str
    module: str
    full: list[str]
    quick: list[str]
    # seconds it took at full size in the last measured run (see docs/benchmarks.md), for
    # the estimate of a whole run; the full-size run is stopped at ``limit_s``
    estimate_s: int
    limit_s: int
    note: str = field(default="", compare=False)


# The one list of benchmarks. A module that puts `bench.common.figure(...)` lines in its
# section shows up in the summary table. Quick arguments must keep docs/benchmarks.md as it is
# (run_all also sets TIERWISE_BENCH_NO_DOC and checks the file is unchanged).
BENCHES: list[Bench] = [
    Bench(
        "generator",
        "bench.bench_generator",
        ["--big-customers", "146000"],  # 10 M and 100 M order lines, 10 M with exports
        ["--customers", "300", "--months", "6", "--big-customers", "600", "--no-doc"],
        estimate_s=600,
        limit_s=1500,
        note="10 M lake, 100 M lake, 10 M lake + exports, DuckDB writing the same rows",
    ),
    Bench(
        "publish",
        "bench.bench_publish",
        ["--customers", "2000000"],
        ["--customers", "20000", "--no-doc"],
        estimate_s=150,
        limit_s=600,
        note="2 M customers, twice, and a plain COPY of the same rows",
    ),
    Bench(
        "ingest",
        "bench.bench_ingest",
        [],  # 10 M order lines
        ["--lines", "200000", "--no-doc"],
        estimate_s=200,
        limit_s=900,
    ),
    Bench(
        "grading",
        "bench.bench_grading",
        # 100 M lines graded on DuckDB under the 2 GB cap against the hand-written SQL;
        # 10 M on DuckDB, Spark local[2] and pandas (bench_grading's defaults)
        ["--write-doc", "--spark-on", "pandas"],
        ["--lines", "1000000", "--pandas-lines", "1000000", "--spark-on", "none"],
        estimate_s=940,
        limit_s=2400,
        note="100 M lines (capped at 2 GB) and 10 M lines with Spark and pandas; lakes kept in var/bench-lakes",
    ),
    Bench(
        "realtime",
        "bench.bench_realtime",
        ["--customers", "100000", "--months", "4", "--rate", "200", "--duration", "30"],
        ["--customers", "2000", "--months", "3", "--rate", "50", "--duration", "5", "--no-write"],
        estimate_s=150,
        limit_s=600,
    ),
    Bench(
        "realtime-pg",
        "bench.bench_realtime",
        ["--customers", "100000", "--months", "4", "--rate", "200", "--duration", "30", "--pg"],
        [
            "--customers",
            "2000",
            "--months",
            "3",
            "--rate",
            "50",
            "--duration",
            "5",
            "--pg",
            "--no-write",
        ],
        estimate_s=150,
        limit_s=600,
    ),
    Bench(
        "models",
        "bench.bench_models",
        [],  # 2 M customers, 20 M orders
        ["--customers", "20000", "--orders", "200000", "--peer-orders", "200000", "--no-write"],
        estimate_s=170,
        limit_s=900,
    ),
    Bench(
        "api",
        "bench.bench_api",
        ["--customers", "100000", "--duration", "10", "--repeats", "2"],
        ["--customers", "2000", "--duration", "2", "--repeats", "1", "--no-doc"],
        estimate_s=150,
        limit_s=600,
    ),
    Bench(
        "console",
        "bench.bench_console",
        ["--customers", "100000"],
        ["--customers", "2000", "--no-doc"],
        estimate_s=45,
        limit_s=300,
    ),
    Bench(
        "world",
        "bench.bench_world",
        # the 10 M-line generator run is the generator bench's; run alone, bench_world does it too
        ["--outlets", "20000", "--generator-customers", "0"],
        ["--generator-customers", "600", "--outlets", "1500", "--no-doc"],
        estimate_s=140,
        limit_s=900,
        note="90-day simulation of 20 000 outlets, MDE, recall@10",
    ),
]
QUICK_LIMIT_S = 600


def select(benches: Sequence[Bench], only: str | None, skip: str | None) -> list[Bench]:
    """The benches named by ``--only`` (all when None) minus those named by ``--skip``."""
    names = [b.name for b in benches]

    def parse(option: str, value: str | None) -> set[str]:
        chosen = {n.strip() for n in (value or "").split(",") if n.strip()}
        unknown = sorted(chosen - set(names))
        if unknown:
            raise SystemExit(
                f"{option}: unknown bench {', '.join(unknown)} (expected some of {', '.join(names)})"
            )
        return chosen

    keep, drop = parse("--only", only), parse("--skip", skip)
    return [b for b in benches if (not keep or b.name in keep) and b.name not in drop]


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:.1f} min"


def run_one(bench: Bench, quick: bool) -> tuple[float, str]:
    """Run one bench in its own process group; (elapsed seconds, status)."""
    env = dict(os.environ)
    if quick:
        env[NO_DOC_ENV] = "1"
    limit = QUICK_LIMIT_S if quick else bench.limit_s
    cmd = [sys.executable, "-m", bench.module, *(bench.quick if quick else bench.full)]
    print(f"== {bench.name}: {' '.join(cmd[1:])} (limit {_minutes(limit)})", flush=True)
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, start_new_session=True)
    try:
        rc = proc.wait(timeout=limit)
        status = "ok" if rc == 0 else f"failed (exit {rc})"
    except subprocess.TimeoutExpired:
        # the bench and the children it started (servers, Spark, wrk) share its process group
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        status = f"stopped after the {_minutes(limit)} limit"
    except KeyboardInterrupt:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait()
        raise
    elapsed = time.perf_counter() - started
    print(f"== {bench.name}: {status} in {elapsed:.0f} s", flush=True)
    return elapsed, status


def timings_section(results: list[tuple[Bench, float, str]], total: float) -> str:
    """The ``run_all`` section: how long each bench took in this run."""
    rows = "\n".join(
        f"| {b.name} | {s:.0f} | {status} | {b.limit_s} | {b.note or '—'} |"
        for b, s, status in results
    )
    return f"""## Duration of the last `make bench`

`uv run python -m bench.run_all` — {machine_facts()} (at the end of the run).

| bench | seconds | status | limit (s) | what it runs |
|---|---:|---|---:|---|
{rows}

Total: **{total:.0f} s ({_minutes(total)})**."""


SERVICES = ROOT / "scripts" / "services.sh"


def services_running() -> bool:
    """Whether this checkout's PostgreSQL or Redis (scripts/services.sh) is running."""
    out = subprocess.run(["bash", str(SERVICES), "status"], capture_output=True, text=True)
    return "running" in out.stdout


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--quick", action="store_true", help="small sizes, to check the scripts run"
    )
    parser.add_argument("--only", metavar="NAME[,NAME]", help="run only these benches")
    parser.add_argument("--skip", metavar="NAME[,NAME]", help="run all but these benches")
    parser.add_argument("--list", action="store_true", help="list the benches and exit")
    args = parser.parse_args(argv)
    chosen = select(BENCHES, args.only, args.skip)
    if args.list:
        for b in BENCHES:
            print(f"{b.name:12s} {b.module:24s} ~{b.estimate_s:5d} s  {' '.join(b.full)}")
        print(f"estimated full run: {_minutes(sum(b.estimate_s for b in BENCHES))}")
        return
    if not chosen:
        raise SystemExit("--only / --skip left no bench to run")
    if not args.quick:
        estimate = sum(b.estimate_s for b in chosen)
        print(f"running {len(chosen)} benches, estimated {_minutes(estimate)}", flush=True)
    before = DOC.read_text(encoding="utf-8") if DOC.exists() else None
    had_services = services_running()
    results: list[tuple[Bench, float, str]] = []
    t0 = time.perf_counter()
    try:
        for bench in chosen:
            elapsed, status = run_one(bench, args.quick)
            results.append((bench, elapsed, status))
    finally:
        if not had_services:  # the benches started them: stop them again
            subprocess.run(["bash", str(SERVICES), "stop"], capture_output=True)
    total = time.perf_counter() - t0
    print("\n".join(f"{b.name:12s} {s:7.0f} s  {status}" for b, s, status in results))
    print(f"total        {total:7.0f} s  ({_minutes(total)})", flush=True)
    failed = [b.name for b, _, status in results if status != "ok"]
    if args.quick:
        after = DOC.read_text(encoding="utf-8") if DOC.exists() else None
        if after != before:
            if before is not None:
                DOC.write_text(before, encoding="utf-8")
            failed.append("(docs/benchmarks.md was changed by a quick run; restored)")
    else:
        if len(chosen) == len(BENCHES):
            record("run_all", timings_section(results, total))
        write_summary()
    if failed:
        sys.exit(f"benchmarks failed: {', '.join(failed)}")


if __name__ == "__main__":
    main()
