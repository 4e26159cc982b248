"""Credit risk control (R-OPS-4, issue 22): the default-risk model, terms on the world, the
order check and the terms decision at scale.

1. Default-risk model on a generated book: train on snapshots 180/270/360 days before the
   book's end, test on the snapshot 90 days before it (a later period): AUC, Brier and a
   reliability table for monotone LightGBM and logistic.
2. The world run forward 180 days from the book's end under (a) uniform 月结 (monthly),
   (b) terms by tier only (platinum monthly, gold weekly, silver cod, bronze prepaid),
   (c) tier × risk band terms and deposits of policies/operations/credit.yaml: receivables
   more than 30 days past due at the window's end (from the simulated lake's invoices and
   payments) and gross margin (truth/effects.parquet, y_treated). Tiers are cut by 365-day
   spend at the kuailv policy's shares (5 / 20 / 50 %), not by a published grading run. The
   world simulates every terms code of the policy, 半月结 and 45 days included.
   The model's AUC against the world's truth of default (``days_overdue_30`` of the
   untreated world) is reported too.
3. Order check: p50 / p99 of ``service.check`` on a SQLite store of the book's accounts.
4. ``decide_terms`` for 2 000 000 synthetic customers (the pure decision; the store write of
   2 M rows is not included).

    flock /work/bench.lock uv run --frozen python -m bench.bench_credit
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
from sklearn.metrics import roc_auc_score
from sqlalchemy import insert

from bench.common import figure, machine_facts, record
from tierwise.generate import GenerateConfig, generate
from tierwise.models.credit_risk import CreditRiskModel, evaluate, risk_features, snapshots
from tierwise.ops.credit import service
from tierwise.ops.credit.decide import decide_terms
from tierwise.ops.credit.policy import load_credit_policy
from tierwise.ops.credit.receivables import receivables
from tierwise.ops.credit.state import recompute_terms
from tierwise.store.db import make_engine, sqlite_url
from tierwise.store.migrate import upgrade
from tierwise.store.schema import CustomerTier
from tierwise.world import parse_plan, simulate

END = dt.date(2026, 10, 31)
BY_TIER = {"platinum": "monthly", "gold": "weekly", "silver": "cod", "bronze": "prepaid"}


def tiers_by_spend(lake: Path) -> pd.Series:
    start = END - dt.timedelta(days=365)
    con = duckdb.connect()
    df = con.sql(
        f"SELECT c.customer_id, coalesce(sum(o.amount), 0)::DOUBLE AS s "
        f"FROM read_parquet('{lake}/customers/**/*.parquet') c LEFT JOIN "
        f"read_parquet('{lake}/orders/**/*.parquet') o ON o.customer_id = c.customer_id "
        f"AND o.order_time::DATE > DATE '{start}' AND o.order_time::DATE <= DATE '{END}' "
        f"GROUP BY 1"
    ).df()
    rank = df["s"].rank(ascending=False, pct=True)
    tier = np.select(
        [rank <= 0.05, rank <= 0.20, rank <= 0.50], ["platinum", "gold", "silver"], "bronze"
    )
    return pd.Series(tier, index=df["customer_id"].astype(str))


def arms(terms: pd.Series, deposit: pd.Series | None) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    for code, ids in terms.groupby(terms).groups.items():
        out.append({"name": f"terms_{code}", "customers": sorted(map(str, ids)),
                    "treatment": {"kind": "payment_terms", "terms": code}})  # fmt: skip
    if deposit is not None:
        for pct, ids in deposit[deposit > 0].groupby(deposit[deposit > 0]).groups.items():
            out.append({"name": f"deposit_{pct:g}", "customers": sorted(map(str, ids)),
                        "treatment": {"kind": "deposit", "percent": float(str(pct))}})  # fmt: skip
    return out


def run_world(
    book: Path, name: str, arm_list: list[dict[str, object]], work: Path
) -> dict[str, Any]:
    start = END + dt.timedelta(days=1)
    plan = parse_plan({"start": start.isoformat(), "days": 180, "seed": 7, "arms": arm_list})
    out = work / name
    t = time.perf_counter()
    simulate(book, plan, out, exports=False)
    secs = time.perf_counter() - t
    last = start + dt.timedelta(days=179)
    rec = receivables(out / "lake", last)
    over = rec[["overdue_31_60", "overdue_61_90", "overdue_over_90"]].sum(axis=1)
    over.index = rec["customer_id"].astype(str)
    eff = pq.read_table(out / "truth" / "effects.parquet").to_pandas()
    gm = eff[eff["metric"] == "gross_margin"]
    by_customer = pd.Series(gm["y_treated"].to_numpy(), index=gm["customer_id"].astype(str))
    return {"overdue_30": float(over.sum()), "margin": float(by_customer.sum()),
            "seconds": secs, "over_by": over, "margin_by": by_customer}  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--customers", type=int, default=3000)
    ap.add_argument("--checks", type=int, default=2000)
    ap.add_argument("--decide-customers", type=int, default=2_000_000)
    ap.add_argument("--seed", type=int, default=5, help="the book's seed (5 for the record)")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-credit-"))
    book = work / "book"
    t0 = time.perf_counter()
    generate(
        GenerateConfig(
            customers=args.customers, months=24, seed=args.seed, end_date=END, exports=False
        ),
        book,
    )
    lake = book / "lake"
    print(f"book: {time.perf_counter() - t0:.0f} s", flush=True)

    # 1. the model, on a later period
    test_day = END - dt.timedelta(days=90)
    train_days = [test_day - dt.timedelta(days=90 * k) for k in (1, 2, 3)]
    X, y = snapshots(lake, train_days)
    Xt, yt = snapshots(lake, [test_day])
    metrics = {}
    for method in ("gbm", "logistic"):
        m = CreditRiskModel(method=method).fit(X.drop(columns="as_of"), y)
        metrics[method] = evaluate(yt, m.predict_proba(Xt.drop(columns="as_of")))
    print({k: (round(v["auc"], 3), round(v["brier"], 4)) for k, v in metrics.items()}, flush=True)

    # scores as of the book's end (model fitted on labels ending by then)
    now_days = [END - dt.timedelta(days=90 * k) for k in (1, 2, 3)]
    Xn, yn = snapshots(lake, now_days)
    model = CreditRiskModel(method="gbm").fit(Xn.drop(columns="as_of"), yn)
    feats = risk_features(lake, END)
    pd_now = pd.Series(model.predict_proba(feats), index=feats.index.astype(str))

    # 2. the world under (a), (b), (c)
    policy = load_credit_policy()
    tiers = tiers_by_spend(lake)
    customers = tiers.index
    pdv = pd_now.reindex(customers)
    state = pd.DataFrame({"customer_id": customers, "tier": tiers.to_numpy(), "pd": pdv.to_numpy(),
                          "spend_90d": 0.0, "defaulted": False, "cur_terms": None,
                          "cur_deposit_pct": None, "cur_limit": None, "pending_terms": None,
                          "pending_from": None})  # fmt: skip
    decided = decide_terms(state, policy, END).set_index("customer_id")
    a = pd.Series("monthly", index=customers)
    b = tiers.map(BY_TIER)
    c = decided["terms"]  # the world knows every terms code of the credit policy
    dep = decided["deposit_pct"].astype(float)
    res = {
        "a": run_world(book, "a", arms(a, None), work),
        "b": run_world(book, "b", arms(b, None), work),
        "c": run_world(book, "c", arms(c, dep), work),
    }
    base = res["a"]
    eff = pq.read_table(work / "a" / "truth" / "effects.parquet").to_pandas()
    truth = eff[eff["metric"] == "days_overdue_30"].set_index("customer_id")["y_control"]
    truth = truth.reindex(customers).fillna(0)
    world_auc = (
        float(roc_auc_score(truth, pdv.fillna(pdv.mean())))
        if truth.nunique() == 2
        else float("nan")
    )

    # 3. order check p99 on a SQLite store
    eng = make_engine(sqlite_url(work / "state.db"))
    upgrade(eng)
    from tierwise.pipeline.credit import score_frame

    frame, _, _ = score_frame(lake, END)
    with eng.begin() as conn:
        conn.execute(insert(CustomerTier), [
            {"customer_id": cid, "tier": t, "score": 0.0, "run_id": "bench", "since": END,
             "runs_below": 0, "downgrade_warning": False, "updated_at": dt.datetime(2026, 11, 1)}
            for cid, t in tiers.items()])  # fmt: skip
        service.write_accounts(conn, frame, END, "bench", dt.datetime(2026, 11, 1))
        recompute_terms(conn, policy, END, dt.datetime(2026, 11, 1))
    rng = np.random.default_rng(0)
    ids = list(frame["customer_id"])
    lat = []
    for _ in range(args.checks):
        cid = ids[int(rng.integers(len(ids)))]
        amt = Decimal(str(round(float(rng.uniform(50, 5000)), 2)))
        t = time.perf_counter()
        with eng.begin() as conn:
            service.check(conn, policy, cid, amt, dt.datetime(2026, 11, 1, 9))
        lat.append((time.perf_counter() - t) * 1000)
    p50, p99 = float(np.percentile(lat, 50)), float(np.percentile(lat, 99))

    # 4. the pure decision for 2 M customers
    n = args.decide_customers
    big = pd.DataFrame({
        "customer_id": [f"C{i:08d}" for i in range(n)],
        "tier": rng.choice(["platinum", "gold", "silver", "bronze"], n),
        "pd": rng.beta(1, 12, n), "spend_90d": rng.gamma(2, 5000, n),
        "defaulted": rng.random(n) < 0.02,
        "cur_terms": rng.choice(["prepaid", "cod", "weekly", "monthly"], n),
        "cur_deposit_pct": 0.0, "cur_limit": 1000.0, "pending_terms": None, "pending_from": None,
    })  # fmt: skip
    t = time.perf_counter()
    decide_terms(big, policy, END)
    decide_secs = time.perf_counter() - t

    cut_c = 1 - res["c"]["overdue_30"] / base["overdue_30"]
    cut_b = 1 - res["b"]["overdue_30"] / base["overdue_30"]
    loss_c = 1 - res["c"]["margin"] / base["margin"]
    loss_b = 1 - res["b"]["margin"] / base["margin"]
    # where (a)'s overdue and margin sit, and what (c) costs, by risk band
    band = decided["band"]
    by_band = []
    for code in [b.code for b in policy.bands]:
        members = band.index[band == code]
        a_over = base["over_by"].reindex(members).fillna(0).sum() / base["overdue_30"]
        a_m = base["margin_by"].reindex(members).fillna(0).sum() / base["margin"]
        c_m = res["c"]["margin_by"].reindex(members).fillna(0).sum() / base["margin"]
        cut = (base["over_by"].reindex(members).fillna(0).sum()
               - res["c"]["over_by"].reindex(members).fillna(0).sum()) / base["overdue_30"]  # fmt: skip
        by_band.append(
            f"| {code} | {len(members)} | {a_over:.1%} | {a_m:.1%} | {cut:.1%} | {c_m - a_m:+.2%} |"
        )
    band_table = "\n".join(by_band)
    rel = "\n".join(
        f"| {i + 1} | {r['n']} | {r['predicted']:.3f} | {r['observed']:.3f} |"
        for i, r in enumerate(metrics["gbm"]["reliability"])
    )
    body = f"""## Credit risk control (R-OPS-4, issue 22)

`flock /work/bench.lock uv run --frozen python -m bench.bench_credit` ({args.customers} customers,
24 months, seed {args.seed}; {machine_facts()}).

**Default-risk model**, trained on snapshots {", ".join(map(str, train_days))}, tested on
{test_day} (label: an invoice reaching 30 days overdue in the next 90 days), {metrics["gbm"]["rows"]}
test rows, base rate {metrics["gbm"]["base_rate"]:.3f}:

| model | AUC | Brier |
|---|---|---|
| gbm (monotone LightGBM, isotonic) | {metrics["gbm"]["auc"]:.3f} | {metrics["gbm"]["brier"]:.4f} |
| logistic (isotonic) | {metrics["logistic"]["auc"]:.3f} | {metrics["logistic"]["brier"]:.4f} |

Reliability of gbm on the later period (deciles of predicted risk):

| decile | rows | mean predicted | observed |
|---|---|---|---|
{rel}

AUC of the gbm score as of {END} against the world's truth of default (`days_overdue_30` of
the untreated world over the next 180 days): {world_auc:.3f}.

**The world, 180 days from {END + dt.timedelta(days=1)}** (tiers by 365-day spend at 5/20/50 %;
the policy's terms as decided, 半月结 and 45 days included):

| plan | receivables > 30 days overdue at the end (yuan) | vs (a) | gross margin (yuan) | vs (a) | simulate s |
|---|---|---|---|---|---|
| (a) uniform 月结 | {base["overdue_30"]:,.0f} | — | {base["margin"]:,.0f} | — | {base["seconds"]:.0f} |
| (b) terms by tier | {res["b"]["overdue_30"]:,.0f} | {-cut_b:+.1%} | {res["b"]["margin"]:,.0f} | {-loss_b:+.1%} | {res["b"]["seconds"]:.0f} |
| (c) tier × risk | {res["c"]["overdue_30"]:,.0f} | {-cut_c:+.1%} | {res["c"]["margin"]:,.0f} | {-loss_c:+.1%} | {res["c"]["seconds"]:.0f} |

By the model's risk band as of {END} (shares of (a)'s totals; the last two columns: what (c)
removes from (a)'s overdue and adds to (a)'s margin, in points of (a)'s totals):

| band | customers | (a) overdue > 30 d | (a) gross margin | (c) overdue cut | (c) margin |
|---|---|---|---|---|---|
{band_table}

Goal: (c) cuts receivables > 30 days overdue by at least 20 % against (a) and loses at most 2 %
of gross margin: cut {cut_c:.1%} ({"met" if cut_c >= 0.2 else "not met"}), margin loss
{loss_c:.1%} ({"met" if loss_c <= 0.02 else "not met"}).

**Order check** (`service.check`, SQLite, {args.checks} checks, one transaction each): p50 {p50:.1f} ms,
p99 {p99:.1f} ms (target p99 < 20 ms).

**Terms decision for {n:,} customers** (`decide_terms`, pure, synthetic inputs; the store
write is not included): {decide_secs:.1f} s (target: recomputing terms < 60 s).

{figure("credit: (c) cut of receivables > 30 d overdue vs (a)", round(1 - cut_c, 3), "(a) uniform monthly", ">= 20 % cut", cut_c >= 0.2, f"{cut_c:.1%}")}
{figure("credit: (c) gross margin loss vs (a)", round(1 - loss_c, 3), "(a) uniform monthly", "<= 2 %", loss_c <= 0.02, f"{loss_c:.1%}")}
{figure("credit: order check p99", None, "-", "< 20 ms", p99 < 20, f"p99 {p99:.1f} ms")}
{figure(f"credit: decide_terms {n:,} customers", None, "-", "< 60 s", decide_secs < 60, f"{decide_secs:.1f} s")}
"""
    print(body)
    record("credit", body)


if __name__ == "__main__":
    main()
