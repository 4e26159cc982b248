"""The statistics of an experiment (R-ANA-5): pure functions on arrays, no I/O.

Where statsmodels or SciPy have the computation it is theirs: the power check is
statsmodels' ``NormalIndPower``; the sample-ratio check is SciPy's chi-square test; the
agreement of a spot check is a Wilson interval (``proportion_confint``). Written here: the
always-valid (mSPRT) confidence sequence of Johari, Pekelis & Walsh (2017) and the ROI
interval (neither library has them), and the cluster-robust OLS of the difference in means
(t intervals with clusters − 1 degrees of freedom, as statsmodels' ``use_t=True``),
statsmodels' formula without its cost (see :func:`_ols`; tested against statsmodels).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import stats as sps
from statsmodels.stats.power import NormalIndPower
from statsmodels.stats.proportion import proportion_confint

from tierwise.errors import DataError

Array = npt.NDArray[np.float64]

#: a sample-ratio mismatch is flagged below this p-value (the usual, strict threshold: an
#: SRM means the assignment or the logging is broken, so false alarms must be rare)
SRM_P = 0.001


@dataclass(frozen=True)
class Effect:
    """Treatment minus control mean of a metric per unit, with its interval."""

    effect: float
    se: float
    ci_low: float
    ci_high: float
    p_value: float
    mean_control: float
    mean_treatment: float
    n_control: int
    n_treatment: int
    clusters: int
    cuped: bool
    #: 1 - (se with the covariate / se without)², what CUPED removed (0 without covariate)
    variance_reduction: float = 0.0
    #: what the pre/post correlation predicts CUPED removes: rho² of the units (accounts)
    #: within arms (0 without covariate)
    predicted_reduction: float = 0.0
    #: degrees of freedom of the t interval and p-value: clusters − 1 (clustered), else N − K
    df: int = 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _ols(
    y: Array, columns: list[Array], codes: npt.NDArray[np.intp], *, clustered: bool
) -> tuple[float, float, float, int]:
    """OLS of ``y`` on a constant and ``columns``; the first column's (coef, se, p, df), with
    cluster-robust errors over ``codes`` (0..G-1; every row its own code gives HC1).

    The sandwich is statsmodels' ``cov_type="cluster"`` (CR1: G/(G-1)·(N-1)/(N-K)), written
    with ``np.bincount`` because statsmodels spends nearly all of a 200 000-account analysis
    in ``np.unique`` of the groups (several calls per fit). Inference uses Student's t with
    statsmodels' ``use_t=True`` degrees of freedom: G − 1 when ``clustered`` (the clustered
    variance has only G independent pieces, so with few accounts a normal interval is too
    narrow), N − K for HC1. The tests check it against statsmodels to the last digit.
    """
    exog = np.column_stack([np.ones_like(y), *columns])
    n, k = exog.shape
    bread = np.linalg.inv(exog.T @ exog)
    beta = bread @ (exog.T @ y)
    scores = exog * (y - exog @ beta)[:, None]
    g = int(codes.max()) + 1
    sums = np.column_stack([np.bincount(codes, scores[:, j], minlength=g) for j in range(k)])
    correction = g / (g - 1) * (n - 1) / (n - k)
    cov = correction * bread @ (sums.T @ sums) @ bread
    se = float(np.sqrt(cov[1, 1]))
    est = float(beta[1])
    df = g - 1 if clustered else n - k
    p = float(2 * sps.t.sf(abs(est / se), df)) if se > 0 else 1.0
    return est, se, p, df


def difference_in_means(
    y: npt.ArrayLike,
    treated: npt.ArrayLike,
    *,
    groups: npt.ArrayLike | None = None,
    covariate: npt.ArrayLike | None = None,
    alpha: float = 0.05,
) -> Effect:
    """Difference in means of ``y`` between treated (1) and control (0) rows.

    Parameters
    ----------
    y:
        The metric, one value per row (an outlet or an account).
    treated:
        1 for rows of the treatment arm, 0 for the control arm.
    groups:
        The randomisation unit of each row (the account): standard errors are clustered by
        it, so outlets of one chain count as one unit. Without it, heteroscedasticity-robust
        (HC1) errors, right when each row is its own unit.
    covariate:
        The pre-period value of the metric (CUPED): the effect is the coefficient of
        ``treated`` in ``y ~ treated + (x - mean x)``, the regression form of CUPED, which
        keeps the estimate unbiased and narrows the interval by about ``rho²``.
    alpha:
        1 - the interval's coverage.
    """
    yv = np.asarray(y, dtype=np.float64)
    t = np.asarray(treated, dtype=np.float64)
    if yv.shape != t.shape or yv.ndim != 1:
        raise DataError("y and treated must be 1-d arrays of the same length")
    n_t, n_c = int(t.sum()), int((1 - t).sum())
    if n_t < 2 or n_c < 2:
        raise DataError(
            f"an arm has fewer than 2 units (treatment {n_t}, control {n_c})",
            hint="an experiment needs members in every arm",
        )
    clustered = groups is not None
    if groups is None:
        codes = np.arange(len(yv), dtype=np.intp)
    else:
        codes = pd.factorize(np.asarray(groups))[0].astype(np.intp)
    clusters = int(codes.max()) + 1 if len(codes) else 0
    if clustered and clusters < 2:
        raise DataError(
            f"the rows come from {clusters} account(s): a clustered interval needs at least 2",
            hint="an experiment needs accounts in every arm",
        )
    if float(np.ptp(yv)) == 0.0:  # nobody's metric moved (e.g. no complaints at all)
        v = float(yv[0])
        return Effect(0.0, 0.0, 0.0, 0.0, 1.0, v, v, n_c, n_t, clusters, False)
    est, se, p, df = _ols(yv, [t], codes, clustered=clustered)
    reduction = predicted = 0.0
    if covariate is not None:
        x = np.asarray(covariate, dtype=np.float64)
        if x.shape != yv.shape:
            raise DataError("the covariate must have one value per row")
        if float(np.std(x)) > 0:
            raw_se = se
            est, se, p, df = _ols(yv, [t, x - x.mean()], codes, clustered=clustered)
            reduction = 1.0 - (se / raw_se) ** 2 if raw_se > 0 else 0.0
            predicted = _pooled_rho(yv, x, t, codes) ** 2
    crit = float(sps.t.ppf(1 - alpha / 2, df))
    return Effect(
        effect=est,
        se=se,
        ci_low=est - crit * se,
        ci_high=est + crit * se,
        p_value=p,
        mean_control=float(yv[t == 0].mean()),
        mean_treatment=float(yv[t == 1].mean()),
        n_control=n_c,
        n_treatment=n_t,
        clusters=clusters,
        cuped=covariate is not None,
        variance_reduction=reduction,
        predicted_reduction=predicted,
        df=df,
    )


def _pooled_rho(y: Array, x: Array, t: Array, codes: npt.NDArray[np.intp]) -> float:
    """Correlation of y and x within arms (the treatment shift removed), at the level of the
    randomisation unit: with clusters, of the accounts' sums, since that is the variance the
    clustered standard error measures."""
    yc = y - np.where(t == 1, y[t == 1].mean(), y[t == 0].mean())
    xc = x - np.where(t == 1, x[t == 1].mean(), x[t == 0].mean())
    yc, xc = np.bincount(codes, yc), np.bincount(codes, xc)
    den = float(np.sqrt((yc**2).sum() * (xc**2).sum()))
    return float((yc * xc).sum() / den) if den > 0 else 0.0


def always_valid_interval(
    effect: float, se: float, *, tau: float, alpha: float = 0.05
) -> tuple[float, float]:
    """The mSPRT confidence sequence at one look (Johari, Pekelis & Walsh 2017).

    With a normal mixture N(0, tau²) over the effect, the interval
    ``effect ± sqrt(V (V + tau²) / tau² · (log((V + tau²) / V) + 2 log(1/alpha)))``, V = se²,
    covers the true effect at every look at once with probability 1 - alpha, so it can be
    read daily and the experiment stopped when it excludes 0 without inflating false
    positives. ``tau`` is the scale of effects one expects (the design's minimum detectable
    effect is a good choice). Hand-written: neither statsmodels nor SciPy has it.
    """
    if se <= 0 or tau <= 0:
        raise DataError(f"always-valid interval needs se > 0 and tau > 0 (se={se}, tau={tau})")
    v, t2 = se * se, tau * tau
    half = math.sqrt(v * (v + t2) / t2 * (math.log((v + t2) / v) + 2 * math.log(1 / alpha)))
    return effect - half, effect + half


@dataclass(frozen=True)
class Power:
    """Minimum detectable effect of a design, with and without the pre-period covariate."""

    n_control: int
    n_treatment: int
    sd: float
    rho: float
    alpha: float
    power: float
    mde: float
    mde_cuped: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def minimum_detectable_effect(
    sd: float,
    n_control: int,
    n_treatment: int,
    *,
    rho: float = 0.0,
    alpha: float = 0.05,
    power: float = 0.8,
) -> Power:
    """The smallest true effect a two-sided test at ``alpha`` detects with ``power``.

    ``sd`` is the unit-level standard deviation of the metric (from the pre-period, over a
    window as long as the experiment's); ``rho`` the correlation between the pre-period and
    the experiment window's value, so CUPED's MDE is ``mde · sqrt(1 - rho²)``. The
    standardised effect comes from statsmodels' ``NormalIndPower``.
    """
    if n_control < 2 or n_treatment < 2:
        raise DataError(f"too few units for a power check ({n_control} and {n_treatment})")
    es = NormalIndPower().solve_power(
        nobs1=n_treatment, ratio=n_control / n_treatment, alpha=alpha, power=power
    )
    mde = float(es) * sd
    return Power(
        n_control=n_control,
        n_treatment=n_treatment,
        sd=sd,
        rho=rho,
        alpha=alpha,
        power=power,
        mde=mde,
        mde_cuped=mde * math.sqrt(max(0.0, 1.0 - rho * rho)),
    )


@dataclass(frozen=True)
class SampleRatio:
    """Sample-ratio-mismatch check: do the arms' sizes match the allocation?"""

    observed: list[int]
    expected: list[float]
    p_value: float
    mismatch: bool


def sample_ratio_check(counts: list[int], weights: list[float]) -> SampleRatio:
    """Chi-square test of the arms' unit counts against the designed allocation (SciPy)."""
    total = sum(counts)
    w = np.asarray(weights, dtype=np.float64)
    expected = (w / w.sum() * total).tolist()
    if total == 0:
        return SampleRatio(list(counts), expected, 1.0, False)
    p = float(sps.chisquare(np.asarray(counts, dtype=np.float64), f_exp=expected).pvalue)
    return SampleRatio(list(counts), expected, p, p < SRM_P)


@dataclass(frozen=True)
class Roi:
    """Incremental margin per yuan of treatment cost, with its interval."""

    incremental: float
    incremental_low: float
    incremental_high: float
    cost: float
    roi: float | None
    roi_low: float | None
    roi_high: float | None


def return_on_investment(effect: Effect, n_treated: int, cost: float) -> Roi:
    """ROI = incremental net margin of the treated units / what the treatment cost.

    The incremental margin is the per-unit effect times the treated units; the cost is the
    money actually given (rebates, coupons, discounts) and is known, so the ROI's interval
    is the effect's interval divided by the same cost. ROI > 0 means the treatment paid for
    itself *after* its cost (the metric is already net of it).
    """
    inc = effect.effect * n_treated
    lo, hi = effect.ci_low * n_treated, effect.ci_high * n_treated
    if cost <= 0:
        return Roi(inc, lo, hi, cost, None, None, None)
    return Roi(inc, lo, hi, cost, inc / cost, lo / cost, hi / cost)


@dataclass(frozen=True)
class Agreement:
    """Share of reviewed items a reviewer agreed with, with a Wilson interval."""

    agreed: int
    reviewed: int
    rate: float | None
    ci_low: float | None
    ci_high: float | None


def agreement(agreed: int, reviewed: int, alpha: float = 0.05) -> Agreement:
    """The agreement rate of a spot check (statsmodels' Wilson interval)."""
    if reviewed == 0:
        return Agreement(0, 0, None, None, None)
    lo, hi = proportion_confint(agreed, reviewed, alpha=alpha, method="wilson")
    return Agreement(agreed, reviewed, agreed / reviewed, float(lo), float(hi))
