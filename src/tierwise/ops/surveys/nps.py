"""NPS per tier with a 95 % interval, weighted for non-response (pure; R-OPS-8).

NPS = 100 × (share of promoters, 9-10 − share of detractors, 0-6). People who answer a survey
are not like those who do not (active outlets answer more), so each answer is weighted by
the inverse of its cell's response rate: ``weight = customers of the cell / answers of the
cell``, a cell being tier × ``cell`` (e.g. an activity band) of the surveyed population. The
estimate is the weighted mean of d = +1 (promoter), 0 (passive), −1 (detractor); its variance
is the linearised (ratio-estimator) one, Σ w²(d − d̄)² / (Σ w)² × n / (n − 1), and the interval
is ±1.96 standard errors (normal approximation; fine from a few dozen answers). Unweighted
figures (every weight 1) are given beside the weighted ones, with the number of answers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from tierwise.errors import DataError

Z95 = 1.959963984540054
#: the columns of the result, one row per tier
OUTPUT = ("tier", "answers", "population", "nps", "low", "high", "nps_unweighted",
          "low_unweighted", "high_unweighted")  # fmt: skip


def check_answers(answers: pd.DataFrame) -> None:
    """Refuse answers outside 0-10 (or not whole numbers) and a second answer from one
    customer: one DataError listing every bad row."""
    problems = []
    s = pd.to_numeric(answers["score"], errors="coerce")
    bad = answers.index[~(s.between(0, 10) & (s == s.round()))]
    raw = answers["score"].tolist()
    ids = answers["customer_id"].astype(str).tolist()
    pos = {k: j for j, k in enumerate(answers.index)}
    for i in bad[:20]:
        v = raw[pos[i]]
        shown = f"{v:g}" if isinstance(v, float) else str(v)
        problems.append(f"row {i}: score {shown} is not a whole number 0-10")
    dup = answers["customer_id"].duplicated(keep="first")
    for i in answers.index[dup][:20]:
        problems.append(f"row {i}: a second answer from customer {ids[pos[i]]}")
    if problems:
        raise DataError(
            f"{len(bad) + int(dup.sum())} bad answer(s): " + "; ".join(problems),
            hint="scores are 0-10; one answer per customer per survey",
            column="score" if len(bad) else "customer_id",
        )


def _estimate(d: np.ndarray, w: np.ndarray) -> tuple[float, float, float]:
    n = len(d)
    if n == 0:
        return (np.nan, np.nan, np.nan)
    mean = float(np.sum(w * d) / np.sum(w))
    if n < 2:
        return (100 * mean, np.nan, np.nan)
    var = float(np.sum(w**2 * (d - mean) ** 2) / np.sum(w) ** 2 * n / (n - 1))
    half = Z95 * np.sqrt(var)
    return (100 * mean, 100 * (mean - half), 100 * (mean + half))


def nps_by_tier(answers: pd.DataFrame, population: pd.DataFrame) -> pd.DataFrame:
    """NPS per tier from ``answers`` (customer_id, score) of the surveyed ``population``
    (customer_id, tier, cell): see the module's docstring. Returns the columns
    :data:`OUTPUT`; a tier with no answer has NaN figures and 0 answers."""
    check_answers(answers)
    pop = population[["customer_id", "tier", "cell"]].drop_duplicates("customer_id")
    a = answers[["customer_id", "score"]].merge(pop, on="customer_id", how="inner")
    cells = pop.groupby(["tier", "cell"], dropna=False).size().rename("n_pop")
    got = a.groupby(["tier", "cell"], dropna=False).size().rename("n_ans")
    a = a.join((cells / got).rename("w"), on=["tier", "cell"])
    score = a["score"].astype(int).to_numpy()
    a["d"] = np.where(score >= 9, 1.0, np.where(score <= 6, -1.0, 0.0))
    rows = []
    for tier, n_pop in pop.groupby("tier", dropna=False).size().items():
        part = a[a["tier"] == tier] if tier == tier else a[a["tier"].isna()]
        d, w = part["d"].to_numpy(), part["w"].to_numpy()
        rows.append((tier, len(part), int(n_pop), *_estimate(d, w), *_estimate(d, np.ones_like(d))))
    return pd.DataFrame(rows, columns=list(OUTPUT))
