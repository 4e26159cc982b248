"""A 铂金 +2 % rebate on the world (issue 21, R-OPS-3): dry run, ledger, realised cost and ROI.

A generated book (12 months to 2026-12-31) is graded with the default policy; its 铂金
customers get a 2 % monthly rebate and the world is run forward over 2027-Q1 (90 days, common
random numbers: every customer's outcome with and without it, ``truth/effects.parquet``).

Three figures of the module, against the world's truth:

1. **Dry run** (``tierwise benefits rebate-dry-run --pct platinum=2 --days 90``): the 铂金
   customers' order amounts over the book's last 90 days × 2 % (``rebates.dry_run`` on
   ``rebates.recent_spend``), from the lake only: they are assumed to buy as they did.
2. **Ledger** (``tierwise benefits rebate-accrue 2027-01`` … ``2027-03``): a SQLite store,
   the policy's benefit plan (铂金 2 % a month) stored, the graded tiers published through the
   one tier writer (the benefits hook grants the rebate), then the three months accrued from
   the simulated lake (``rebate_store.net_sales`` + ``accrue_period``).
3. **Realised cost**: the world's own rebate (``rebate_accruals`` of the simulated lake, which
   is ``y_control − y_treated`` of revenue's rebate part), and beside it the true incremental
   gross margin of the arm (``gross_margin`` y_treated − y_control, net of the rebate paid).

**Like with like.** The world accrues its rebate on the window's order amounts *net of the
coupons redeemed*; the ledger on the period's order amounts *net of refunds* (returns by
``return_time``). The plan gives the 铂金 arm no coupon, and the bench checks that the world
redeemed none for it, so the world's basis is the window's order amounts; the ledger's
``gross`` column (orders placed in the period, before refunds) summed over the three months
must then equal the world's basis to the fen for every customer (checked, counted), and
2 % of it the world's rebate within the rounding of three monthly amounts against one. The
refunds the ledger nets out (the world does not) are reported as the one difference left.
The dry run nets neither, so it is compared with the world's realised rebate on the same
basis (order amounts × 2 %).

    flock /work/bench.lock uv run --frozen python -m bench.bench_benefits_world --customers 20000
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
from sqlalchemy import select

import tierwise.pipeline  # noqa: F401  (registers the benefits hook with the tier writer)
from bench.common import figure, machine_facts, record
from tierwise.generate import GenerateConfig, generate
from tierwise.ops.benefits.decide import BenefitPlan
from tierwise.ops.benefits.ledger import store_plan
from tierwise.ops.benefits.rebate_ledger import CENT, parse_period
from tierwise.ops.benefits.rebate_store import accrue_period, net_sales
from tierwise.ops.benefits.rebates import dry_run, forecast_spend, recent_spend
from tierwise.policy import DEFAULT_POLICY, load_policy
from tierwise.store.db import make_engine, sqlite_url
from tierwise.store.migrate import upgrade
from tierwise.store.runs import Assignment, Cutoff, RunStore
from tierwise.store.schema import RebateAccrual
from tierwise.tierstate.decide import StabilityRule
from tierwise.world import parse_plan, simulate

END = dt.date(2026, 12, 31)  # the book's last day
START = END + dt.timedelta(days=1)  # 2027-01-01: the world's window is 2027-Q1
DAYS = 90
MONTHS = ("2027-01", "2027-02", "2027-03")
PCT = Decimal(2)
TIER = "platinum"
ARM = "platinum_rebate_2pct"


def _money(v: Any) -> Decimal:
    return Decimal(str(v)).quantize(CENT)


def _ledger(
    book: Path, world: Path, tiers: dict[str, str], work: Path
) -> tuple[dict[str, dict[str, Decimal]], float]:
    """Publish ``tiers`` (with the policy's benefit plan) and accrue the window's months from
    the simulated lake: per customer ``gross``, ``refunds``, ``amount`` summed over the months."""
    policy = load_policy(DEFAULT_POLICY)
    plan = BenefitPlan.from_policy(policy)
    # the bench prices the 铂金 rebate only: the world gives no other tier a rebate
    plan = BenefitPlan(
        plan.order,
        {t: tuple(b for b in bs if b.kind != "rebate" or t == TIER) for t, bs in plan.tiers.items()},
        plan.grace_days,
    )  # fmt: skip
    engine = make_engine(sqlite_url(work / "ledger.db"))
    upgrade(engine)
    now = dt.datetime.combine(END, dt.time(23))
    store_plan(engine, "bench", policy.name, plan, now)
    store = RunStore(engine)
    store.begin("world", policy_name=policy.name, policy_hash="bench", as_of=END,
                data_fingerprint="world", started_at=now)  # fmt: skip
    cuts = [Cutoff(code, rank, None) for rank, code in enumerate(plan.order)]
    rows = [Assignment(c, t, None) for c, t in tiers.items() if t]  # graded ones only
    store.publish("world", rows, cuts, rule=StabilityRule(downgrade_after_runs=1), now=now)
    t0 = time.perf_counter()
    for label in MONTHS:
        period = parse_period(label)
        accrue_period(engine, period, net_sales(world / "lake", period), now=now)
    secs = time.perf_counter() - t0
    out: dict[str, dict[str, Decimal]] = defaultdict(
        lambda: {"gross": Decimal(0), "refunds": Decimal(0), "amount": Decimal(0)}
    )
    with engine.connect() as conn:
        for r in conn.execute(
            select(
                RebateAccrual.customer_id,
                RebateAccrual.gross,
                RebateAccrual.refunds,
                RebateAccrual.amount,
            )
        ):
            for k in ("gross", "refunds", "amount"):
                out[r.customer_id][k] += Decimal(getattr(r, k))
    engine.dispose()
    return dict(out), secs


def measure(customers: int, months: int, seed: int, work: Path) -> dict[str, Any]:
    """Every figure of the bench on a fresh book of ``customers`` × ``months``."""
    book = work / "book"
    t0 = time.perf_counter()
    generate(GenerateConfig(customers=customers, months=months, seed=seed, end_date=END,
                            exports=False), book)  # fmt: skip
    gen_s = time.perf_counter() - t0
    plan = parse_plan({
        "start": START.isoformat(), "days": DAYS, "seed": seed,
        "arms": [{"name": ARM, "share": 1.0, "of": {"tier": TIER},
                  "treatment": {"kind": "rebate", "percent": float(PCT)}}],
    })  # fmt: skip
    world = work / "world"
    t0 = time.perf_counter()
    simulate(book, plan, world, exports=False)
    sim_s = time.perf_counter() - t0
    asg = pq.read_table(world / "truth" / "assignment.parquet").to_pydict()
    ids = [str(c) for c in asg["customer_id"]]
    tiers = {c: str(t or "") for c, t in zip(ids, asg["tier"], strict=True)}
    members = {c for c, a in zip(ids, asg["arm"], strict=True) if a == ARM}

    # 1. the dry run, from the book's lake only
    spend = recent_spend(book / "lake", START - dt.timedelta(days=DAYS), START)
    dry = dry_run(spend, {c: t for c, t in tiers.items() if t}, {TIER: PCT})[0]
    # the season dry run (the same season a year back; `auto`: the recent one when the book
    # does not reach a year and 90 days back), from the book's lake only
    forecast, season_used = forecast_spend(book / "lake", END, DAYS, "auto")
    season = dry_run(forecast, {c: t for c, t in tiers.items() if t}, {TIER: PCT})[0]

    # 3. the world's truth: its rebate (basis = orders − coupons) and the arm's effects
    acc = pq.read_table(world / "lake" / "rebate_accruals").to_pandas()
    world_basis = {str(c): _money(b) for c, b in zip(acc["customer_id"], acc["basis"], strict=True)}
    world_amount = {
        str(c): _money(a) for c, a in zip(acc["customer_id"], acc["amount"], strict=True)
    }
    coupons = Decimal(0)
    if (world / "lake" / "coupons").exists():
        cp = pq.read_table(world / "lake" / "coupons").to_pandas()
        used = cp[cp["customer_id"].astype(str).isin(members) & cp["redeemed_order_id"].notna()]
        coupons = sum((_money(v) for v in used["value"]), Decimal(0))
    eff = pq.read_table(world / "truth" / "effects.parquet").to_pandas()
    eff = eff[eff["arm"] == ARM]
    margin = eff[eff["metric"] == "gross_margin"]
    revenue = eff[eff["metric"] == "revenue"]
    churn = eff[eff["metric"] == "churned"]
    realised = sum(world_amount.values(), Decimal(0))
    d_margin = float((margin["y_treated"] - margin["y_control"]).sum())

    # 2. the ledger on the simulated lake
    ledger, accrue_s = _ledger(book, world, tiers, work)
    ledger_total = sum((v["amount"] for v in ledger.values()), Decimal(0))
    refunds = sum((v["refunds"] for v in ledger.values()), Decimal(0))
    ledger_gross = sum((v["gross"] for v in ledger.values()), Decimal(0))
    # like with like: the ledger's orders (before refunds) against the world's basis
    everyone = set(world_basis) | {c for c, v in ledger.items() if v["gross"] > 0}
    basis_off = sum(
        1 for c in everyone
        if ledger.get(c, {}).get("gross", Decimal(0)) != world_basis.get(c, Decimal(0))
    )  # fmt: skip
    like = {
        c: (ledger[c]["gross"] * PCT / 100).quantize(CENT, ROUND_HALF_UP) if c in ledger else Decimal(0)
        for c in everyone
    }  # fmt: skip
    amount_off = max(
        (abs(like[c] - world_amount.get(c, Decimal(0))) for c in everyone), default=Decimal(0)
    )
    return {
        "customers": customers, "months": months, "members": len(members),
        "ledger_customers": len(ledger), "gen_s": gen_s, "sim_s": sim_s, "accrue_s": accrue_s,
        "dry_spend": dry.spend, "dry_cost": dry.cost, "dry_buyers": dry.buyers,
        "season_spend": season.spend, "season_cost": season.cost, "season_method": season_used,
        "realised": realised, "world_basis": sum(world_basis.values(), Decimal(0)),
        "coupons_to_arm": coupons, "ledger_gross": ledger_gross, "ledger_refunds": refunds,
        "ledger_total": ledger_total, "basis_off": basis_off, "amount_off": amount_off,
        "like_total": sum(like.values(), Decimal(0)),
        "d_margin": d_margin,
        "d_revenue": float((revenue["y_treated"] - revenue["y_control"]).sum()),
        # the control world has no coupon and no rebate: its revenue is its order amounts
        "control_spend": float(revenue["y_control"].sum()),
        "churn_control": float(churn["y_control"].mean()) if len(churn) else float("nan"),
        "churn_treated": float(churn["y_treated"].mean()) if len(churn) else float("nan"),
    }  # fmt: skip


def report(m: dict[str, Any]) -> str:
    realised = float(m["realised"])
    gap = float(m["dry_cost"]) / realised - 1 if realised else float("nan")
    roi = m["d_margin"] / realised if realised else float("nan")
    before = m["d_margin"] + realised
    sgap = float(m["season_cost"]) / realised - 1 if realised else float("nan")
    ok = abs(sgap) <= 0.05
    season_words = (
        "the same season a year back: the last 90 days of each customer scaled by how the "
        "customers at the same percentile of spend among the buyers went on from 2025-Q4 to "
        "2026-Q1 (`--method season`)"
        if m["season_method"] == "season"
        else "**not available**: the book does not reach a year and 90 days back, so `auto` "
        "fell back to the recent one"
    )
    control = m["control_spend"]
    drift = float(m["dry_spend"]) / control - 1 if control else float("nan")
    response = float(m["world_basis"]) / control - 1 if control else float("nan")
    return f"""## A 铂金 +2 % rebate on the world: dry run, ledger, realised cost (issue 21)

{machine_facts()}

Command: `flock /work/bench.lock uv run --frozen python -m bench.bench_benefits_world --customers {m["customers"]} --months {m["months"]}`

A book of {m["customers"]:,} customers × {m["months"]} months to {END}, graded with the default
policy; its {m["members"]:,} 铂金 customers get a 2 % monthly rebate, the world runs 2027-Q1
({DAYS} days) with and without it (generate {m["gen_s"]:.0f} s, simulate {m["sim_s"]:.0f} s).
The ledger is the module's: the policy's plan stored (the 铂金 rebate only), the tiers
published through the one tier writer (the hook grants), `accrue_period` for 2027-01, -02
and -03 on the simulated lake ({m["accrue_s"]:.1f} s, {m["ledger_customers"]:,} customers in the ledger).

| figure | yuan |
|---|---:|
| dry run: 铂金 order amounts over the book's last {DAYS} days ({m["dry_buyers"]:,} buyers) | {m["dry_spend"]:,} |
| dry run (recent, the old one): cost at 2 % (`rebate-dry-run --pct platinum=2 --days {DAYS} --method recent`) | {m["dry_cost"]:,} |
| dry run ({m["season_method"]}): 铂金 order amounts forecast for the {DAYS} days | {m["season_spend"]:,} |
| dry run ({m["season_method"]}): cost at 2 % (`rebate-dry-run --pct platinum=2 --days {DAYS} --method auto`) | {m["season_cost"]:,} |
| world: the arm's order amounts **without** the rebate (Σ revenue y_control: no coupon, no rebate there) | {m["control_spend"]:,.2f} |
| world: rebate basis of the 铂金 arm (window's order amounts − coupons; coupons redeemed by the arm: {m["coupons_to_arm"]}) | {m["world_basis"]:,} |
| world: **realised rebate** (`rebate_accruals`, the cost) | {realised:,.2f} |
| ledger: orders placed in the three months (`gross`) | {m["ledger_gross"]:,} |
| ledger: 2 % of `gross` per customer and month (the world's basis: like with like) | {m["like_total"]:,} |
| ledger: refunds netted (returns by `return_time`; the world does not net them) | {m["ledger_refunds"]:,} |
| ledger: **accrued** (2 % of orders − refunds, what would be paid) | {m["ledger_total"]:,} |
| world truth: incremental gross margin of the arm, net of the rebate (Σ y_treated − y_control) | {m["d_margin"]:,.2f} |
| world truth: the same before the rebate (what the rebate bought) | {before:,.2f} |
| world truth: incremental revenue net of the rebate | {m["d_revenue"]:,.2f} |

Like with like: customers whose ledger `gross` differs from the world's basis: **{m["basis_off"]}**
(to the fen); largest difference between 2 % of the ledger's monthly `gross` and the world's
rebate for one customer: {m["amount_off"]} yuan (three monthly roundings against one). The only
difference left between the ledger's accrual and the world's cost is the refunds the ledger
nets ({m["ledger_refunds"]:,} yuan × 2 %). Churn of the arm by the window's end: without the
rebate {m["churn_control"]:.1%}, with it {m["churn_treated"]:.1%}.

Dry run against the realised rebate (same basis, order amounts × 2 %), target within ±5 %:
**season {sgap:+.1%}** ({season_words}); recent (the last {DAYS} days as they were) {gap:+.1%}.
Both read only the book's lake (orders up to {END}). Of the recent one's gap, the history the dry run reads against the same customers' window
without any rebate: {drift:+.1%} (the last {DAYS} days of the book are not the next {DAYS}:
season, churn, growth); the rest is the rebate's own effect on spend
({response:+.1%} order amounts with it than without). The rebate's ROI on the world's truth (incremental margin net of the rebate ÷
the rebate paid): {roi:+.2f}.

{figure("benefits: 铂金 2 % rebate dry run (season) vs the world's realised cost", round(float(m["season_cost"]) / realised, 3) if realised else None, "realised rebate (world)", "within ±5 %", ok, f"{sgap:+.1%}")}
{figure("benefits: 铂金 2 % rebate dry run (recent, the old one) vs the world's realised cost", round(float(m["dry_cost"]) / realised, 3) if realised else None, "realised rebate (world)", "within ±5 %", abs(gap) <= 0.05, f"{gap:+.1%}")}
{figure("benefits: ledger basis vs the world's rebate basis (customers off)", None, "world truth", "0", m["basis_off"] == 0, str(m["basis_off"]))}
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--customers", type=int, default=20_000)
    ap.add_argument("--months", type=int, default=24)  # the season dry run reads a year back
    ap.add_argument("--seed", type=int, default=21)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-benefits-world-"))
    body = report(measure(args.customers, args.months, args.seed, work))
    print(body)
    record("benefits_world", body)


if __name__ == "__main__":
    main()
