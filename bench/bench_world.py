"""The world (issue 15): generator speed, a 90-day simulation, the MDE of a rebate test, recall@10.

1. ``tierwise generate`` of a 10 M-line lake (no exports) in a child process: lines a minute and
   peak RSS (targets: >= 10 M lines a minute, < 2 GB).
2. A book of ``--outlets`` outlets (12 months), run forward 90 days under a plan that gives half
   of them a +2 % rebate (``simulate`` without exports, then with): seconds (target < 60 s for
   20 000 outlets).
3. Minimum detectable effect (80 % power, two-sided 5 %) of the +2 % rebate on 90-day gross
   margin for a 50/50 randomisation over 2 000 / 20 000 / 200 000 outlets, from the variance of
   the simulated control outcomes (scaled by 1/sqrt(n)), with and without the pre-period
   (the book's last 90 days) gross margin as a covariate (CUPED: residual variance
   ``var(y) (1 - rho^2)``); set beside the true effect the simulation knows.
4. Next-order recall@10 on the book for personal top-frequency, global popularity and item-kNN
   (all target SKUs, and new-to-the-outlet SKUs), and the share of lines repeating a purchase.

    flock /work/bench.lock uv run --frozen python -m bench.bench_world
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np
import pyarrow.parquet as pq

from bench.common import ROOT, cached_dir, figure, machine_facts, record, source_hash
from tierwise.generate import GenerateConfig, generate
from tierwise.generate.calendar import day_number
from tierwise.world import parse_plan, simulate
from tierwise.world.recall import next_order_recall

Z = 1.959964 + 0.841621  # two-sided 5 % + 80 % power


def _generator(customers: int) -> tuple[int, float, float]:
    """Lines, seconds and peak RSS (MiB) of one ``tierwise generate`` run in a child process."""
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", "tierwise", "generate", "--customers", str(customers),
               "--months", "30", "--seed", "1", "--out", tmp, "--no-exports"]  # fmt: skip
        t = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        secs = time.perf_counter() - t
        rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        lines = pq.ParquetDataset(Path(tmp) / "lake" / "order_lines").read(columns=["line_no"])
        return lines.num_rows, secs, rss


def stage_share(customers: int) -> tuple[float, float]:
    """Seconds of the whole generation and of its inventory stage, in one in-process run.

    On a loaded machine lines a minute say more about the neighbours than the code; the share
    of one stage in the same run does not.
    """
    marks: dict[tuple[str, int], float] = {}

    def progress(stage: str, done: int, total: int) -> None:
        marks[(stage, done)] = time.perf_counter()

    cfg = GenerateConfig(customers=customers, months=30, seed=1, exports=False)
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        generate(cfg, Path(tmp), progress=progress)
        total = time.perf_counter() - t
    return total, marks[("inventory", 1)] - marks[("inventory", 0)]


def _book(outlets: int) -> Path:
    key = f"world-book-{outlets}-{source_hash('src/tierwise/generate')}"
    return cached_dir(
        key,
        lambda d: (
            generate(GenerateConfig(customers=outlets, months=12, seed=3, exports=False), d).out
        ),
    )


PLAN = {
    "start": "2026-11-01",
    "days": 90,
    "seed": 7,
    "arms": [
        {"name": "rebate_2pct", "share": 0.5, "treatment": {"kind": "rebate", "percent": 2}},
        {"name": "control", "rest": True},
    ],
}


def _pre_margin(book: Path, n: int) -> np.ndarray:
    """Gross margin of each customer in the book's last 90 days (the pre-period covariate)."""
    lake = book / "lake"
    rows = duckdb.sql(
        f"""
        select cast(substr(o.customer_id, 2) as int) - 1 as c, sum(l.amount - l.cost) as m
        from '{lake}/order_lines/*.parquet' l join '{lake}/orders/*.parquet' o using (order_id)
        where o.order_time >= timestamp '2026-08-03'
        group by 1
        """
    ).fetchnumpy()
    out = np.zeros(n)
    out[np.asarray(rows["c"], dtype=np.int64)] = np.asarray(rows["m"], dtype=np.float64)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--generator-customers",
        type=int,
        default=14600,
        help="0: skip (the generator bench has it)",
    )
    parser.add_argument("--outlets", type=int, default=20000)
    parser.add_argument("--no-doc", action="store_true")
    parser.add_argument(
        "--stage-share",
        action="store_true",
        help="only: the inventory stage's share of one generation of --generator-customers",
    )
    args = parser.parse_args()
    if args.stage_share:
        total, inv = stage_share(args.generator_customers)
        print(f"generation {total:.1f} s, of which inventory {inv:.1f} s ({inv / total:.0%})")
        return

    lines, gen_s, gen_rss, per_min = 0, 0.0, 0.0, 0.0
    if args.generator_customers:
        lines, gen_s, gen_rss = _generator(args.generator_customers)
        per_min = lines / gen_s * 60
        print(f"generator: {lines:,} lines in {gen_s:.1f} s = {per_min / 1e6:.1f} M/min")
        print(f"generator peak RSS: {gen_rss:.0f} MiB")

    book = _book(args.outlets)
    n = args.outlets
    plan = parse_plan(PLAN)
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        simulate(book, plan, Path(tmp) / "a", exports=False)
        sim_s = time.perf_counter() - t
        t = time.perf_counter()
        simulate(book, plan, Path(tmp) / "b", exports=True)
        sim_exp_s = time.perf_counter() - t
        eff = pq.read_table(Path(tmp) / "a" / "truth" / "effects.parquet").to_pandas()
    print(f"simulate {n} outlets x 90 days: {sim_s:.1f} s (with exports {sim_exp_s:.1f} s)")
    gm = eff[eff.metric == "gross_margin"].sort_values("customer_id")
    y0 = gm.y_control.to_numpy()
    treated = gm.arm.to_numpy() == "rebate_2pct"
    true_effect = float((gm.y_treated - gm.y_control)[treated].mean())
    mean_gm = float(y0.mean())
    pre = _pre_margin(book, n)
    rho = float(np.corrcoef(pre, y0)[0, 1])
    sd, sd_cov = float(y0.std(ddof=1)), float(y0.std(ddof=1) * np.sqrt(1 - rho**2))
    mde_rows = []
    for size in (2000, 20000, 200000):
        mde = Z * sd * np.sqrt(4 / size)
        mde_cov = Z * sd_cov * np.sqrt(4 / size)
        mde_rows.append((size, mde, mde_cov))
        print(
            f"MDE n={size}: {mde:.1f} yuan ({100 * mde / mean_gm:.1f} %), with covariate {mde_cov:.1f}"
        )
    print(f"true effect of +2 % rebate on 90-day gross margin: {true_effect:.1f} yuan per outlet")

    cut = day_number(dt.date(2026, 9, 30))
    a = duckdb.sql(
        f"""
        select cast(substr(o.customer_id, 2) as int) - 1 as c,
               datediff('day', date '1970-01-01', cast(o.order_time as date)) as d,
               dense_rank() over (order by o.customer_id, o.order_time, o.order_id) as ord,
               p.rn as s
        from '{book}/lake/order_lines/*.parquet' l join '{book}/lake/orders/*.parquet' o using (order_id)
        join (select sku, row_number() over (order by sku) - 1 as rn
              from '{book}/lake/products/*.parquet') p using (sku)
        """
    ).fetchnumpy()
    c, d, o, s = (np.asarray(a[k], dtype=np.int64) for k in ("c", "d", "ord", "s"))
    rec = next_order_recall(c, d, o, s, cut, int(s.max()) + 1)
    print(rec)
    if args.no_doc:
        return
    mde_table = "\n".join(
        f"| {size:,} | {mde:,.0f} yuan ({100 * mde / mean_gm:.1f} %) | "
        f"{mc:,.0f} yuan ({100 * mc / mean_gm:.1f} %) |"
        for size, mde, mc in mde_rows
    )
    gen_row, gen_figures = "", ""
    if args.generator_customers:
        gen_row = (
            f"| generator, `tierwise generate --customers {args.generator_customers} --months 30 "
            f"--no-exports` | {lines:,} lines in {gen_s:.1f} s = **{per_min / 1e6:.1f} M lines/min**, "
            f"peak RSS {gen_rss / 1024:.2f} GB | >= 10 M/min, < 2 GB |\n"
        )
        gen_figures = (
            figure("world: generator lines per minute", None, "", ">= 10 M/min",
                   per_min >= 10e6, f"{per_min / 1e6:.1f} M/min") + "\n"
            + figure("world: generator peak RSS at 10 M lines", None, "", "< 2 GB",
                     gen_rss < 2048, f"{gen_rss / 1024:.2f} GB") + "\n"
        )  # fmt: skip
    body = f"""
## The world (`bench/bench_world.py`, issue 15)

{machine_facts()}

| figure | measured | target |
|---|---|---|
{gen_row}| `simulate` 90 days, {n:,} outlets, half on a +2 % rebate (lake + truth) | **{sim_s:.1f} s** (with exports: {sim_exp_s:.1f} s) | < 60 s |
| next-order recall@10, personal top-frequency | {rec.recall["personal"]:.3f} | far above popularity |
| next-order recall@10, global popularity (last 90 days) | {rec.recall["popular"]:.3f} | |
| next-order recall@10, item-kNN | {rec.recall["item_knn"]:.3f} | |
| recall@10 of new-to-the-outlet SKUs: item-kNN / popularity | {rec.new_item_recall["item_knn"]:.3f} / {rec.new_item_recall["popular"]:.3f} | kNN finds what popularity misses |
| share of lines repeating an earlier purchase | {rec.repeat_share:.3f} | |

Recall: {rec.customers:,} outlets of the {n:,}-outlet book (12 months, seed 3), cutoff
2026-09-30, target = each outlet's first order after it. Before issue 15 the book gave 0.316
(personal) against 0.249 (popularity).

Minimum detectable effect (80 % power, two-sided 5 %, 50/50 randomisation) of the +2 % rebate on
90-day gross margin per outlet; mean 90-day gross margin {mean_gm:,.0f} yuan; the covariate is the
book's last 90 days of gross margin (correlation {rho:.2f} with the outcome). Standard deviations
from the {n:,}-outlet simulation's control outcomes, scaled by 1/sqrt(n). **True effect** of the
rebate in the simulation: {true_effect:+,.1f} yuan per treated outlet ({100 * true_effect / mean_gm:+.1f} %;
the rebate's cost exceeds the margin it brings).

| outlets | MDE, difference in means | MDE, with pre-period covariate |
|---|---|---|
{mde_table}

{gen_figures}{figure("world: simulate 90 days x 20 000 outlets", None, "", "< 60 s", sim_s < 60, f"{sim_s:.1f} s")}
{figure("world: recall@10 personal / popular", rec.recall["personal"] / max(rec.recall["popular"], 1e-9), "popularity", "far above", rec.recall["personal"] > 2 * rec.recall["popular"])}
"""
    record("world", body.replace(str(ROOT) + "/", ""))


if __name__ == "__main__":
    main()
