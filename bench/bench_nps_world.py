"""NPS by tier on the world (R-OPS-8, issue 26 item 3): two-phase (a follow-up call to a
random share of the non-respondents) vs weighted for non-response vs the naive
respondents-only NPS vs the world's true NPS.

A generated book (20 000 outlets, 12 months) is graded with the default policy as of its last
day (the tiers, :func:`tierwise.world.tiers.book_tiers`) and run forward 30 days with no
treatment; the world surveys every active outlet at the end of the window, and an outlet
answers with chance 0.12 + 0.04 × |satisfaction − 6| (the extremes answer more; score =
round(satisfaction + 1.2 z), docs/generator.md). The estimate is the module's
(:func:`tierwise.ops.surveys.nps.nps_by_tier`): answers weighted by tier × cell, the cell
from the lake only (truth never enters it): complained in the last 365 days (tickets of kind
complaint) × orders in the last 90 days (0, 1-3, 4+). The true NPS of a tier is the expected
NPS if every surveyed outlet answered, from the world's truth of satisfaction
(``truth/latent.parquet`` ``satisfaction_treated``): 100 × mean(P(score ≥ 9) − P(score ≤ 6)).

Two-phase: the module's follow-up draw (:func:`tierwise.ops.surveys.sample.draw_followup`,
``FRACTION`` of each tier's non-respondents); the bench plays the managers' calls: a drawn
outlet answers if the world says it answers a call (``truth/latent.parquet``
``survey_call_answers``, chance 0.62 + 0.03 × |satisfaction − 6|, docs/generator.md) and
gives the score it would have given (``survey_score``). The truth table is read only for the
drawn outlets, as a manager's calls would reveal them; the estimate is
:func:`tierwise.ops.surveys.nps.nps_two_phase`.

Also timed: NPS and intervals for 200 000 answers (target < 5 s).

    flock /work/bench.lock uv run --frozen python -m bench.bench_nps_world
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow.dataset as ds
import pyarrow.parquet as pq
from scipy.stats import norm

from bench.common import figure, machine_facts, record
from tierwise.generate import GenerateConfig, generate
from tierwise.generate.calendar import day_number
from tierwise.ops.surveys.nps import nps_by_tier, nps_two_phase
from tierwise.ops.surveys.sample import draw_followup
from tierwise.world import parse_plan, simulate
from tierwise.world.tiers import TierSource, book_tiers

END = dt.date(2026, 10, 31)
DAYS = 30
CUSTOMERS = int(os.environ.get("TIERWISE_BENCH_NPS_CUSTOMERS", "20000"))
FRACTION = float(os.environ.get("TIERWISE_BENCH_NPS_FRACTION", "0.25"))


def _table(path: Path) -> pd.DataFrame:
    return ds.dataset(path, format="parquet").to_table().to_pandas()


def cells(lake: Path) -> pd.DataFrame:
    """customer_id, cell from the lake only: complained in 365 days × orders in 90 days."""
    con = duckdb.connect()
    o = con.sql(
        f"SELECT customer_id, count(*) AS n FROM read_parquet('{lake}/orders/**/*.parquet') "
        f"WHERE order_time::DATE > DATE '{END - dt.timedelta(days=90)}' GROUP BY 1"
    ).df()
    t = con.sql(
        f"SELECT DISTINCT customer_id FROM read_parquet('{lake}/tickets/**/*.parquet') "
        f"WHERE kind = 'complaint' AND created_time::DATE > DATE '{END - dt.timedelta(days=365)}'"
    ).df()
    cust = _table(lake / "customers")[["customer_id"]].merge(o, on="customer_id", how="left")
    n = cust["n"].fillna(0)
    band = np.where(n == 0, "o0", np.where(n <= 3, "o1-3", "o4+"))
    comp = np.where(cust["customer_id"].isin(set(t["customer_id"])), "complained", "quiet")
    return pd.DataFrame(
        {
            "customer_id": cust["customer_id"],
            "cell": [f"{c}/{b}" for c, b in zip(comp, band, strict=True)],
        }
    )


def true_nps(sat: np.ndarray) -> float:
    """Expected NPS if everyone answered: score = round(sat + 1.2 z) clipped to 0-10."""
    promoter = 1 - norm.cdf((8.5 - sat) / 1.2)
    detractor = norm.cdf((6.5 - sat) / 1.2)
    return float(100 * np.mean(promoter - detractor))


def timed_200k() -> float:
    rng = np.random.default_rng(0)
    n = 200_000
    pop = pd.DataFrame(
        {
            "customer_id": np.arange(2 * n).astype(str),
            "tier": rng.choice(["platinum", "gold", "silver", "bronze"], 2 * n),
            "cell": rng.choice(list("abcdef"), 2 * n),
        }
    )
    ans = pd.DataFrame(
        {
            "customer_id": pop["customer_id"].sample(n, random_state=1).to_numpy(),
            "score": rng.integers(0, 11, n),
        }
    )
    t = time.perf_counter()
    nps_by_tier(ans, pop)
    return time.perf_counter() - t


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="bench-nps-"))
    book = work / "book"
    t0 = time.perf_counter()
    generate(
        GenerateConfig(customers=CUSTOMERS, months=12, seed=26, end_date=END, exports=False), book
    )
    gen_s = time.perf_counter() - t0
    customers = _table(book / "lake" / "customers")
    ids = customers["customer_id"].astype(str).tolist()
    accounts = [None if a is None or a != a else str(a) for a in customers["account_id"]]
    tiers = book_tiers(TierSource(), book, day_number(END), ids, accounts)
    tier_of = pd.DataFrame({"customer_id": ids, "tier": tiers.code.astype(str)})
    plan = parse_plan(
        {"start": (END + dt.timedelta(days=1)).isoformat(), "days": DAYS, "seed": 26, "arms": []}
    )
    out = work / "world"
    simulate(book, plan, out, exports=False)
    sv = _table(out / "lake" / "survey_answers")
    lat = pq.read_table(
        out / "truth" / "latent.parquet",
        columns=["customer_id", "satisfaction_treated", "survey_score", "survey_call_answers"],
    ).to_pandas()
    pop = (
        sv[["customer_id"]]
        .drop_duplicates()
        .merge(tier_of, on="customer_id")
        .merge(cells(book / "lake"), on="customer_id")
    )
    pop = pop[pop["tier"] != ""]
    answers = sv.loc[sv["answered"], ["customer_id", "score"]]
    answers = answers[answers["customer_id"].isin(set(pop["customer_id"]))]
    answers = answers.assign(score=answers["score"].astype(int))
    est = nps_by_tier(answers, pop)
    # phase 2: the module draws the follow-up; the managers' calls reveal the drawn outlets
    miss = pop[~pop["customer_id"].isin(set(answers["customer_id"]))]
    drawn, _ = draw_followup(miss, FRACTION, seed=26)
    called = drawn.merge(lat, on="customer_id")
    called = called[called["survey_call_answers"]]
    followup = called[["customer_id", "survey_score"]].rename(columns={"survey_score": "score"})
    two = nps_two_phase(answers, pop, drawn["customer_id"], followup).set_index("tier")
    sat = pop.merge(lat, on="customer_id")
    truth = {t: true_nps(g["satisfaction_treated"].to_numpy()) for t, g in sat.groupby("tier")}
    everyone = true_nps(sat["satisfaction_treated"].to_numpy())
    order = [lv.code for lv in tiers.levels]
    est = est.set_index("tier").loc[[t for t in order if t in truth]].reset_index()
    lines, err_w, err_n, err_2, covered, covered_2 = [], [], [], [], 0, 0
    for r in est.itertuples(index=False):
        tv = truth[r.tier]
        t2 = two.loc[r.tier]
        err_w.append(abs(r.nps - tv))
        err_n.append(abs(r.nps_unweighted - tv))
        err_2.append(abs(t2.nps_two_phase - tv))
        covered += int(r.low <= tv <= r.high)
        covered_2 += int(t2.low_two_phase <= tv <= t2.high_two_phase)
        lines.append(
            f"| {r.tier} | {r.population:,} | {r.answers:,} ({r.answers / r.population:.0%}) "
            f"| {int(t2.subsampled):,} / {int(t2.answers_followup):,} "
            f"| {tv:+.1f} | **{t2.nps_two_phase:+.1f}** [{t2.low_two_phase:+.1f}, "
            f"{t2.high_two_phase:+.1f}] {'✓' if t2.low_two_phase <= tv <= t2.high_two_phase else '✗'} "
            f"| {r.nps:+.1f} [{r.low:+.1f}, {r.high:+.1f}] {'✓' if r.low <= tv <= r.high else '✗'} "
            f"| {r.nps_unweighted:+.1f} [{r.low_unweighted:+.1f}, {r.high_unweighted:+.1f}] |"
        )
    mae_w, mae_n, mae_2 = float(np.mean(err_w)), float(np.mean(err_n)), float(np.mean(err_2))
    secs = timed_200k()
    rows = "\n".join(lines)
    body = f"""## NPS by tier on the world: two-phase vs weighted vs true vs respondents only (issue 26)

{machine_facts()}

{CUSTOMERS:,} outlets × 12 months, graded with the default policy as of {END}; the world runs
{DAYS} days forward with no treatment and surveys every active outlet at the end (answer
chance 0.12 + 0.04 × |satisfaction − 6|). Weighting cells from the lake only: complained in
365 days × orders in 90 days (0, 1-3, 4+). Two-phase: the module draws {FRACTION:.0%} of each
tier's non-respondents for the manager's follow-up call (answered with chance
0.62 + 0.03 × |satisfaction − 6|, the world's assumption, docs/generator.md); their answers
stand for every non-respondent (Hansen-Hurwitz, weighted by cell within the tier). True NPS:
expected NPS if every surveyed outlet answered, from the world's satisfaction
({everyone:+.1f} over all tiers). Generating took {gen_s:.0f} s.

| tier | surveyed | answers (rate) | drawn / answered the call | true NPS | two-phase NPS [95 %] | weighted one-phase [95 %] | naive (respondents only) [95 %] |
|---|---|---|---|---|---|---|---|
{rows}

Mean absolute error over the tiers: two-phase **{mae_2:.1f}** points, weighted one-phase
**{mae_w:.1f}**, naive **{mae_n:.1f}**; the two-phase interval holds the true NPS in
{covered_2} of {len(err_w)} tiers (weighted one-phase: {covered} of {len(err_w)}). NPS and
intervals for 200 000 answers: {secs:.2f} s.

{figure("nps: mean abs. error of the two-phase NPS vs the naive one, by tier", round(mae_2 / mae_n, 3) if mae_n else None, "naive respondents-only NPS", "< 1", mae_2 < mae_n, f"{mae_2:.1f} vs {mae_n:.1f} points (weighted one-phase {mae_w:.1f})")}
{figure("nps: two-phase 95 % intervals holding the true NPS", None, "the true NPS per tier", f"{len(err_w)} of {len(err_w)}", covered_2 == len(err_w), f"{covered_2} of {len(err_w)}")}
{figure("nps: 200 000 answers estimated", None, "-", "< 5 s", secs < 5, f"{secs:.2f} s")}
"""
    print(body)
    record("nps_world", body)


if __name__ == "__main__":
    main()
