"""Sales visits (R-OPS-8, issue 26): route 100 managers × 20 stops.

Each manager's 20 outlets are drawn uniformly within about 8 km of a district centre in
Shanghai; each day is routed with the default policy (policies/operations/visits.yaml:
09:00-18:00, 30 min a visit, 25 km/h, the solver stopping at 2 000 iterations or
``route_seconds``), one manager after the other on one core. Reported: total wall time, the
mean route length and how many routes fit their day (20 visits × 30 min + travel may not fit
9 hours: those are still routed, with their late stops).

    flock /work/bench.lock uv run --frozen python -m bench.bench_visits
"""

from __future__ import annotations

import time

import numpy as np

from bench.common import figure, machine_facts, record
from tierwise.ops.visits.policy import load_visit_policy
from tierwise.ops.visits.route import Stop, route_day

MANAGERS, STOPS = 100, 20


def main() -> None:
    policy = load_visit_policy()
    rng = np.random.default_rng(26)
    centres = np.column_stack([31.23 + rng.uniform(-0.1, 0.1, MANAGERS),
                               121.47 + rng.uniform(-0.1, 0.1, MANAGERS)])  # fmt: skip
    days = [
        [Stop(f"M{m}C{i}", float(c[0] + rng.uniform(-0.07, 0.07)),
              float(c[1] + rng.uniform(-0.07, 0.07))) for i in range(STOPS)]
        for m, c in enumerate(centres)
    ]  # fmt: skip
    t0 = time.perf_counter()
    routes = [route_day(day, policy) for day in days]
    secs = time.perf_counter() - t0
    km = np.mean([r.distance_m for r in routes]) / 1000
    fit = sum(r.feasible for r in routes)
    body = f"""## Sales visits: routing (issue 26)

{machine_facts()}

{MANAGERS} managers × {STOPS} stops (about 8 km around a district centre each), default
policy, `route_seconds` {policy.route_seconds}: **{secs:.1f} s** in all
({secs / MANAGERS * 1000:.0f} ms a manager-day); mean route {km:.1f} km; {fit} of
{MANAGERS} days fit 09:00-18:00 (the others are routed with their late stops).

{figure(f"visits: route {MANAGERS} managers × {STOPS} stops", None, "-", "< 60 s", secs < 60, f"{secs:.1f} s")}
"""
    print(body)
    record("visits_route", body)


if __name__ == "__main__":
    main()
