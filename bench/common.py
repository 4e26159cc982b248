"""Shared helpers of the benchmarks: machine facts, peak memory, and docs/benchmarks.md sections.

Each benchmark owns one section of docs/benchmarks.md, delimited by HTML comments, and rewrites
only that section, so benchmarks can run alone or all together (``make bench``).
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import re
import resource
import shutil
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "benchmarks.md"
HEADER = """# Benchmarks

Every figure here is written by a script under `bench/` (`make bench` runs them all). The
machines are shared and noisy: compare the ratios, measured side by side in the same run, more
than the absolute seconds.
"""


# Generated inputs (lakes, books) are kept here between runs, one folder per set of parameters.
CACHE = ROOT / "var" / "bench"
# Set by `bench.run_all --quick`: sections are printed but docs/benchmarks.md is left alone.
NO_DOC_ENV = "TIERWISE_BENCH_NO_DOC"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def load_average() -> str:
    """The 1 / 5 / 15-minute load average, e.g. ``0.42 / 0.80 / 1.10``."""
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} / {five:.2f} / {fifteen:.2f}"


def machine_facts() -> str:
    """One line describing the machine, the software and how busy it is right now.

    Every section calls it when it writes its figures, so each one records the load average
    its own measurement ran under (the 2 cores are shared).
    """
    mem = psutil.virtual_memory().total / 2**30
    return (
        f"{os.cpu_count()} cores ({_cpu_model()}), {mem:.0f} GiB RAM, {platform.machine()}, "
        f"Python {sys.version.split()[0]}, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, "
        f"load average {load_average()}"
    )


def source_hash(*paths: str) -> str:
    """A short hash of the files under ``paths`` (relative to the repository), for cache keys:
    a generated input is rebuilt when the code that generates it changes."""
    h = hashlib.sha256()
    for rel in paths:
        base = ROOT / rel
        files = sorted(base.rglob("*.py")) if base.is_dir() else [base]
        for f in files:
            h.update(str(f.relative_to(ROOT)).encode())
            h.update(f.read_bytes())
    return h.hexdigest()[:10]


def cached_dir(key: str, build: Callable[[Path], None]) -> Path:
    """``var/bench/<key>/``, built once by ``build(folder)`` and reused by later runs.

    ``key`` must name every parameter of the input (sizes, seed, ``source_hash`` of the
    generating code), e.g. ``f"lake-{lines}-{source_hash('bench/synth_lake.py')}"``. The
    folder is built under a temporary name and renamed when ``build`` returns, so an
    interrupted build is never reused. Delete ``var/bench/`` to start afresh.
    """
    if not re.fullmatch(r"[\w.=-]+", key):
        raise ValueError(f"cache key {key!r}: use letters, digits, '.', '=', '_' or '-' only")
    target = CACHE / key
    if (target / ".complete").exists():
        print(f"cached: {target.relative_to(ROOT)}", flush=True)
        return target
    tmp = CACHE / f".{key}.building-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    build(tmp)
    (tmp / ".complete").write_text(datetime.now(UTC).isoformat() + "\n", encoding="utf-8")
    shutil.rmtree(target, ignore_errors=True)
    tmp.rename(target)
    return target


def peak_rss_children_mb() -> float:
    """Peak resident memory of the largest finished child process, in MiB (Linux: KiB units)."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def peak_rss_self_mb() -> float:
    """Peak resident memory of this process so far, in MiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def record(name: str, body: str) -> None:
    """Replace (or add) the section ``name`` of docs/benchmarks.md with ``body``.

    Does nothing but say so when ``TIERWISE_BENCH_NO_DOC`` is set (``run_all --quick``).
    """
    if os.environ.get(NO_DOC_ENV):
        print(f"({NO_DOC_ENV} set: section {name!r} of docs/benchmarks.md not rewritten)")
        return
    start, end = f"<!-- bench:{name} -->", f"<!-- /bench:{name} -->"
    text = DOC.read_text(encoding="utf-8") if DOC.exists() else HEADER
    block = f"{start}\n{body.strip()}\n{end}"
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.S)
    text = (
        pattern.sub(lambda _m: block, text)
        if pattern.search(text)
        else text.rstrip() + "\n\n" + block + "\n"
    )
    DOC.parent.mkdir(parents=True, exist_ok=True)
    DOC.write_text(text, encoding="utf-8")


_FIGURE = re.compile(r"<!-- figure: (\{.*?\}) -->")
SUMMARY_START, SUMMARY_END = "<!-- bench:summary -->", "<!-- /bench:summary -->"


def figure(
    name: str,
    ratio: float | None,
    baseline: str,
    target: str,
    met: bool | None,
    value: str | None = None,
) -> str:
    """A machine-readable line for the summary table, placed inside a bench's own section.

    ``ratio`` is the figure over its baseline measured in the same run (None: no ratio,
    e.g. an absolute memory figure); ``met`` None means the claim has no target; ``value``
    is the measured figure itself, e.g. ``"p99 126 ms"``.
    """
    data: dict[str, object] = {
        "figure": name, "ratio": ratio, "baseline": baseline, "target": target, "met": met,
    }  # fmt: skip
    if value is not None:
        data["value"] = value
    return f"<!-- figure: {json.dumps(data, ensure_ascii=False)} -->"


def parse_figures(text: str) -> list[dict[str, object]]:
    """The figure lines of ``text`` (outside the summary), in order; a malformed one raises
    ``ValueError`` naming it."""
    pattern = re.compile(re.escape(SUMMARY_START) + r".*?" + re.escape(SUMMARY_END), re.S)
    rows = []
    for m in _FIGURE.finditer(pattern.sub("", text)):
        try:
            row = json.loads(m.group(1))
        except json.JSONDecodeError as err:
            raise ValueError(f"docs/benchmarks.md: figure line is not JSON: {m.group(0)}") from err
        missing = {"figure", "ratio", "baseline", "target", "met"} - set(row)
        if missing:
            raise ValueError(
                f"docs/benchmarks.md: figure line lacks {sorted(missing)}: {m.group(0)}"
            )
        rows.append(row)
    return rows


# what sections write as the baseline of a figure judged against an absolute target only
NO_BASELINE = {"", "-", "—", "none"}


def summary_table(rows: list[dict[str, object]]) -> str:
    """The summary block (markers included) for figure rows as :func:`parse_figures` gives."""
    lines = [
        SUMMARY_START,
        "## Summary",
        "",
        "Generated by `make bench` from the figure lines of the sections below; each ratio is "
        "the figure over its baseline, both measured in the same run (the sections give the "
        "machine and its load average at the time). The operations modules' benches (pricing, "
        "credit, recommendations, experiments, visits, NPS, supply, campaigns, tags) are not "
        "part of `make bench`: their rows come from each one's last run, whose command and "
        'load its section gives. Baseline "none (absolute target)": the figure is judged '
        "against its target alone, nothing was measured beside it.",
        "",
        "| figure | measured | ratio | baseline (same run) | target | met? |",
        "|---|---|---:|---|---|---|",
    ]
    for r in rows:
        ratio = r["ratio"]
        baseline = str(r["baseline"]).strip()
        if baseline in NO_BASELINE:
            baseline = "none (absolute target)"
        shown = "—" if ratio is None else f"{float(str(ratio)):g}x"
        met = {True: "yes", False: "**no**", None: "—"}[r["met"]]
        value = r.get("value") or "—"
        lines.append(f"| {r['figure']} | {value} | {shown} | {baseline} | {r['target']} | {met} |")
    lines.append(SUMMARY_END)
    return "\n".join(lines)


def scrub_paths(text: str) -> str:
    """``text`` without this checkout's absolute path (a command line may carry it)."""
    return text.replace(f"{ROOT}/", "").replace(str(ROOT), ".")


def write_summary() -> None:
    """Rewrite the summary table at the top of docs/benchmarks.md from the sections' figures
    (and drop this checkout's absolute path wherever a section's command line printed it)."""
    text = DOC.read_text(encoding="utf-8") if DOC.exists() else HEADER
    pattern = re.compile(re.escape(SUMMARY_START) + r".*?" + re.escape(SUMMARY_END), re.S)
    block = summary_table(parse_figures(text))
    if pattern.search(text):
        text = pattern.sub(lambda _m: block, text)
    else:
        head, sep, tail = text.partition("\n<!--")
        text = head.rstrip() + "\n\n" + block + "\n" + (sep + tail if sep else "")
    DOC.write_text(scrub_paths(text), encoding="utf-8")


def start_services() -> dict[str, str]:
    """Start the loopback servers of scripts/services.sh; returns their URLs by variable name."""
    import subprocess

    out = subprocess.run(
        ["bash", str(ROOT / "scripts" / "services.sh"), "start"],
        check=True,
        capture_output=True,
        text=True,
    )
    return dict(item.split("=", 1) for item in out.stdout.strip().splitlines()[-1].split())
