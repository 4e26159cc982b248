"""Experiments (R-ANA-5): are the intervals honest, and is the analysis fast enough?

On simulated experiments with a known true effect (:mod:`tierwise.experiments.simulate`;
the world of issue 15 is not on main yet): the 95 % interval's coverage over N experiments,
the false-positive rate of the always-valid interval under A/A with daily looks, the SRM
check on a broken 45/55 allocation, CUPED's narrowing against what the pre/post correlation
predicts, and the time to analyse one experiment of 200 000 accounts (primary metric,
4 guardrails, per-tier breakdowns). Prints the figures and the load and writes the
``experiments`` section of docs/benchmarks.md with its figure lines for the summary
(``--no-doc``: print only; docs/experiments.md quotes a run).

    flock /work/bench.lock uv run --frozen python -m bench.bench_experiments
"""

from __future__ import annotations

import argparse
import os
import time
from typing import NamedTuple

import numpy as np

from bench.common import figure, load_average, machine_facts, record
from tierwise.experiments.analysis import analyse
from tierwise.experiments.simulate import experiment, two_arm_design
from tierwise.experiments.stats import always_valid_interval, difference_in_means

DESIGN = two_arm_design()


def coverage(n: int, accounts: int, rng: np.random.Generator) -> tuple[float, float, float]:
    """Share of 95 % intervals covering the true average effect; mean observed and predicted
    CUPED variance reduction."""
    hits, got, pred = 0, [], []
    for i in range(n):
        effect = float(rng.uniform(-100, 300))
        rho = float(rng.uniform(0.3, 0.9))
        frame, truth, _ = experiment(accounts, effect=effect, rng=rng, rho=rho, salt=f"c{i}")
        p = analyse(frame, DESIGN)["comparisons"][0]["primary"]
        hits += p["ci_low"] <= truth.average_effect <= p["ci_high"]
        got.append(p["variance_reduction"])
        pred.append(p["predicted_reduction"])
    return hits / n, float(np.mean(got)), float(np.mean(pred))


def aa_daily_looks(n: int, accounts: int, days: int, rng: np.random.Generator) -> float:
    """Share of A/A experiments declared significant at any daily look (always-valid)."""
    hits = 0
    for i in range(n):
        frame, _, daily = experiment(accounts, effect=0.0, rng=rng, salt=f"aa{i}", days=days)
        t = (frame["arm"] == "treatment").to_numpy() * 1.0
        x, g = frame["x_net_margin"].to_numpy(), frame["account_id"].factorize()[0]
        cum = np.cumsum(daily, axis=1)
        tau = 0.05 * float(cum[:, -1].mean())
        for day in range(1, days):
            e = difference_in_means(cum[:, day], t, groups=g, covariate=x)
            lo, hi = always_valid_interval(e.effect, e.se, tau=tau)
            if lo > 0 or hi < 0:
                hits += 1
                break
    return hits / n


class Figures(NamedTuple):
    """What one run measured."""

    experiments: int
    accounts: int
    coverage: float
    aa_false_positives: float
    srm_flagged: int  # of 20 broken 45/55 allocations
    srm_fair_flagged: int  # of 20 fair ones
    big_accounts: int
    big_outlets: int
    best_s: float
    worst_s: float


def section(f: Figures, machine: str, load_start: str) -> str:
    """The ``experiments`` section of docs/benchmarks.md, with its figure lines."""
    return f"""## Experiments on synthetic frames (`bench/bench_experiments.py`, R-ANA-5)

`flock /work/bench.lock uv run --frozen python -m bench.bench_experiments` · {machine}
(load average {load_start} at the start).

| figure | measured | target |
|---|---|---|
| coverage of the 95 % interval, {f.experiments} experiments of {f.accounts:,} accounts | {f.coverage:.1%} | 93–97 % |
| A/A with 30 daily looks, always-valid interval: false positives | {f.aa_false_positives:.1%} | ≤ 5 % |
| SRM: broken 45/55 allocations flagged / fair 50/50 allocations flagged | {f.srm_flagged}/20 / {f.srm_fair_flagged}/20 | 45/55 flagged, 50/50 not |
| `analyse` of {f.big_accounts:,} accounts ({f.big_outlets:,} outlets; primary with and without CUPED, 4 guardrails, per tier), 3 runs | best {f.best_s:.2f} s, worst {f.worst_s:.2f} s | < 10 s |

{figure("experiments: interval coverage (synthetic, known effect)", None, "the simulation's true effect", "93–97 %", 0.93 <= round(f.coverage, 3) <= 0.97, f"{f.coverage:.1%}")}
{figure("experiments: A/A false positives, 30 daily looks", None, "nominal 5 %", "≤ 5 %", f.aa_false_positives <= 0.05, f"{f.aa_false_positives:.1%}")}
{figure(f"experiments: analyse {f.big_accounts:,} accounts (worst of 3)", None, "none measured side by side (absolute target)", "< 10 s", f.worst_s < 10, f"{f.worst_s:.2f} s")}"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--experiments", type=int, default=200)
    parser.add_argument("--accounts", type=int, default=2000)
    parser.add_argument("--big", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-doc", action="store_true", help="leave docs/benchmarks.md alone")
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    load_start = load_average()
    print(f"load average at start: {load_start}")

    t0 = time.perf_counter()
    cov, got, pred = coverage(args.experiments, args.accounts, rng)
    print(
        f"coverage of the 95 % interval over {args.experiments} experiments of "
        f"{args.accounts} accounts: {cov:.1%} (target 93-97 %) [{time.perf_counter() - t0:.0f} s]"
    )
    print(
        f"CUPED variance reduction: observed {got:.1%} on average, predicted by the accounts' "
        f"pre/post correlation {pred:.1%}"
    )

    t0 = time.perf_counter()
    fpr = aa_daily_looks(args.experiments, args.accounts // 2, 30, rng)
    print(
        f"A/A with 30 daily looks, always-valid interval: false positives {fpr:.1%} "
        f"of {args.experiments} (target <= 5 %) [{time.perf_counter() - t0:.0f} s]"
    )

    flagged = 0
    for i in range(20):
        broken, _, _ = experiment(10_000, effect=0.0, rng=rng, weights=(45, 55), salt=f"s{i}")
        flagged += analyse(broken, DESIGN)["srm"]["mismatch"]
    fair = sum(
        analyse(experiment(10_000, effect=0.0, rng=rng, salt=f"f{i}")[0], DESIGN)["srm"]["mismatch"]
        for i in range(20)
    )
    print(
        f"SRM: 45/55 allocation of 10 000 accounts flagged in {flagged}/20; "
        f"a fair 50/50 flagged in {fair}/20"
    )

    big, _, _ = experiment(args.big, effect=50.0, rng=rng)
    full = DESIGN  # primary metric, the 4 default guardrails, per tier
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        result = analyse(big, full)
        times.append(time.perf_counter() - t0)
    print(
        f"analysis of {args.big} accounts ({len(big)} outlets; primary with and without "
        f"CUPED, 4 guardrails, {len(result['comparisons'][0]['by_tier'])} tiers): "
        f"best {min(times):.2f} s, worst {max(times):.2f} s (target < 10 s)"
    )
    print(f"load average at end: {os.getloadavg()}")
    if not args.no_doc:
        figures = Figures(
            args.experiments, args.accounts, cov, fpr, flagged, fair, args.big, len(big),
            min(times), max(times),
        )  # fmt: skip
        record("experiments", section(figures, machine_facts(), load_start))


if __name__ == "__main__":
    main()
