"""Start time of the command line (issue 19 item 7): wall time, CPU time and peak RSS of
``tierwise --help``, a few subcommands' ``--help`` and ``tierwise runs list``, against
Python importing Typer and Rich alone (the floor of any Typer command) in the same run.

    flock /work/bench.lock uv run --frozen python -m bench.bench_cli_start [--repeats 5] [--no-doc]

Each command runs ``--repeats`` times in a fresh interpreter (``.venv/bin/tierwise``); the
median wall and CPU times and the largest peak RSS are reported. The machine is shared (2
cores), so the load average is recorded with the figures, and CPU time (user + system) is
the figure that does not grow with other people's load.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench.common import ROOT, figure, machine_facts, record

TIERWISE = str(Path(sys.executable).with_name("tierwise"))
#: the floor of any Typer subcommand's help: a two-command Typer app (Typer loads Rich, its
#: Markdown and traceback modules and pydantic to render a help)
TYPER_HELLO = (
    "import typer\napp = typer.Typer()\n@app.command()\ndef hello(name: str = 'x') -> None:\n"
    "    'Say hello.'\n@app.command()\ndef bye() -> None:\n    'Bye.'\napp()\n"
)
COMMANDS: list[tuple[str, list[str]]] = [
    (
        "python -c 'import typer, rich.console' (floor)",
        [sys.executable, "-c", "import typer, rich.console"],
    ),
    (
        "a two-command Typer app: hello --help (floor)",
        [sys.executable, "-c", TYPER_HELLO, "hello", "--help"],
    ),
    ("tierwise --help", [TIERWISE, "--help"]),
    ("tierwise ingest --help", [TIERWISE, "ingest", "--help"]),
    ("tierwise grade --help", [TIERWISE, "grade", "--help"]),
    ("tierwise explain --help", [TIERWISE, "explain", "--help"]),
    ("tierwise clean --help", [TIERWISE, "clean", "--help"]),
    ("tierwise runs --help", [TIERWISE, "runs", "--help"]),
    ("tierwise runs list (SQLite store)", [TIERWISE, "runs", "list"]),
]


@dataclass(frozen=True)
class Timing:
    """One command's figures over its repeats."""

    label: str
    wall_s: float
    cpu_s: float
    rss_mb: float


def run_once(argv: list[str], env: dict[str, str]) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds (user + system) and peak RSS (MiB) of one run of ``argv``."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} exited {proc.returncode}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def measure(repeats: int) -> list[Timing]:
    """Each command ``repeats`` times, interleaved (so load changes hit them alike)."""
    with tempfile.TemporaryDirectory(prefix="tierwise-bench-cli-") as home:
        env = {**os.environ, "TIERWISE_HOME": home, "COLUMNS": "100"}
        subprocess.run([TIERWISE, "runs", "list"], env=env, capture_output=True, check=True)
        runs: dict[str, list[tuple[float, float, float]]] = {label: [] for label, _ in COMMANDS}
        for _ in range(repeats):
            for label, argv in COMMANDS:
                runs[label].append(run_once(argv, env))
    return [
        Timing(
            label,
            statistics.median(r[0] for r in got),
            statistics.median(r[1] for r in got),
            max(r[2] for r in got),
        )
        for label, got in runs.items()
    ]


def section(timings: list[Timing], repeats: int) -> str:
    """The bench's section of docs/benchmarks.md."""
    floor = timings[1]  # the Typer app's --help
    lines = [
        "## Command-line start (bench/bench_cli_start.py, issue 19 item 7)",
        "",
        f"Measured on {machine_facts()}; median of {repeats} runs each, interleaved; peak RSS",
        "the largest of the runs. CPU = user + system seconds of the process (it does not grow",
        "with other people's load the way wall time does on this shared machine).",
        "",
        "| command | wall | CPU | peak RSS | CPU / Typer app's help |",
        "|---|---|---|---|---|",
    ]
    for t in timings:
        lines.append(
            f"| `{t.label}` | {t.wall_s:.2f} s | {t.cpu_s:.2f} s | {t.rss_mb:.0f} MB "
            f"| {t.cpu_s / max(floor.cpu_s, 1e-3):.1f}x |"
        )
    helps = [t for t in timings if t.label.startswith("tierwise") and t.label.endswith("--help")]
    worst = max(helps, key=lambda t: t.wall_s)
    worst_cpu = max(helps, key=lambda t: t.cpu_s)
    lines += [
        "",
        "`--help` of a command imports Typer, Rich and the command's module only; the",
        "libraries of grading, ingestion and the store (Ibis, DuckDB, PyArrow, pandas,",
        "scikit-learn, SciPy, SQLAlchemy, Alembic) are imported inside the commands that use",
        "them (`tests/cli/test_start.py` checks which modules a `--help` loads). `runs list`",
        "opens the store, so it loads SQLAlchemy and Alembic (the schema is upgraded first).",
        "",
        figure(
            "slowest tierwise --help, CPU time / a two-command Typer app's --help",
            round(worst_cpu.cpu_s / max(floor.cpu_s, 1e-3), 2),
            "a two-command Typer app's --help, same run",
            "≤ 1.5x",
            worst_cpu.cpu_s <= 1.5 * floor.cpu_s,
            value=f"{worst_cpu.label}: {worst_cpu.cpu_s:.2f} s CPU",
        ),
        figure(
            "slowest subcommand --help, wall time / the 1 s target",
            round(worst.wall_s / 1.0, 2),
            "the 1 s target (a target, not a measurement)",
            "< 1x",
            worst.wall_s < 1.0,
            value=f"{worst.label}: {worst.wall_s:.2f} s wall, {worst.cpu_s:.2f} s CPU",
        ),
    ]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--no-doc", action="store_true", help="do not touch docs/benchmarks.md")
    args = ap.parse_args()
    timings = measure(args.repeats)
    for t in timings:
        print(f"{t.label:<52} {t.wall_s:6.2f} s wall {t.cpu_s:6.2f} s CPU {t.rss_mb:6.0f} MB")
    if not args.no_doc:
        record("cli_start", section(timings, args.repeats))
        print(f"docs/benchmarks.md section cli_start written ({ROOT / 'docs' / 'benchmarks.md'})")


if __name__ == "__main__":
    main()
