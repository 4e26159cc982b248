"""The backtest's feature step: policies graded one at a time vs together (one build).

Not part of ``bench/run_all.py`` (it measures one step of ``tierwise evaluate``; the figure is
in docs/models.md). Grades the seed, quantile-RFM and value-preset policies twice over, as of
one date, with :func:`tierwise.models.backtest.grade_policies`: once per policy (what the
backtest did before) and all together (what it does now), ``--repeat`` times, alternating.

    flock /work/bench.lock uv run --frozen python -m bench.backtest_features \\
        --lake /tmp/polish-book/lake --as-of 2026-04-30
"""

from __future__ import annotations

import argparse
import os
import time
from datetime import date

from tierwise.models.backtest import SEED_POLICY, grade_policies, scoring_only, with_score
from tierwise.policy import load_policy


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lake", required=True)
    ap.add_argument("--as-of", type=date.fromisoformat, default=date(2026, 4, 30))
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    base = scoring_only(load_policy(SEED_POLICY))
    policies = [
        base,
        with_score(base, {"method": "rfm_quantile"}, base.name),
        with_score(base, {"method": "weighted", "preset": "value"}, base.name),
    ]
    made = [(p, None) for p in policies] * 2  # six policies, as tierwise evaluate compares
    print(f"load average {os.getloadavg()[0]:.2f}")
    for _ in range(args.repeat):
        t = time.perf_counter()
        for m in made:
            grade_policies(args.lake, args.as_of, [m])
        alone = time.perf_counter() - t
        t = time.perf_counter()
        grade_policies(args.lake, args.as_of, made)
        together = time.perf_counter() - t
        print(f"one at a time {alone:.2f} s, together {together:.2f} s", flush=True)
    print(f"load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
