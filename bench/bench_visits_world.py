"""Sales visits that pay (R-OPS-8, issue 26 item 2): on the world, the same number of visits
spent by value at risk vs a uniform cadence.

A generated book (2 000 outlets, 12 months) is run forward 90 days twice with common random
numbers: (a) every outlet active in the last year visited every 30 days; (b) the same number
of visits spent on the outlets with the highest value at risk, weekly. Value at risk is the
module's input, computed from the lake only (truth never enters it): 365-day spend × a churn
proxy min(1, days since the last order / (2 × the outlet's mean gap between orders)); no
churn model is fitted here. The world makes at most 8 visits a manager a day in both plans.
The truth (``truth/effects.parquet``: gross margin with and without the visits, per outlet;
``truth/latent.parquet``: visits made) gives the incremental margin per visit hour (30 min a
visit, the default policy) and churn among the visited.

    flock /work/bench.lock uv run --frozen python -m bench.bench_visits_world
"""

from __future__ import annotations

import datetime as dt
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from bench.common import figure, machine_facts, record
from tierwise.generate import GenerateConfig, generate
from tierwise.world import parse_plan, simulate

END = dt.date(2026, 10, 31)
DAYS = 90
HOURS_PER_VISIT = 0.5


def value_at_risk(lake: Path) -> pd.DataFrame:
    """customer_id, spend_365d, p_churn (proxy), value_at_risk, from the lake's orders."""
    start = END - dt.timedelta(days=365)
    con = duckdb.connect()  # kept in a name: a temporary connection is closed too soon
    sql = (
        f"SELECT customer_id, sum(amount)::DOUBLE AS spend, count(*) AS n, "
        f"max(order_time)::DATE AS last, min(order_time)::DATE AS first "
        f"FROM read_parquet('{lake}/orders/**/*.parquet') "
        f"WHERE order_time::DATE > DATE '{start}' AND order_time::DATE <= DATE '{END}' GROUP BY 1"
    )
    df = con.sql(sql).df()
    gap = ((pd.to_datetime(df["last"]) - pd.to_datetime(df["first"])).dt.days / (df["n"] - 1)
           ).where(df["n"] > 1, 365.0)  # fmt: skip
    recency = (pd.Timestamp(END) - pd.to_datetime(df["last"])).dt.days
    df["p_churn"] = np.minimum(1.0, recency / (2 * np.maximum(gap, 1.0)))
    df["value_at_risk"] = df["spend"] * df["p_churn"]
    return df[["customer_id", "spend", "p_churn", "value_at_risk"]]


def run(book: Path, name: str, ids: list[str], every: int, work: Path) -> dict[str, float]:
    plan = parse_plan({
        "start": (END + dt.timedelta(days=1)).isoformat(), "days": DAYS, "seed": 26,
        "arms": [{"name": name, "customers": ids,
                  "treatment": {"kind": "visit_cadence", "every_days": every}}],
    })  # fmt: skip
    out = work / name
    t = time.perf_counter()
    simulate(book, plan, out, exports=False)
    secs = time.perf_counter() - t
    eff = pq.read_table(out / "truth" / "effects.parquet").to_pandas()
    lat = pq.read_table(out / "truth" / "latent.parquet", columns=["visits_per_30d"]).to_pandas()
    visits = float(lat["visits_per_30d"].sum() * DAYS / 30)
    m = eff[eff["metric"] == "gross_margin"]
    gain = float((m["y_treated"] - m["y_control"]).sum())
    c = eff[(eff["metric"] == "churned") & eff["customer_id"].isin(ids)]
    return {
        "visits": visits, "gain": gain, "per_hour": gain / max(visits * HOURS_PER_VISIT, 1e-9),
        "churn_treated": float(c["y_treated"].mean()), "churn_control": float(c["y_control"].mean()),
        "seconds": secs,
    }  # fmt: skip


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="bench-visits-"))
    book = work / "book"
    generate(GenerateConfig(customers=2000, months=12, seed=26, end_date=END, exports=False), book)
    var = value_at_risk(book / "lake").sort_values("value_at_risk", ascending=False)
    everyone = var["customer_id"].astype(str).tolist()
    k = len(everyone) * 7 // 30  # weekly for k outlets = monthly for all, in visits
    a = run(book, "uniform_30d", everyone, 30, work)
    b = run(book, "top_risk_7d", everyone[:k], 7, work)
    lift = b["per_hour"] / a["per_hour"] if a["per_hour"] > 0 else float("nan")
    rows = "\n".join(
        f"| {n} | {r['visits']:,.0f} | {r['gain']:,.0f} | {r['per_hour']:,.1f} | "
        f"{r['churn_control']:.1%} → {r['churn_treated']:.1%} | {r['seconds']:.0f} |"
        for n, r in (("(a) every active outlet every 30 days", a),
                     (f"(b) top {k} by value at risk weekly", b))
    )  # fmt: skip
    body = f"""## Sales visits that pay: value at risk vs a uniform cadence (issue 26)

{machine_facts()}

2 000 outlets × 12 months, 90 days forward, the same visit budget (weekly for 7/30 of the
outlets = monthly for all); the world caps each manager at 8 visits a day. Value at risk from
the lake only (365-day spend × a recency churn proxy); margin gains from the world's truth.

| plan | visits made | incremental gross margin (yuan) | yuan per visit hour | churn of the visited, without → with | simulate s |
|---|---|---|---|---|---|
{rows}

{figure("visits: margin per visit hour, by value at risk vs uniform", round(lift, 3), "(a) uniform 30 days", "> 1", lift > 1, f"{lift:.2f}×")}
"""
    print(body)
    record("visits_world", body)


if __name__ == "__main__":
    main()
