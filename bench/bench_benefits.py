"""The benefits ledger and tier pricing (issue 21): what they cost and whether grants agree.

Two measurements on SQLite, on one machine, side by side:

1. **Publish with grant sync**: N customers published through ``RunStore.publish`` twice (the
   first run grants every customer, the second moves ~10 % of them), once with the benefits
   hook and once without: the ratio is the hook's share. Then 500 real-time regrades through
   the one writer. After each step the invariant of the ledger is checked over everybody
   (``decide.disagreements``: customers with a grant their tier does not give outside grace,
   or missing one it gives; must be 0).
2. **Quote with 10 000 price rules**: ``POST /customers/{id}/quote`` of a 5-line order through
   the whole API (auth, role check, validation, tier lookup, the rule index) in-process with
   FastAPI's TestClient (no network), 2 000 requests: p50 and p99.

    flock /work/bench.lock uv run --frozen python -m bench.bench_benefits --customers 200000
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from sqlalchemy import Engine, insert, select

import tierwise.pipeline  # noqa: F401  (registers the benefits hook)
from bench.common import figure, load_average, machine_facts, record
from tierwise.ops.benefits.decide import BenefitPlan, PlanBenefit, disagreements
from tierwise.ops.benefits.ledger import (
    HOOK_NAME,
    read_all_grants,
    read_states,
    store_plan,
    sync_grants,
)
from tierwise.store import tier_writer
from tierwise.store.db import make_engine, sqlite_url
from tierwise.store.migrate import upgrade
from tierwise.store.runs import Assignment, Cutoff, RunStore
from tierwise.store.schema import CustomerTier, PriceRuleRow
from tierwise.store.tier_writer import write_regrade
from tierwise.tierstate.decide import StabilityRule

CUTS = [Cutoff("platinum", 0, 90.0), Cutoff("gold", 1, 70.0), Cutoff("silver", 2, 40.0),
        Cutoff("bronze", 3, None)]  # fmt: skip
PLAN = BenefitPlan(
    ("platinum", "gold", "silver", "bronze"),
    {
        "platinum": (
            PlanBenefit("rebate", "rebate", {"pct": "2", "period": "month"}),
            PlanBenefit("service_level", "service_level", {"level": "dedicated"}),
            PlanBenefit(
                "coupon_allowance", "coupon_allowance", {"amount_yuan": "50", "per_month": 2}
            ),
        ),
        "gold": (
            PlanBenefit("rebate", "rebate", {"pct": "1", "period": "month"}),
            PlanBenefit("service_level", "service_level", {"level": "priority"}),
        ),
        "silver": (PlanBenefit("service_level", "service_level", {"level": "standard"}),),
        "bronze": (),
    },
    grace_days=14,
)


def _tier(s: float) -> str:
    return "platinum" if s >= 90 else "gold" if s >= 70 else "silver" if s >= 40 else "bronze"


def _publish(engine: Engine, run_id: str, day: dt.date, scores: list[float], h: str) -> float:
    store = RunStore(engine)
    store.begin(run_id, policy_name="b", policy_hash=h, as_of=day, data_fingerprint="f",
                started_at=dt.datetime(2026, 1, 1))  # fmt: skip
    rows = [Assignment(f"C{i:08d}", _tier(s), s) for i, s in enumerate(scores)]
    t0 = time.perf_counter()
    store.publish(run_id, rows, CUTS, rule=StabilityRule(downgrade_after_runs=1),
                  now=dt.datetime.combine(day, dt.time()))  # fmt: skip
    return time.perf_counter() - t0


def _disagreements(engine: Engine, day: dt.date) -> int:
    with engine.connect() as conn:
        states = read_states(conn, None)
        grants = read_all_grants(conn)
    return len(disagreements(grants, states, PLAN, day))


def publish_bench(n: int, tmp: Path) -> dict[str, float]:
    import pandas  # noqa: F401  (imported by the first publish otherwise: not the hook's cost)

    rng = random.Random(0)
    first = [rng.uniform(0, 100) for _ in range(n)]
    second = [s if rng.random() > 0.1 else rng.uniform(0, 100) for s in first]
    out: dict[str, float] = {}
    for label, hooked in (("with", True), ("without", False)):
        engine = make_engine(sqlite_url(tmp / f"{label}.db"))
        upgrade(engine)
        store_plan(engine, "h", "b", PLAN, dt.datetime(2026, 1, 1))
        if not hooked:
            tier_writer.unregister_hook(HOOK_NAME)
        try:
            out[f"{label}_first"] = _publish(engine, "r1", dt.date(2026, 1, 31), first, "h")
            out[f"{label}_second"] = _publish(engine, "r2", dt.date(2026, 2, 28), second, "h")
        finally:
            tier_writer.register_hook(HOOK_NAME, sync_grants)
        if hooked:
            out["bad_after_runs"] = _disagreements(engine, dt.date(2026, 2, 28))
            day = dt.date(2026, 3, 5)
            t0 = time.perf_counter()
            for k in range(500):
                cid = f"C{rng.randrange(n):08d}"
                score = rng.uniform(0, 100)
                with engine.begin() as conn:
                    row = conn.execute(select(CustomerTier.__table__).where(
                        CustomerTier.customer_id == cid)).mappings().one()  # fmt: skip
                    new = _tier(score)
                    up = [c.tier for c in CUTS].index(new) < [c.tier for c in CUTS].index(
                        row["tier"]
                    )
                    state = {**row, "tier": new if up else row["tier"], "score": score,
                             "since": day if up else row["since"]}  # fmt: skip
                    changes = [{"customer_id": cid, "run_id": "r2", "from_tier": row["tier"],
                                "to_tier": new, "changed_at": dt.datetime(2026, 3, 5),
                                "effective": day, "reason_code": "upgrade",
                                "reason": {"score": score, "k": k}}] if up else []  # fmt: skip
                    write_regrade(conn, "r2", [state], changes, dt.datetime(2026, 3, 5))
            out["regrade_ms"] = (time.perf_counter() - t0) / 500 * 1000
            out["bad_after_regrades"] = _disagreements(engine, day)
        engine.dispose()
    return out


def quote_bench(rules: int, requests: int, tmp: Path) -> tuple[float, float]:
    from fastapi.testclient import TestClient

    from tierwise.api.access import Principal, Role
    from tierwise.api.app import create_app
    from tierwise.api.auth import DEV_SECRET, issue_token, utcnow
    from tierwise.api.repos.users import UserRepo
    from tierwise.api.sample import seed
    from tierwise.settings import Settings

    home = tmp / "api"
    home.mkdir()
    engine = make_engine(sqlite_url(home / "state.db"))
    seed(engine, home, 40)
    UserRepo(engine).add_user("bench", Role.SERVICE, "a bench password", now=utcnow())
    tiers = ["platinum", "gold", "silver", "bronze", None]
    with engine.begin() as conn:
        conn.execute(insert(PriceRuleRow), [
            {"code": f"r{i}", "kind": "discount_pct", "value": Decimal(1 + i % 30),
             "valid_from": dt.date(2026, 1, 1), "valid_until": None, "priority": i % 7,
             "tier": tiers[i % 5], "sku": f"S{i // 5:05d}", "category": None, "region": None,
             "author": "bench", "created_at": dt.datetime(2026, 1, 1)}
            for i in range(rules)
        ])  # fmt: skip
    token = issue_token(Principal("user:bench", Role.SERVICE), DEV_SECRET, now=utcnow(), minutes=60)
    app = create_app(Settings(home=home, env="test"), engine=engine)
    rng = random.Random(1)
    times = []
    with TestClient(app) as client:
        for k in range(requests + 50):
            lines = [{"sku": f"S{rng.randrange(rules // 5):05d}", "category": "蔬菜",
                      "quantity": "2", "list_price": "12.50"} for _ in range(5)]  # fmt: skip
            t0 = time.perf_counter()
            r = client.post("/customers/C0000003/quote", json={"day": "2026-12-01", "lines": lines},
                            headers={"Authorization": f"Bearer {token}"})  # fmt: skip
            dt_ms = (time.perf_counter() - t0) * 1000
            assert r.status_code == 200, r.text
            if k >= 50:  # the first requests warm the rule index
                times.append(dt_ms)
    times.sort()
    return statistics.median(times), times[int(0.99 * len(times)) - 1]


def measure(customers: int, rules: int, requests: int) -> dict[str, float]:
    """Every figure of this bench, from the ``tierwise`` on the path."""
    with tempfile.TemporaryDirectory() as d:
        pub = publish_bench(customers, Path(d))
        p50, p99 = quote_bench(rules, requests, Path(d))
    return {**pub, "p50": p50, "p99": p99}


def before(src: Path, a: argparse.Namespace) -> dict[str, float]:
    """The same measurements with the code of ``src`` (a checkout's ``src`` folder before a
    change) first on the path: this bench's code, the old ``tierwise``."""
    env = {**os.environ, "PYTHONPATH": f"{src}{os.pathsep}{Path.cwd()}"}
    out = subprocess.run(
        [sys.executable, "-m", "bench.bench_benefits", "--json", "--customers", str(a.customers),
         "--rules", str(a.rules), "--requests", str(a.requests)],
        env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    figures: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return figures


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--customers", type=int, default=200_000)
    ap.add_argument("--rules", type=int, default=10_000)
    ap.add_argument("--requests", type=int, default=2_000)
    ap.add_argument("--json", action="store_true", help="print the figures as JSON, record nothing")
    ap.add_argument(
        "--before-src",
        type=Path,
        help="a src folder of the code before a change (git archive COMMIT src | tar -x): "
        "measured the same way, side by side",
    )
    a = ap.parse_args()
    if a.json:
        import tierwise

        m = measure(a.customers, a.rules, a.requests)
        print(json.dumps({**m, "src": str(Path(tierwise.__file__).parents[1])}))
        return
    old = before(a.before_src, a) if a.before_src else None
    load_old = load_average()
    pub = measure(a.customers, a.rules, a.requests)
    p50, p99 = pub["p50"], pub["p99"]
    ratio = pub["with_first"] / pub["without_first"]
    side = ""
    if old is not None:
        side = f"""
Before and after the quote's changes (the rules' version read as one primary-key row instead
of a count and two max() over the rules; one connection for the version and the tier; an
index on the active grants' `valid_until` for the grant sync's ended-grace scan), the same
bench run one after the other under the bench lock; "before" is `{a.before_src}` (load
average after it {load_old}):

| figure | before | after |
|---|---|---|
| quote p50 ({a.rules:,} rules, 5 lines, through the API in-process) | {old["p50"]:.1f} ms | {p50:.1f} ms |
| quote p99 | {old["p99"]:.1f} ms | **{p99:.1f} ms** |
| real-time regrade through the one writer (500, mean) | {old["regrade_ms"]:.1f} ms | {pub["regrade_ms"]:.1f} ms |
| first publication with the hook | {old["with_first"]:.1f} s | {pub["with_first"]:.1f} s |
| second publication with the hook | {old["with_second"]:.1f} s | {pub["with_second"]:.1f} s |
"""
    body = f"""## Benefits ledger and tier pricing (`bench/bench_benefits.py`, issue 21)

`flock /work/bench.lock uv run --frozen python -m bench.bench_benefits --customers {a.customers}`
on SQLite ({machine_facts()}; load average {load_average()}).

| step | with the benefits hook | without | ratio |
|---|---|---|---|
| first publication of {a.customers:,} customers (every customer granted) | {pub["with_first"]:.1f} s | {pub["without_first"]:.1f} s | {ratio:.2f}x |
| second publication (~10 % of scores redrawn) | {pub["with_second"]:.1f} s | {pub["without_second"]:.1f} s | {pub["with_second"] / pub["without_second"]:.2f}x |
| real-time regrade through the one writer (500, mean) | {pub["regrade_ms"]:.1f} ms | | |

Customers whose grants disagree with their tier (a grant not given outside grace, or one
missing): **{int(pub["bad_after_runs"])}** after the two publications, **{int(pub["bad_after_regrades"])}**
after the 500 regrades.

Quote (`POST /customers/{{id}}/quote`, 5 lines, {a.rules:,} price rules, in-process TestClient,
{a.requests} requests): p50 {p50:.1f} ms, **p99 {p99:.1f} ms** (target < 20 ms).
{side}
Not measured: the 2 M-customer publication on PostgreSQL (target < 60 s).

{figure("benefits: grants disagreeing with tier state", None, "0", "0", int(pub["bad_after_runs"] + pub["bad_after_regrades"]) == 0, value=str(int(pub["bad_after_runs"] + pub["bad_after_regrades"])))}
{figure("benefits: publish with grant sync vs without (SQLite)", round(ratio, 2), "publish without the hook", "none", None)}
{figure("pricing: quote p99 with 10 000 rules", round(p99 / old["p99"], 2) if old else None, "the quote before (same run)" if old else "none", "< 20 ms", p99 < 20, value=f"p99 {p99:.1f} ms")}
"""
    print(body)
    record("benefits", body)


if __name__ == "__main__":
    main()
