"""Generator benchmark: 10 M order lines in under 60 s with peak RSS under 2 GB (issue 2).

Runs ``tierwise generate`` in a child process (so the figures are those of the real
command, imports included), measures wall time and the child's peak RSS, counts the order
lines written, then has DuckDB write the same tables (same schemas and row counts) as the
same-run baseline, and rewrites its own section of ``docs/benchmarks.md``.

Usage::

    uv run python -m bench.bench_generator              # 10 M lines: lake, then lake + exports
    uv run python -m bench.bench_generator --big-customers 146000   # and 100 M lines
    uv run python -m bench.bench_generator --no-exports-run --no-doc

Callable from ``bench/run_all.py`` as :func:`run`.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import psutil
import pyarrow as pa
import pyarrow.parquet as pq

from bench.common import CACHE, ROOT, figure, machine_facts, record

OUT = CACHE / "generator-out"  # scratch: emptied before and after each measured run
# 30 months of 14 600 customers land at about 10 M order lines with the default seed.
CUSTOMERS, MONTHS, SEED = 14_600, 30, 1
TARGET_SECONDS, TARGET_RSS_GB = 60.0, 2.0


@dataclass
class Measure:
    """One measured run of ``tierwise generate``."""

    command: str
    seconds: float
    peak_rss_gb: float
    orders: int
    order_lines: int
    exports: bool
    export_bytes: int
    duckdb_s: float = 0.0  # DuckDB writing the same rows (lake-only runs)
    load: float = 0.0  # 1-minute load average when the run ended


def _rows(folder: Path) -> int:
    return sum(pq.ParquetFile(p).metadata.num_rows for p in folder.glob("*.parquet"))


def measure(customers: int, months: int, seed: int, exports: bool, out: Path) -> Measure:
    """Run ``tierwise generate`` once in a child process and measure it."""
    shutil.rmtree(out, ignore_errors=True)
    args = [
        "--customers",
        str(customers),
        "--months",
        str(months),
        "--seed",
        str(seed),
        "--out",
        str(out),
    ]
    args.append("--exports" if exports else "--no-exports")
    cmd = [sys.executable, "-m", "tierwise", "generate", *args]
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT)
    # Ask the kernel for this child's own peak (wait4), and poll RSS while it runs.
    peak, child = 0, psutil.Process(proc.pid)
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        with contextlib.suppress(psutil.NoSuchProcess):
            peak = max(peak, child.memory_info().rss)
        time.sleep(0.05)
    seconds = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"generate failed: {proc.stderr.read().decode() if proc.stderr else ''}")
    kernel_peak = usage.ru_maxrss * 1024  # KiB on Linux
    load = os.getloadavg()[0]
    export_dir = out / "exports"
    size = sum(p.stat().st_size for p in export_dir.iterdir()) if export_dir.exists() else 0
    return Measure(
        command="uv run tierwise generate " + " ".join(args).replace(f"{ROOT}/", ""),
        seconds=seconds,
        peak_rss_gb=max(peak, kernel_peak) / 1e9,
        orders=_rows(out / "lake" / "orders"),
        order_lines=_rows(out / "lake" / "order_lines"),
        exports=exports,
        export_bytes=size,
        load=load,
    )


def _duckdb_value(field: pa.Field) -> str:
    """A DuckDB expression of ``field``'s type with varied values, for row ``range``."""
    t = field.type
    if pa.types.is_dictionary(t):
        t = t.value_type
    if pa.types.is_boolean(t):
        return "(range % 7 = 0)"
    if pa.types.is_integer(t):
        return f"(hash(range) % 1000000)::{_DUCK_INT.get(t.bit_width, 'BIGINT')}"
    if pa.types.is_floating(t):
        return "random() * 1000"
    if pa.types.is_decimal(t):
        return f"(random() * 10000)::DECIMAL({t.precision}, {t.scale})"
    if pa.types.is_date(t):
        return "DATE '2024-01-01' + (range % 900)::INTEGER"
    if pa.types.is_timestamp(t):
        return "TIMESTAMP '2024-01-01' + to_seconds((hash(range) % 77760000)::BIGINT)"
    return "'K' || (hash(range) % 1000003)::VARCHAR"  # strings and anything else


_DUCK_INT = {8: "TINYINT", 16: "SMALLINT", 32: "INTEGER", 64: "BIGINT"}


def lake_shape(lake: Path) -> dict[str, tuple[pa.Schema, int]]:
    """Each table of a generated lake: (schema, rows)."""
    shape = {}
    for table in sorted(d for d in lake.iterdir() if d.is_dir()):
        files = sorted(table.rglob("*.parquet"))
        if files:
            rows = sum(pq.ParquetFile(f).metadata.num_rows for f in files)
            shape[table.name] = (pq.read_schema(files[0]), rows)
    return shape


def duckdb_baseline(shape: dict[str, tuple[pa.Schema, int]], out: Path) -> float:
    """Seconds for DuckDB to write the same tables (same columns, types and row counts,
    ZSTD-compressed Parquet like the lake) from ``range()`` with varied values.

    The floor of writing that much Parquet on this machine, with no simulation behind the
    values: the generator's time over it is what the simulation costs.
    """
    import duckdb

    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    con = duckdb.connect()
    con.execute(f"SET threads = {os.cpu_count() or 1}")
    con.execute("SET preserve_insertion_order = false")
    started = time.perf_counter()
    for name, (schema, rows) in shape.items():
        cols = ", ".join(f'{_duckdb_value(f)} AS "{f.name}"' for f in schema)
        target = str(out / f"{name}.parquet").replace("'", "''")
        con.execute(
            f"COPY (SELECT {cols} FROM range({rows})) TO '{target}' "
            "(FORMAT parquet, COMPRESSION zstd)"
        )
    seconds = time.perf_counter() - started
    con.close()
    shutil.rmtree(out, ignore_errors=True)
    return seconds


def _m(lines: int) -> str:
    return f"{lines / 1e6:.0f} M" if lines >= 1_000_000 else f"{lines:,}"


def render(results: list[Measure], facts: str, command: str) -> str:
    """The benchmark's section of docs/benchmarks.md."""
    lines = [
        "## Generator (`tierwise generate`)",
        "",
        f"`{command}` — {facts}",
        "",
        f"Target: 10 M order lines in under {TARGET_SECONDS:.0f} s with peak RSS under "
        f"{TARGET_RSS_GB:.0f} GB (lake only; the dirty exports are measured separately). "
        "Baseline, in the same run: DuckDB writing the same tables (same columns, types and "
        "row counts, ZSTD Parquet) from `range()` with varied values: the cost of writing that "
        "much Parquet here without any simulation behind the values.",
        "",
        "| run | command | order lines | orders | wall time | peak RSS | lines/s | DuckDB, same rows | × DuckDB | load (1 min) | target |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for m in results:
        ok = m.seconds < TARGET_SECONDS and m.peak_rss_gb < TARGET_RSS_GB
        verdict = ("met" if ok else "missed") if m.order_lines <= 12_000_000 else "—"
        if m.exports:
            verdict = "n/a (exports)"
        extra = f" + exports ({m.export_bytes / 1e9:.2f} GB)" if m.exports else ""
        base = f"{m.duckdb_s:.1f} s" if m.duckdb_s else "—"
        times = f"{m.seconds / m.duckdb_s:.1f}" if m.duckdb_s else "—"
        lines.append(
            f"| lake{extra} | `{m.command}` | {m.order_lines:,} | {m.orders:,} | {m.seconds:.1f} s "
            f"| {m.peak_rss_gb:.2f} GB | {m.order_lines / m.seconds:,.0f} | {base} | {times} "
            f"| {m.load:.1f} | {verdict} |"
        )
    lines.append("")
    for m in results:
        if m.exports or not m.duckdb_s:
            continue
        ratio = round(m.seconds / m.duckdb_s, 1)
        lines.append(
            figure(
                f"generator, {_m(m.order_lines)} order lines (lake)",
                ratio,
                "DuckDB writing the same rows to Parquet",
                "—" if m.order_lines > 12_000_000 else f"< {TARGET_SECONDS:.0f} s, RSS < 2 GB",
                None
                if m.order_lines > 12_000_000
                else m.seconds < TARGET_SECONDS and m.peak_rss_gb < TARGET_RSS_GB,
                value=f"{m.seconds:.1f} s, peak RSS {m.peak_rss_gb:.2f} GB",
            )
        )
    small = next((m for m in results if not m.exports), None)
    if small is not None:
        lines.append(
            figure(
                f"generator, {_m(small.order_lines)} order lines: time / the {TARGET_SECONDS:.0f} s target",
                round(small.seconds / TARGET_SECONDS, 2),
                f"the {TARGET_SECONDS:.0f} s budget (a target, not a measurement)",
                f"< 1x, RSS < {TARGET_RSS_GB:.0f} GB",
                small.seconds < TARGET_SECONDS and small.peak_rss_gb < TARGET_RSS_GB,
                value=f"{small.seconds:.1f} s",
            )
        )
        for m in results:
            if m is small or m.exports:
                continue
            ratio = round(m.seconds / small.seconds, 1)
            scale = m.order_lines / small.order_lines
            lines += [
                "",
                f"Scaling: {_m(m.order_lines)} lines took **{ratio}x** the time of "
                f"{_m(small.order_lines)} ({scale:.1f}x the lines) in the same run.",
            ]
    lines += [
        "",
        "Peak RSS is the child process's maximum resident set (`ru_maxrss` from `wait4`). The "
        "2 cores are shared with other engineers' work: the load average above is the one at "
        "the start of the run, the table's the one when each generation ended (above 2, the "
        "generator and DuckDB were queueing for the CPU and both times are inflated).",
    ]
    return "\n".join(lines) + "\n"


def run(
    customers: int = CUSTOMERS, months: int = MONTHS, seed: int = SEED, with_exports: bool = True,
    write: bool = True, big_customers: int = 0,
) -> list[Measure]:  # fmt: skip
    """Run the benchmark (lake only, then optionally with exports) and update the doc."""
    facts = machine_facts()
    command = f"uv run python -m bench.bench_generator --customers {customers} --months {months}"
    command += f" --big-customers {big_customers}" if big_customers else ""
    command += "" if with_exports else " --no-exports-run"
    sizes = [customers] + ([big_customers] if big_customers else [])
    results = []
    for n in sizes:  # lake only; the 10x customers run gives about 10x the lines
        m = measure(n, months, seed, False, OUT)
        m.duckdb_s = duckdb_baseline(lake_shape(OUT / "lake"), OUT.parent / "duckdb-baseline")
        print(f"DuckDB writing the same rows: {m.duckdb_s:.1f} s", flush=True)
        results.append(m)
    if with_exports:
        results.append(measure(customers, months, seed, True, OUT))
    shutil.rmtree(OUT, ignore_errors=True)
    for m in results:
        print(
            f"{'lake+exports' if m.exports else 'lake'}: {m.order_lines:,} order lines, "
            f"{m.seconds:.1f} s, peak RSS {m.peak_rss_gb:.2f} GB"
        )
    body = render(results, facts, command)
    print(body)
    if write:
        record("generator", body)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--customers", type=int, default=CUSTOMERS)
    parser.add_argument("--months", type=int, default=MONTHS)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--no-exports-run", action="store_true", help="skip the run with exports")
    parser.add_argument("--no-doc", action="store_true", help="do not touch docs/benchmarks.md")
    parser.add_argument(
        "--big-customers", type=int, default=0,
        help="also a lake-only run with this many customers (146000: about 100 M lines)",
    )  # fmt: skip
    a = parser.parse_args()
    run(
        a.customers, a.months, a.seed, not a.no_exports_run, not a.no_doc,
        big_customers=a.big_customers,
    )  # fmt: skip


if __name__ == "__main__":
    main()
