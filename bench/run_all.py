"""Run every benchmark in turn (``make bench``); each rewrites its own section of docs/benchmarks.md.

Sizes are the ones the issues name; pass ``--quick`` for a small smoke run of the same scripts.
"""

from __future__ import annotations

import argparse
import subprocess
import sys

from bench.common import ROOT, write_summary

# (module, full-size arguments, quick arguments): the one list of benchmarks. A module that
# puts `bench.common.figure(...)` lines in its section shows up in the summary table.
BENCHES: list[tuple[str, list[str], list[str]]] = [
    (
        "bench.bench_generator",
        ["--big-customers", "146000"],  # 10 M and 100 M order lines
        ["--customers", "300", "--months", "6", "--no-exports-run", "--no-doc"],
    ),
    ("bench.bench_publish", ["--customers", "2000000"], ["--customers", "20000"]),
    ("bench.bench_ingest", [], ["--lines", "200000", "--no-doc"]),
    (
        "bench.bench_grading",
        # 100 M lines graded on DuckDB under the 2 GB cap; 10 M on DuckDB, Spark and pandas
        ["--write-doc", "--spark-on", "pandas"],
        ["--lines", "1000000", "--pandas-lines", "1000000", "--spark-on", "none"],
    ),
    (
        "bench.bench_realtime",
        ["--customers", "100000", "--months", "4", "--rate", "200", "--duration", "30"],
        ["--customers", "2000", "--months", "3", "--rate", "50", "--duration", "5", "--no-write"],
    ),
    (
        "bench.bench_models",
        [],
        ["--customers", "20000", "--orders", "200000", "--peer-orders", "200000", "--no-write"],
    ),
    (
        "bench.bench_api",
        ["--customers", "100000"],
        ["--customers", "2000", "--duration", "3", "--no-doc"],
    ),
    ("bench.bench_console", ["--customers", "100000"], ["--customers", "2000", "--no-doc"]),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--quick", action="store_true", help="small sizes, to check the scripts run"
    )
    args = parser.parse_args()
    failed = []
    for module, full, quick in BENCHES:
        print(f"== {module}", flush=True)
        rc = subprocess.call(
            [sys.executable, "-m", module, *(quick if args.quick else full)], cwd=ROOT
        )
        if rc:
            failed.append(module)
    if not args.quick:
        write_summary()
    if failed:
        sys.exit(f"benchmarks failed: {', '.join(failed)}")


if __name__ == "__main__":
    main()
