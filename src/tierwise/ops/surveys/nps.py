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


#: the columns of the two-phase result, one row per tier
TWO_PHASE = ("tier", "population", "answers", "nonrespondents", "subsampled", "answers_followup",
             "nps_two_phase", "low_two_phase", "high_two_phase")  # fmt: skip


def _d(score: pd.Series) -> np.ndarray:
    s = score.astype(int).to_numpy()
    return np.where(s >= 9, 1.0, np.where(s <= 6, -1.0, 0.0))


def nps_two_phase(
    answers: pd.DataFrame,
    population: pd.DataFrame,
    subsample: pd.Series,
    followup: pd.DataFrame,
) -> pd.DataFrame:
    """NPS per tier from a survey and a follow-up of a random subsample of its
    non-respondents (two-phase sampling for non-response, Hansen & Hurwitz 1946).

    ``answers`` (customer_id, score): the first wave's answers; ``population`` (customer_id,
    tier, cell): its recipients; ``subsample``: the customer ids drawn among the
    non-respondents for the follow-up (e.g. the manager's call); ``followup`` (customer_id,
    score): the follow-up's answers.

    In a tier of N recipients, the n₁ respondents of the first wave stand for themselves
    (weight 1) and the m non-respondents are represented by the follow-up's answers: in each
    cell c of the tier the m_c non-respondents are shared among its r_c follow-up answers
    (weight m_c / r_c, i.e. 1 / subsample fraction, corrected for the follow-up's own
    non-response within the cell; a tier where some cell with non-respondents got no
    follow-up answer is taken as one cell). The estimate is
    (Σ_respondents d + Σ_c m_c ȳ_c) / N, with d = +1, 0, −1 as in :func:`nps_by_tier`.

    Variance (Cochran, *Sampling Techniques*, 13.5, per cell): the first phase's
    s²/N (s² the weighted variance of d; the wave's own draw from the tier, no finite
    population correction, as :func:`nps_by_tier`) plus the second phase's
    Σ_c (m_c / N)² (1 − r_c / m_c) s_c² / r_c (s_c² the variance of d among the cell's
    follow-up answers; the tier's pooled one when a cell has fewer than 2). A tier with
    non-respondents and no follow-up answer gets NaN (nothing stands for them)."""
    check_answers(answers)
    check_answers(followup)
    pop = population[["customer_id", "tier", "cell"]].drop_duplicates("customer_id")
    key = pop["tier"].astype(object).where(pop["tier"].notna(), "\0")
    pop = pop.assign(key=key.to_numpy())
    got1 = set(answers["customer_id"].astype(str))
    sub = set(subsample.astype(str))
    a1 = answers[["customer_id", "score"]].merge(pop, on="customer_id", how="inner")
    a2 = followup[["customer_id", "score"]].merge(pop, on="customer_id", how="inner")
    a2 = a2[a2["customer_id"].isin(sub) & ~a2["customer_id"].isin(got1)]
    rows = []
    for k_, part in pop.groupby("key", sort=False):
        tier = None if k_ == "\0" else k_
        p1, p2 = a1[a1["key"] == k_], a2[a2["key"] == k_]
        n = len(part)
        miss = part[~part["customer_id"].isin(got1)]
        m = len(miss)
        k = int(miss["customer_id"].isin(sub).sum())
        d1, d2 = _d(p1["score"]), _d(p2["score"])
        est: tuple[float, float, float] = (np.nan, np.nan, np.nan)
        if m == 0 and len(d1):
            est = _estimate(d1, np.ones_like(d1))
        elif m and len(d2):
            m_c = miss.groupby("cell").size()
            r_c = p2.groupby("cell").size()
            if not set(m_c.index) <= set(r_c.index):  # a cell nobody answers for: one cell
                m_c = pd.Series({"*": m})
                cells = np.full(len(p2), "*", dtype=object)
            else:
                cells = p2["cell"].to_numpy()
            w2 = np.array([m_c[c] / r_c_ for c, r_c_ in zip(cells, _counts(cells), strict=True)])
            d = np.concatenate([d1, d2])
            w = np.concatenate([np.ones_like(d1), w2])
            mean = float(np.sum(w * d) / n)
            s2 = float(np.sum(w * (d - mean) ** 2) / max(np.sum(w) - 1, 1))
            var = s2 / n
            pooled = float(np.var(d2, ddof=1)) if len(d2) > 1 else 0.0
            for c, mc in m_c.items():
                dc = d2[cells == c]
                rc = len(dc)
                sc = float(np.var(dc, ddof=1)) if rc > 1 else pooled
                var += (mc / n) ** 2 * (1 - rc / mc) * sc / rc
            half = Z95 * np.sqrt(var)
            est = (100 * mean, 100 * (mean - half), 100 * (mean + half))
        rows.append((tier, n, len(p1), m, k, len(p2), *est))
    return pd.DataFrame(rows, columns=list(TWO_PHASE))


def _counts(cells: np.ndarray) -> np.ndarray:
    """For each element, how many elements share its value."""
    _, inv, cnt = np.unique(cells.astype(str), return_inverse=True, return_counts=True)
    return cnt[inv]
