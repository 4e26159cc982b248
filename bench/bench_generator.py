"""Generator benchmark: 10 M order lines in under 60 s with peak RSS under 2 GB (issue 2).

Runs ``tierwise generate`` in a child process (so the figures are those of the real
command, imports included), measures wall time and the child's peak RSS, counts the order
lines written, and rewrites its own section of ``docs/benchmarks.md``.

Usage::

    uv run python bench/bench_generator.py             # lake only, then lake + exports
    uv run python bench/bench_generator.py --no-exports-run

Callable from ``bench/run_all.py`` as :func:`run`.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import platform
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import psutil
import pyarrow
import pyarrow.parquet as pq

from bench.common import figure

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "benchmarks.md"
OUT = ROOT / "bench" / "out" / "generator"
START, END = "<!-- bench:generator:start -->", "<!-- bench:generator:end -->"
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
    )


def machine() -> dict[str, str]:
    """Facts about the machine the figures come from."""
    load = os.getloadavg()
    return {
        "date (UTC)": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M"),
        "cores": str(os.cpu_count()),
        "RAM": f"{psutil.virtual_memory().total / 2**30:.1f} GiB",
        "python": platform.python_version(),
        "numpy / pyarrow": f"{np.__version__} / {pyarrow.__version__}",
        "load average at start (1/5/15 min)": f"{load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f}",
    }


def render(results: list[Measure], facts: dict[str, str]) -> str:
    """The benchmark's section of docs/benchmarks.md."""
    lines = [
        START,
        "## Generator (`tierwise generate`)",
        "",
        f"Target: 10 M order lines in under {TARGET_SECONDS:.0f} s with peak RSS under "
        f"{TARGET_RSS_GB:.0f} GB (lake only; the dirty exports are measured separately).",
        "Reproduce with `uv run python bench/bench_generator.py`.",
        "",
        "| run | command | order lines | orders | wall time | peak RSS | lines/s | target |",
        "|---|---|---:|---:|---:|---:|---:|---|",
    ]
    for m in results:
        ok = m.seconds < TARGET_SECONDS and m.peak_rss_gb < TARGET_RSS_GB
        verdict = ("met" if ok else "missed") if not m.exports else "n/a (exports)"
        extra = f" + exports ({m.export_bytes / 1e9:.2f} GB)" if m.exports else ""
        lines.append(
            f"| lake{extra} | `{m.command}` | {m.order_lines:,} | {m.orders:,} | {m.seconds:.1f} s "
            f"| {m.peak_rss_gb:.2f} GB | {m.order_lines / m.seconds:,.0f} | {verdict} |"
        )
    small = next((m for m in results if not m.exports), None)
    for m in results:
        if m is small or m.exports or small is None:
            continue
        ratio = round(m.seconds / small.seconds, 1)
        scale = m.order_lines / small.order_lines
        lines += [
            "",
            f"Scaling: {m.order_lines / 1e6:.0f} M lines took **{ratio}x** the time of "
            f"{small.order_lines / 1e6:.0f} M ({scale:.1f}x the lines) in the same run.",
            figure(
                f"generator {m.order_lines / 1e6:.0f} M / {small.order_lines / 1e6:.0f} M lines, time",
                ratio,
                f"generator at {small.order_lines / 1e6:.0f} M lines",
                f"≤ {1.2 * scale:.0f}x (linear + 20 %), RSS < {TARGET_RSS_GB:.0f} GB",
                ratio <= 1.2 * scale and m.peak_rss_gb < TARGET_RSS_GB,
            ),
        ]
    if small is not None:
        lines.append(
            figure(
                f"generator {small.order_lines / 1e6:.0f} M lines, time / {TARGET_SECONDS:.0f} s target",
                round(small.seconds / TARGET_SECONDS, 2),
                f"{TARGET_SECONDS:.0f} s budget (no peer generator to run side by side)",
                f"< 1x, RSS < {TARGET_RSS_GB:.0f} GB",
                small.seconds < TARGET_SECONDS and small.peak_rss_gb < TARGET_RSS_GB,
            )
        )
    lines += ["", "Machine:", ""]
    lines += [f"- {k}: {v}" for k, v in facts.items()]
    lines += [
        "",
        "The machine's 2 cores are shared with other engineers' test runs, so wall times vary",
        "from run to run; the load average above says how busy it was when the run started.",
        "Peak RSS is the child process's maximum resident set (`ru_maxrss` from `wait4`).",
        END,
    ]
    return "\n".join(lines) + "\n"


def write_doc(section: str, doc: Path = DOC) -> None:
    """Replace the generator section of ``doc`` (or append it)."""
    text = doc.read_text(encoding="utf-8") if doc.exists() else "# Benchmarks\n\n"
    if START in text and END in text:
        head, rest = text.split(START, 1)
        text = head + section + rest.split(END, 1)[1].lstrip("\n")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    doc.parent.mkdir(parents=True, exist_ok=True)
    doc.write_text(text, encoding="utf-8")


def run(
    customers: int = CUSTOMERS, months: int = MONTHS, seed: int = SEED, with_exports: bool = True,
    doc: Path | None = DOC, big_customers: int = 0,
) -> list[Measure]:  # fmt: skip
    """Run the benchmark (lake only, then optionally with exports) and update ``doc``."""
    facts = machine()
    results = [measure(customers, months, seed, False, OUT)]
    if big_customers:  # the same months, 10x the customers: 100 M lines
        results.append(measure(big_customers, months, seed, False, OUT))
    if with_exports:
        results.append(measure(customers, months, seed, True, OUT))
    shutil.rmtree(OUT, ignore_errors=True)
    for m in results:
        print(
            f"{'lake+exports' if m.exports else 'lake'}: {m.order_lines:,} order lines, "
            f"{m.seconds:.1f} s, peak RSS {m.peak_rss_gb:.2f} GB"
        )
    if doc is not None:
        write_doc(render(results, facts), doc)
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
        a.customers, a.months, a.seed, not a.no_exports_run, None if a.no_doc else DOC,
        big_customers=a.big_customers,
    )  # fmt: skip


if __name__ == "__main__":
    main()
