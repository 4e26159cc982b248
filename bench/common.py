"""Shared helpers of the benchmarks: machine facts, peak memory, and docs/benchmarks.md sections.

Each benchmark owns one section of docs/benchmarks.md, delimited by HTML comments, and rewrites
only that section, so benchmarks can run alone or all together (``make bench``).
"""

from __future__ import annotations

import json
import os
import platform
import re
import resource
import sys
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


def machine_facts() -> str:
    """One line describing the machine and the software versions."""
    mem = psutil.virtual_memory().total / 2**30
    return (
        f"{os.cpu_count()} cores, {mem:.0f} GiB RAM, {platform.machine()}, "
        f"Python {sys.version.split()[0]}, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
    )


def peak_rss_children_mb() -> float:
    """Peak resident memory of the largest finished child process, in MiB (Linux: KiB units)."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def peak_rss_self_mb() -> float:
    """Peak resident memory of this process so far, in MiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def record(name: str, body: str) -> None:
    """Replace (or add) the section ``name`` of docs/benchmarks.md with ``body``."""
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


def figure(name: str, ratio: float | None, baseline: str, target: str, met: bool | None) -> str:
    """A machine-readable line for the summary table, placed inside a bench's own section.

    ``ratio`` is the figure over its baseline measured in the same run (None: no ratio,
    e.g. an absolute memory figure); ``met`` None means the claim has no target.
    """
    data = {"figure": name, "ratio": ratio, "baseline": baseline, "target": target, "met": met}
    return f"<!-- figure: {json.dumps(data, ensure_ascii=False)} -->"


def write_summary() -> None:
    """Rewrite the summary table at the top of docs/benchmarks.md from the sections' figures."""
    text = DOC.read_text(encoding="utf-8") if DOC.exists() else HEADER
    pattern = re.compile(re.escape(SUMMARY_START) + r".*?" + re.escape(SUMMARY_END), re.S)
    rest = pattern.sub("", text)
    rows = [json.loads(m.group(1)) for m in _FIGURE.finditer(rest)]
    lines = [
        SUMMARY_START,
        "## Summary",
        "",
        "Generated from the figures of the sections below (each measured against its baseline "
        "in the same run).",
        "",
        "| figure | ratio | baseline | target | met? |",
        "|---|---:|---|---|---|",
    ]
    for r in rows:
        ratio = "—" if r["ratio"] is None else f"{r['ratio']:g}x"
        met = {True: "yes", False: "**no**", None: "—"}[r["met"]]
        lines.append(f"| {r['figure']} | {ratio} | {r['baseline']} | {r['target']} | {met} |")
    lines.append(SUMMARY_END)
    block = "\n".join(lines)
    if pattern.search(text):
        text = pattern.sub(lambda _m: block, text)
    else:
        head, sep, tail = text.partition("\n<!--")
        text = head.rstrip() + "\n\n" + block + "\n" + (sep + tail if sep else "")
    DOC.write_text(text, encoding="utf-8")


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
