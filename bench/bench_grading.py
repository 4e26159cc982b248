"""Benchmark: a full grading run against a hand-written DuckDB query and against pandas.

Claims checked (issue 4): on 100 M order lines and 2 M customers, a full grading with the
default policy (features, scores, tiers, layers, tags, segments, upgrade paths, all written
out) takes at most 2x the time of one hand-written DuckDB SQL query computing the same
features, in the same run, with peak RSS under 4 GB; and at 10 M order lines it is at least
8x faster than a straightforward pandas implementation.

Usage::

    uv run python -m bench.bench_grading                       # 100 M lines (minutes)
    uv run python -m bench.bench_grading --lines 1000000 --pandas-lines 1000000   # smoke
    uv run python -m bench.bench_grading --write-doc           # also update docs/benchmarks.md

Every phase runs in its own process, so each peak RSS is that phase's alone. Generated
lakes are kept under ``var/bench-lakes/`` keyed by their size and by the generator's source,
and reused by later runs (``--fresh-lakes`` rebuilds them).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import hashlib
import importlib
import json
import os
import platform
import re
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
POLICY = ROOT / "policies" / "kuailv.yaml"
RFM_ONLY = HERE / "rfm_only.yaml"  # DESIGN.md's comparison: RFM formula + percentile tiers
sys.path.insert(0, str(HERE))

from synth_lake import AS_OF  # noqa: E402

LAKES = ROOT / "var" / "bench-lakes"
BUILD_JSON = "build.json"  # written last into a finished lake: its build figures

STARTED = time.perf_counter()
# the memory cap of a grading (TIERWISE_MEMORY_LIMIT): DuckDB spills beyond it, Spark's
# JVM heap is sized from it; the hand-written SQL gets the same DuckDB limit
MEMORY_LIMIT = os.environ.get("TIERWISE_MEMORY_LIMIT", "2GB")


def _tree_rss_sampler() -> Any:
    """Sample the RSS of this process plus its children (Spark's JVM) every 0.2 s; the
    returned function stops sampling and gives the peak in MB."""
    import threading

    import psutil

    me, peak, stop = psutil.Process(), [0], threading.Event()

    def loop() -> None:
        while not stop.is_set():
            total = 0
            for p in [me, *me.children(recursive=True)]:
                with contextlib.suppress(psutil.Error):
                    total += p.memory_info().rss
            peak[0] = max(peak[0], total)
            stop.wait(0.2)

    th = threading.Thread(target=loop, daemon=True)
    th.start()

    def done() -> float:
        stop.set()
        th.join()
        return round(peak[0] / 2**20)

    return done


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


#: modules the phases would otherwise import on first use (Ibis loads its DuckDB backend
#: lazily, pandas its Parquet reader): like every import, outside a phase's ``seconds``
PRELOAD = (
    "ibis.backends.duckdb",
    "ibis.formats.pyarrow",
    "ibis.formats.pandas",
    "pyarrow.parquet",
    "tierwise.engines.duck",
)


def phase(name: str, lake: Path, work: Path, lines: int, threads: int) -> dict[str, Any]:
    """Run one phase in this process and return its figures.

    ``seconds`` starts after the imports (interpreter start and module imports are a fixed
    cost of a few seconds; ``with_imports_s`` includes them).
    """
    # each phase imports what it uses and nothing else, so that the peers' whole-process
    # times carry their own imports only (the SQL phase loads DuckDB, the Polars one Polars)
    if name in ("grade", "grade_spark", "grade_rfm", "check"):
        for module in PRELOAD:
            importlib.import_module(module)
    if name in ("grade", "grade_spark", "grade_rfm"):
        from tierwise.engines import open_backend
        from tierwise.grading.run import run_grading
        from tierwise.policy import load_policy
    if name == "sql":
        import duckdb
        from handwritten import feature_sql
    if name in ("pandas", "pandas_rfm"):
        from pandas_impl import grade_pandas, grade_pandas_rfm
    if name == "polars":
        from polars_impl import grade_polars
    t0 = time.perf_counter()
    out: dict[str, Any] = {"phase": name}
    if name == "build":
        from synth_lake import build_lake

        shutil.rmtree(lake, ignore_errors=True)
        out["rows"] = build_lake(lake, lines, threads=threads)
    elif name == "sql":
        dcon = duckdb.connect(config={"threads": threads, "memory_limit": MEMORY_LIMIT})
        dcon.execute("CREATE TEMP TABLE f AS " + feature_sql(lake, AS_OF))
        out["rows"] = dcon.execute("SELECT count(*) FROM f").fetchone()[0]  # type: ignore[index]
    elif name == "grade":
        con = open_backend("duckdb", memory_limit=MEMORY_LIMIT, temp_dir=str(work / "spill"))
        con.raw_sql(f"SET threads={threads}")
        result = run_grading(
            load_policy(POLICY),
            as_of=AS_OF,
            lake=lake,
            runs=work / "runs",
            now=dt.datetime.now(dt.UTC),
            con=con,
        )
        out["rows"] = result.counts["entities"]
        out["timings"] = result.timings
        out["tiers"] = result.counts["tiers"]
        out["run"] = str(result.path)
    elif name == "grade_spark":
        done = _tree_rss_sampler()
        con = open_backend(
            "spark", spark_master=f"local[{threads}]", memory_limit=MEMORY_LIMIT,
            temp_dir=str(work / "spark-tmp"),
        )  # fmt: skip
        t0 = time.perf_counter()  # the session's start (15-30 s) is not the grading's time
        out["session_s"] = round(t0 - STARTED, 2)
        result = run_grading(
            load_policy(POLICY), as_of=AS_OF, lake=lake, runs=work / "runs-spark",
            now=dt.datetime.now(dt.UTC), con=con,
        )  # fmt: skip
        out["rows"] = result.counts["entities"]
        out["timings"] = result.timings
        out["tiers"] = result.counts["tiers"]
        out["tree_rss_mb"] = done()
        con.disconnect()
    elif name == "grade_rfm":
        con = open_backend("duckdb", memory_limit=MEMORY_LIMIT, temp_dir=str(work / "spill"))
        con.raw_sql(f"SET threads={threads}")
        result = run_grading(
            load_policy(RFM_ONLY), as_of=AS_OF, lake=lake, runs=work / "runs",
            now=dt.datetime.now(dt.UTC), con=con,
        )  # fmt: skip
        out["rows"] = result.counts["entities"]
        out["timings"] = result.timings
    elif name == "pandas_rfm":
        out["rows"] = grade_pandas_rfm(lake, AS_OF, work / "pandas_rfm.parquet")
    elif name == "pandas":
        out["rows"] = grade_pandas(lake, AS_OF, work / "pandas.parquet")
    elif name == "polars":
        out["rows"] = grade_polars(lake, AS_OF, work / "polars.parquet")
    elif name == "check":
        out["max_abs_diff"], run = check_same_features(lake, work, threads)
        out.update(check_same_tiers(lake, work, run))
    out["seconds"] = round(time.perf_counter() - t0, 2)
    out["with_imports_s"] = round(time.perf_counter() - STARTED, 2)
    out["peak_rss_mb"] = round(_rss_mb())
    out["load_1m"] = round(os.getloadavg()[0], 2)  # the machine is shared: record its load
    return out


def check_same_features(lake: Path, work: Path, threads: int) -> tuple[float, Path]:
    """Grade, then compare the run's features with the hand-written query's, column by column;
    the largest difference and the run's folder."""
    import duckdb
    import pyarrow.parquet as pq
    from handwritten import feature_sql

    from tierwise.grading.run import run_grading
    from tierwise.policy import load_policy

    result = run_grading(
        load_policy(POLICY), as_of=AS_OF, lake=lake, runs=work / "runs", now=dt.datetime.now(dt.UTC)
    )
    ours = pq.read_table(result.path / "features.parquet").sort_by("entity_id").to_pylist()
    con = duckdb.connect()
    con.execute(f"SET threads={threads}")
    theirs = (
        con.sql(feature_sql(lake, AS_OF) + " ORDER BY entity_id").fetch_arrow_table().to_pylist()
    )
    assert len(ours) == len(theirs), (len(ours), len(theirs))
    worst = 0.0
    for a, b in zip(ours, theirs, strict=True):
        assert set(a) == set(b), set(a) ^ set(b)
        for k, v in a.items():
            w = b[k]
            if isinstance(v, int | float) and v is not None and w is not None:
                worst = max(worst, abs(float(v) - float(w)))
            else:
                assert v == w, (a["entity_id"], k, v, w)
    assert worst < 1e-6, worst
    return worst, result.path


#: what the peers must give exactly as Tierwise does, customer by customer
COMPARED = ("tier", "tag_churn_warning", "tag_high_risk")


def mismatches(ours: Any, theirs: Any) -> dict[str, int]:
    """Customers on which ``theirs`` differs from ``ours`` (pandas frames indexed by customer),
    by column of :data:`COMPARED`; ``customers`` counts those present in only one of them."""
    out = {"customers": len(ours.index.symmetric_difference(theirs.index))}
    both = ours.index.intersection(theirs.index)
    for col in COMPARED:
        # missing (no tier: insufficient data) is a value here, equal to itself
        a = ours.loc[both, col].astype("string").fillna("<none>")
        b = theirs.loc[both, col].astype("string").fillna("<none>")
        out[col] = int((a != b).sum())
    return out


def check_same_tiers(lake: Path, work: Path, run: Path) -> dict[str, Any]:
    """Grade with pandas and Polars and require each customer's tier and tags to be the run's."""
    import pandas as pd
    from pandas_impl import grade_pandas
    from polars_impl import grade_polars

    cols = list(COMPARED)
    ours = pd.read_parquet(run / "assignments.parquet").set_index("entity_id")[cols]
    found: dict[str, Any] = {"customers_compared": len(ours)}
    for peer, grade in (("pandas", grade_pandas), ("polars", grade_polars)):
        path = work / f"check-{peer}.parquet"
        grade(lake, AS_OF, path)
        theirs = pd.read_parquet(path).set_index("customer_id")[cols]
        found[f"{peer}_mismatches"] = bad = mismatches(ours, theirs)
        assert not any(bad.values()), (peer, bad)
    return found


TIME = Path("/usr/bin/time")  # GNU time: the peak RSS of the command it starts


def run_measured(cmd: list[str], env: dict[str, str] | None = None) -> tuple[str, float, float]:
    """Run ``cmd`` in its own process: (stdout, wall seconds from start to exit, its peak RSS
    in MB).

    The peak comes from GNU time, which starts the command from its own small process: Linux
    counts in a child's peak the RSS of the process it was forked from, so the bench's own
    memory would otherwise be the floor of every figure. Without GNU time, ``wait4``'s figure
    (with that floor) is used.
    """
    import tempfile

    with tempfile.TemporaryFile() as err, tempfile.NamedTemporaryFile("r") as peak:
        full = [str(TIME), "-f", "%M", "-o", peak.name, *cmd] if TIME.exists() else cmd
        t0 = time.perf_counter()
        proc = subprocess.Popen(full, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=err)
        assert proc.stdout is not None
        with proc.stdout:
            stdout = proc.stdout.read().decode()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode:
            err.seek(0)
            stderr = err.read().decode()
            print(stderr[-3000:], file=sys.stderr)  # the child's traceback
            raise subprocess.CalledProcessError(proc.returncode, cmd, stdout, stderr)
        kib = peak.read().split()
        rss_kib = int(kib[-1]) if kib and kib[-1].isdigit() else usage.ru_maxrss
    return stdout, round(wall, 2), round(rss_kib / 1024)


def _child(name: str, lake: Path, work: Path, lines: int, threads: int) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--phase", name, "--lake", str(lake), "--work", str(work)]
    cmd += ["--lines", str(lines), "--threads", str(threads)]
    env = dict(os.environ, POLARS_MAX_THREADS=str(threads))
    stdout, wall, rss = run_measured(cmd, env)
    result: dict[str, Any] = json.loads(stdout.strip().splitlines()[-1])
    result["process_s"], result["process_rss_mb"] = wall, rss
    # the child's own ru_maxrss counts the bench process it was forked from: keep GNU time's
    result["rusage_self_mb"], result["peak_rss_mb"] = result["peak_rss_mb"], rss
    print(
        f"  {name:<7} {result['seconds']:>8.2f} s  whole process {wall:>7.2f} s"
        f"  peak RSS {rss:>6} MB  load {result['load_1m']}",
        flush=True,
    )
    return result


def _cli(lake: Path, work: Path, threads: int) -> dict[str, Any]:
    """``tierwise grade`` as a user runs it: the whole process, imports included."""
    exe = Path(sys.executable).parent / "tierwise"
    cmd = [str(exe), "grade", "--as-of", str(AS_OF), "--policy", str(POLICY)]
    cmd += ["--lake", str(lake), "--out", str(work / "runs-cli")]
    env = dict(os.environ, TIERWISE_MEMORY_LIMIT=MEMORY_LIMIT, TIERWISE_HOME=str(work / "home"))
    env.setdefault("TIERWISE_ENGINE", "duckdb")
    _, wall, rss = run_measured(cmd, env)
    load = round(os.getloadavg()[0], 2)
    print(f"  cli     whole process {wall:>7.2f} s  peak RSS {rss:>6} MB  load {load}", flush=True)
    return {"phase": "cli", "process_s": wall, "process_rss_mb": rss, "load_1m": load}


#: the peers of one round, in the order they run: Tierwise's grading as a phase (seconds after
#: imports) and as the `tierwise grade` command (whole process), the hand SQL, Polars, pandas
PEERS = ("grade", "cli", "sql", "polars", "pandas")


def peer_rounds(
    lake: Path, work: Path, lines: int, threads: int, repeat: int
) -> dict[str, list[dict[str, Any]]]:
    """``repeat`` rounds of :data:`PEERS`, each in its own process; the runs by peer."""
    runs: dict[str, list[dict[str, Any]]] = {p: [] for p in PEERS}
    for i in range(repeat):
        print(f"  round {i + 1} of {repeat}", flush=True)
        for peer in PEERS:
            if peer == "cli":
                runs[peer].append(_cli(lake, work, threads))
            else:
                runs[peer].append(_child(peer, lake, work, lines, threads))
    return runs


def _median(values: list[float]) -> float:
    """The median (the upper one of an even count)."""
    return sorted(values)[len(values) // 2]


def peer_summary(runs: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """Medians by peer (seconds after imports, whole-process seconds, peak RSS) and the ratios
    of Tierwise to each peer, both after imports and for the whole process."""
    med: dict[str, dict[str, float | None]] = {}
    for peer, rs in runs.items():
        med[peer] = {
            "seconds": _median([r["seconds"] for r in rs]) if "seconds" in rs[0] else None,
            "process_s": _median([r["process_s"] for r in rs]),
            "rss_mb": _median([r["process_rss_mb"] for r in rs]),
        }
    ours_after = med["grade"]["seconds"]
    ours_whole = med["cli"]["process_s"]
    assert ours_after is not None and ours_whole is not None
    ratios = {
        peer: {
            "after_imports": round(ours_after / float(med[peer]["seconds"] or 0), 2),
            "whole_process": round(ours_whole / float(med[peer]["process_s"] or 0), 2),
        }
        for peer in ("sql", "polars", "pandas")
    }
    loads = [r["load_1m"] for rs in runs.values() for r in rs]
    return {"medians": med, "tierwise_over": ratios, "load_min": min(loads), "load_max": max(loads)}


def _median_run(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The run with the median ``seconds`` (the upper one of an even count)."""
    return sorted(runs, key=lambda r: r["seconds"])[len(runs) // 2]


def lake_path(lakes: Path, lines: int) -> Path:
    """Where the lake of ``lines`` order lines lives: keyed by the size and by the
    generator's source, so a changed generator never reuses an old lake."""
    digest = hashlib.sha256((HERE / "synth_lake.py").read_bytes()).hexdigest()[:10]
    return lakes / f"lines-{lines}-{digest}"


def built_lake(lake: Path, work: Path, lines: int, threads: int, fresh: bool) -> dict[str, Any]:
    """The lake's build figures: those recorded when it was built (reused), or a new build."""
    record = lake / BUILD_JSON
    if not fresh and record.is_file():
        result: dict[str, Any] = json.loads(record.read_text(encoding="utf-8"))
        result["reused"] = True
        print(f"  build   reused {lake} (built in {result['seconds']} s)", flush=True)
        return result
    result = _child("build", lake, work, lines, threads)
    record.write_text(json.dumps(result), encoding="utf-8")
    return result


def command_line(argv: list[str]) -> str:
    """The run's command as typed from the repository root (no absolute script path)."""
    cap = os.environ.get("TIERWISE_MEMORY_LIMIT")
    env = f"TIERWISE_MEMORY_LIMIT={cap} " if cap else ""
    return f"{env}uv run python -m bench.bench_grading {' '.join(argv)}".rstrip()


def machine() -> dict[str, Any]:
    import duckdb
    import ibis
    import pandas
    import psutil

    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "ram_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "ibis": ibis.__version__,
        "pandas": pandas.__version__,
    }


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--lines", type=int, default=100_000_000, help="order lines of the big lake")
    ap.add_argument("--pandas-lines", type=int, default=10_000_000, help="order lines for pandas")
    ap.add_argument("--work", type=Path, default=Path("/tmp/tierwise-bench"))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--skip-pandas", action="store_true")
    ap.add_argument(
        "--repeat", type=int, default=3,
        help="alternating grading/pandas pairs on the pandas-size lake (median reported)",
    )  # fmt: skip
    ap.add_argument(
        "--skip-big", action="store_true",
        help="measure the pandas-size lake only (the doc keeps the big lake's last figures)",
    )  # fmt: skip
    ap.add_argument(
        "--spark-on", choices=["none", "pandas", "big", "both"], default="pandas",
        help="which lake(s) also get a Spark local[threads] grading (default: the 10 M one)",
    )  # fmt: skip
    ap.add_argument("--lakes", type=Path, default=LAKES, help="where generated lakes are kept")
    ap.add_argument("--fresh-lakes", action="store_true", help="rebuild the lakes")
    ap.add_argument("--write-doc", action="store_true", help="update docs/benchmarks.md")
    ap.add_argument("--doc-from", type=Path, help="write the doc from a saved report.json")
    ap.add_argument("--phase", help=argparse.SUPPRESS)
    ap.add_argument("--lake", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.phase:
        print(json.dumps(phase(args.phase, args.lake, args.work, args.lines, args.threads)))
        return
    work: Path = args.work
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    if args.doc_from:
        write_doc(json.loads(args.doc_from.read_text()))
        return
    report: dict[str, Any] = {"machine": machine(), "command": command_line(sys.argv[1:])}
    report["memory_limit"] = MEMORY_LIMIT
    sizes = [] if args.skip_big else [("big", args.lines)]
    if not args.skip_pandas:
        sizes.append(("pandas", args.pandas_lines))
    for label, lines in sizes:
        lake = lake_path(args.lakes, lines)
        print(f"{label}: {lines:,} order lines", flush=True)
        res = {"build": built_lake(lake, work, lines, args.threads, args.fresh_lakes)}
        if label == "pandas" or lines <= 2_000_000:
            res["check"] = _child("check", lake, work, lines, args.threads)
        if label == "pandas":
            # the peers (issue 28): Tierwise, the hand SQL, Polars and pandas alternate, round
            # after round, each in its own process, so a change of the shared machine's load
            # hits them all; the figures are ratios of the medians
            runs = peer_rounds(lake, work, lines, args.threads, args.repeat)
            res["peers"] = runs
            res["sql"] = _median_run(runs["sql"])
            res["grade"] = _median_run(runs["grade"])
            res["pandas"] = _median_run(runs["pandas"])
            res["pairs"] = [
                {"grade_s": g["seconds"], "pandas_s": p["seconds"],
                 "ratio": round(p["seconds"] / g["seconds"], 1), "load_1m": p["load_1m"]}
                for g, p in zip(runs["grade"], runs["pandas"], strict=True)
            ]  # fmt: skip
        else:
            res["sql"] = _child("sql", lake, work, lines, args.threads)
            res["grade"] = _child("grade", lake, work, lines, args.threads)
        if args.spark_on in (label, "both"):
            res["grade_spark"] = _child("grade_spark", lake, work, lines, args.threads)
        if label == "pandas":
            res["grade_rfm"] = _child("grade_rfm", lake, work, lines, args.threads)
            res["pandas_rfm"] = _child("pandas_rfm", lake, work, lines, args.threads)
        report[label] = res
    if "big" in report:
        big = report["big"]
        report["grade_over_sql"] = round(big["grade"]["seconds"] / big["sql"]["seconds"], 2)
    if "pandas" in report:
        p = report["pandas"]
        report["peers"] = peer_summary(p["peers"])
        report["pandas_over_grade"] = round(p["pandas"]["seconds"] / p["grade"]["seconds"], 1)
        report["pandas_rfm_over_grade_rfm"] = round(
            p["pandas_rfm"]["seconds"] / p["grade_rfm"]["seconds"], 1
        )
    for label in ("big", "pandas"):
        r = report.get(label, {})
        if "grade_spark" in r:
            report[f"spark_over_duckdb_{label}"] = round(
                r["grade_spark"]["seconds"] / r["grade"]["seconds"], 1
            )
    print(json.dumps(report, indent=2, ensure_ascii=False))
    (work / "report.json").write_text(json.dumps(report, indent=2, ensure_ascii=False))
    if args.write_doc:
        write_doc(report)


START, END = "<!-- bench_grading:start -->", "<!-- bench_grading:end -->"


def _mb(size: str) -> float:
    from tierwise.engines.memory import parse_size

    return parse_size(size) / 2**20


BIG = ("<!-- bench_grading:big -->", "<!-- /bench_grading:big -->")
SMALL = ("<!-- bench_grading:pandas -->", "<!-- /bench_grading:pandas -->")
KEPT = "*Not re-measured in the run above: kept from the run of {date} (`{command}`).*"


def _kept_block(text: str, marks: tuple[str, str], fallback: tuple[str, str]) -> list[str]:
    """The block of a previous section this run did not measure, marked as kept.

    Sections written before the markers existed are cut between two known openings.
    """
    if START not in text:
        return []
    section = text[text.index(START) : text.index(END)]
    head = next((ln for ln in section.split("\n") if ln.startswith("Command:")), "")
    command = head.split("`")[1] if head.count("`") >= 2 else "?"
    # older sections recorded the script's absolute path: print it relative to the repo
    command = re.sub(r"python \S*bench/bench_grading\.py", "python -m bench.bench_grading", command)
    date = head.split(" · ")[1] if " · " in head else "?"
    if marks[0] in section:
        block = section[section.index(marks[0]) + len(marks[0]) : section.index(marks[1])]
    elif fallback[0] in section:
        tail = section[section.index(fallback[0]) :]
        block = tail[: tail.index(fallback[1])] if fallback[1] and fallback[1] in tail else tail
    else:
        return []
    body = [ln for ln in block.strip("\n").split("\n") if not ln.startswith("*Not re-measured")]
    note = KEPT.format(date=date, command=command)
    return [marks[0], "", note, "", *body, marks[1]]


def write_doc(r: dict[str, Any]) -> None:
    """Replace this bench's section of docs/benchmarks.md (other sections are kept).

    A lake size the run skipped (``--skip-big``/``--skip-pandas``) keeps its block from the
    previous section, marked as not re-measured.
    """
    from bench.common import figure

    cap = r.get("memory_limit", MEMORY_LIMIT)
    m = r["machine"]
    doc = ROOT / "docs" / "benchmarks.md"
    text = doc.read_text(encoding="utf-8") if doc.exists() else "# Benchmarks\n"
    lines = [
        START,
        "## Grading (bench/bench_grading.py)",
        "",
        f"Command: `{r['command']}` · {dt.date.today()} · {m['cpu']}, {m['cores']} cores "
        f"(shared with other work), {m['ram_gb']} GB RAM, {m['os']}, Python {m['python']}, "
        f"DuckDB {m['duckdb']}, Ibis {m['ibis']}, pandas {m['pandas']}.",
        "",
        "Policy `policies/kuailv.yaml` (RFM formula, percentile tiers, preference layer, "
        "segments, three tags, upgrade paths); synthetic lakes with invoices, payments and "
        "credit reports. Every phase runs in its own process; `seconds` start after the imports.",
    ]
    loads = [
        f"{label} {ph} {res['load_1m']}"
        for label in ("big", "pandas")
        for ph, res in r.get(label, {}).items()
        if isinstance(res, dict) and "load_1m" in res and not res.get("reused")
    ]
    if loads:
        lines += [
            "",
            "Load average (1 min) at the end of each phase (2 shared cores): "
            + ", ".join(loads)
            + ".",
        ]
    lines.append("")
    if "big" in r:
        lines += [BIG[0], *_big_lines(r, cap, figure), BIG[1]]
    else:
        lines += _kept_block(text, BIG, ("Synthetic lake:", "At "))
    lines.append("")
    if "pandas" in r:
        lines += [SMALL[0], *_pandas_lines(r, figure), SMALL[1]]
    else:
        lines += _kept_block(text, SMALL, ("At ", ""))
    lines.append(END)
    section = "\n".join(lines)
    if START in text:
        text = text[: text.index(START)] + section + text[text.index(END) + len(END) :]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    doc.write_text(text, encoding="utf-8")


def _big_lines(r: dict[str, Any], cap: str, figure: Any) -> list[str]:
    big = r["big"]
    rows = big["build"]["rows"]
    reused = " (reused: time of its build)" if big["build"].get("reused") else ""
    lines = [
        f"Big lake: {rows['order_lines']:,} order lines, {rows['orders']:,} orders, "
        f"{rows['customers']:,} customers.",
        "",
        "| phase | seconds | peak RSS (MB) |",
        "|---|---:|---:|",
        f"| build the lake (DuckDB SQL){reused} | {big['build']['seconds']} | {big['build']['peak_rss_mb']} |",
        f"| hand-written DuckDB SQL, features only | {big['sql']['seconds']} | {big['sql']['peak_rss_mb']} |",
        f"| Tierwise full grading on DuckDB, cap {cap}, written out | {big['grade']['seconds']} | {big['grade']['peak_rss_mb']} |",
    ]
    if "grade_spark" in big:
        gs = big["grade_spark"]
        lines.append(
            f"| Tierwise full grading on Spark local[2], cap {cap} | {gs['seconds']} "
            f"(+{gs['session_s']} s session start) | {gs['tree_rss_mb']} (Python + JVM) |"
        )
    rss_ok = big["grade"]["peak_rss_mb"] <= _mb(cap) * 1.25
    return [
        *lines,
        "",
        f"Full grading / hand-written SQL: **{r['grade_over_sql']}x** (target ≤ 2x); "
        f"grading timings: `{json.dumps(big['grade']['timings'])}`.",
        "",
        f"Memory cap: the DuckDB grading ran with `TIERWISE_MEMORY_LIMIT={cap}` (DuckDB "
        "`memory_limit`, `temp_directory` for spilling, `preserve_insertion_order=false`) and "
        f"completed on {rows['order_lines']:,} order lines with a peak RSS of "
        f"{big['grade']['peak_rss_mb']} MB (the child process's `ru_maxrss`).",
        figure(
            f"full grading vs hand-written DuckDB SQL, {rows['order_lines'] / 1e6:g} M lines",
            r["grade_over_sql"],
            "hand-written DuckDB SQL (features only)",
            "≤ 2x",
            r["grade_over_sql"] <= 2,
        ),
        figure(
            f"peak RSS of the capped grading, {rows['order_lines'] / 1e6:g} M lines",
            round(big["grade"]["peak_rss_mb"] / _mb(cap), 2),
            f"the {cap} cap",
            "completes, RSS ≤ 1.25x cap",
            rss_ok,
        ),
    ]


def _pairs_note(p: dict[str, Any]) -> str:
    """How the pandas figure was measured, when it came from alternating pairs."""
    pairs = p.get("pairs") or []
    if len(pairs) < 2:
        return ""
    each = ", ".join(
        f"{x['grade_s']} s / {x['pandas_s']} s = {x['ratio']}x (load {x['load_1m']})" for x in pairs
    )
    return (
        f", the ratio of the medians of {len(pairs)} alternating pairs, each grading then "
        f"pandas in its own process (Tierwise / pandas: {each})"
    )


PEER_NAMES = {
    "grade": "Tierwise full grading (`run_grading`; whole process: `tierwise grade`)",
    "sql": "hand-written DuckDB SQL, features only (`bench/handwritten.py`)",
    "polars": "Polars 2.1.0, lazy scan, streaming engine (`bench/polars_impl.py`)",
    "pandas": "pandas (`bench/pandas_impl.py`)",
}


def _peer_lines(r: dict[str, Any], figure: Any) -> list[str]:
    """The peers block: medians side by side, Tierwise's ratios, each round's figures."""
    p, s = r["pandas"], r["peers"]
    prow = p["build"]["rows"]
    size = f"{prow['order_lines'] / 1e6:g} M lines"
    med, over = s["medians"], s["tierwise_over"]
    n = len(p["peers"]["grade"])
    lines = [
        f"**Peers at {prow['order_lines']:,} order lines** ({prow['customers']:,} customers, "
        f"every one with orders): {n} alternating rounds of Tierwise, the `tierwise grade` "
        "command, the hand SQL, Polars and pandas, each in its own process; medians, load "
        f"average (1 min) {s['load_min']}–{s['load_max']} during the rounds. Peak RSS is each "
        "process's own (GNU time). The check phase required the same tier and the same two "
        "tags for every customer from Tierwise, pandas and Polars "
        f"({p['check'].get('customers_compared', 0):,} customers; differences: pandas "
        f"{sum(p['check'].get('pandas_mismatches', {}).values())}, Polars "
        f"{sum(p['check'].get('polars_mismatches', {}).values())}; pandas leaves the category "
        "shares of customers without lines in the last 365 days empty where the others write "
        "0, which no tier or tag reads).",
        "",
        "| | seconds after imports | whole process (s) | peak RSS (MB) | Tierwise / it, after imports | Tierwise / it, whole process |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for peer in ("grade", "sql", "polars", "pandas"):
        m = med["cli" if peer == "grade" else peer]
        after = med[peer]["seconds"]
        ratio = over.get(peer, {"after_imports": "—", "whole_process": "—"})
        ra, rw = ratio["after_imports"], ratio["whole_process"]
        lines.append(
            f"| {PEER_NAMES[peer]} | {after} | {m['process_s']} | {med[peer]['rss_mb']}"
            + (f" (command: {m['rss_mb']})" if peer == "grade" else "")
            + f" | {ra if isinstance(ra, str) else f'{ra}x'} | {rw if isinstance(rw, str) else f'{rw}x'} |"
        )
    each = "; ".join(
        f"round {i + 1}: "
        + ", ".join(
            f"{peer} {p['peers'][peer][i].get('seconds', '–')} / {p['peers'][peer][i]['process_s']} s"
            for peer in PEERS
        )
        + f" (load {p['peers']['pandas'][i]['load_1m']})"
        for i in range(n)
    )
    lines += [
        "",
        f"Each round, after imports / whole process: {each}.",
        figure(
            f"Tierwise / hand-written DuckDB SQL, {size}, after imports",
            over["sql"]["after_imports"], "hand-written DuckDB SQL (features only)", "≤ 1.2x",
            over["sql"]["after_imports"] <= 1.2,
            f"{med['grade']['seconds']} s vs {med['sql']['seconds']} s",
        ),
        figure(
            f"Tierwise / Polars (streaming), {size}, after imports",
            over["polars"]["after_imports"], "Polars 2.1.0 port of the pandas job", "< 1x",
            over["polars"]["after_imports"] < 1,
            f"{med['grade']['seconds']} s vs {med['polars']['seconds']} s",
        ),
        figure(
            f"Tierwise (`tierwise grade`) / Polars, {size}, whole process",
            over["polars"]["whole_process"], "Polars 2.1.0 port of the pandas job, whole process",
            "< 1x", over["polars"]["whole_process"] < 1,
            f"{med['cli']['process_s']} s vs {med['polars']['process_s']} s",
        ),
        "",
    ]  # fmt: skip
    return lines


def _pandas_lines(r: dict[str, Any], figure: Any) -> list[str]:
    p = r["pandas"]
    prow = p["build"]["rows"]
    t = p["grade"]["timings"]
    lines = _peer_lines(r, figure) if "peers" in r else []
    lines += [
        f"At {prow['order_lines']:,} order lines ({prow['orders']:,} orders, "
        f"{prow['customers']:,} customers): pandas {p['pandas']['seconds']} s "
        f"({p['pandas']['peak_rss_mb']} MB), Tierwise {p['grade']['seconds']} s "
        f"({p['grade']['peak_rss_mb']} MB; features {t['features_s']} s, grading "
        f"{t['grade_s']} s, writing {t['write_s']} s), hand SQL {p['sql']['seconds']} s: "
        f"Tierwise is **{r['pandas_over_grade']}x** faster than pandas (the 8x target is "
        "retired, issue 28)"
        + _pairs_note(p)
        + ". The run's features equal the hand-written query's (largest difference "
        f"{p['check']['max_abs_diff']:.1e}).",
        "",
        "The same lake with DESIGN.md's comparison, the seed's RFM formula and percentile "
        f"tiers only (`bench/rfm_only.yaml`): pandas {p['pandas_rfm']['seconds']} s "
        f"({p['pandas_rfm']['peak_rss_mb']} MB), Tierwise {p['grade_rfm']['seconds']} s "
        f"({p['grade_rfm']['peak_rss_mb']} MB): **{r['pandas_rfm_over_grade_rfm']}x**.",
        figure(
            f"pandas / Tierwise full grading, {prow['order_lines'] / 1e6:g} M lines",
            r["pandas_over_grade"],
            "pandas implementation",
            "— (the 8x target was retired by issue 28: the peers above are the yardstick)",
            None,
        ),
    ]
    if "grade_spark" in p:
        gs = p["grade_spark"]
        ratio = r["spark_over_duckdb_pandas"]
        lines += [
            "",
            f"Spark local[2] on the same {prow['order_lines']:,} lines, same policy and "
            f"cap: {gs['seconds']} s grading (+{gs['session_s']} s to start the session), "
            f"peak RSS {gs['tree_rss_mb']} MB for Python + JVM; DuckDB {p['grade']['seconds']} s: "
            f"Spark / DuckDB **{ratio}x** on one 2-core machine (Spark pays for "
            "distribution it cannot use here; it is the engine for a cluster).",
            figure(
                f"Spark local[2] / DuckDB full grading, {prow['order_lines'] / 1e6:g} M lines",
                ratio,
                "DuckDB full grading",
                "— (one machine: DuckDB is the default)",
                None,
            ),
        ]
    return lines


if __name__ == "__main__":
    main()
