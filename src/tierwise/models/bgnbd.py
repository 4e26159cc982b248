"""BG/NBD model of repeat purchasing (Fader, Hardie & Lee 2005, "Counting your customers the
easy way").

While alive, a customer buys as a Poisson process with rate λ ~ Gamma(r, α); after each
purchase she drops out with probability p ~ Beta(a, b). From a customer's ``frequency`` (repeat
purchases x), ``recency`` (t_x) and age ``T`` it gives P(alive) and expected purchases.

Why numpy/scipy rather than pymc-marketing or lifetimes: pymc-marketing pulls in about 800 MB
(PyMC, PyTensor, a C compiler at run time) and its MAP fit takes seconds where this one takes
milliseconds; lifetimes is unmaintained and needs shims to import with pandas 3. The
log-likelihood and its gradient are closed-form and vectorised with ``scipy.special``, so a fit
over 2 M customers takes seconds (see ``bench/bench_models.py``). Both are checked against the
paper and against lifetimes in ``tests/models/test_bgnbd.py``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.special import betaln, digamma, expit, gammaln, hyp2f1
from sklearn.utils.validation import check_is_fitted

from tierwise.errors import DataError
from tierwise.models._fitting import (
    FloatArray,
    MultiStartModel,
    Objective,
    check_weights,
    columns_as_arrays,
)

RFM_COLUMNS = ("frequency", "recency", "T")
PARAM_NAMES = ("r", "alpha", "a", "b")


def _rfm(X: Any) -> tuple[FloatArray, FloatArray, FloatArray]:
    x, t_x, T = columns_as_arrays(X, RFM_COLUMNS, "the RFM summary")
    if (x < 0).any() or (np.floor(x) != x).any():
        raise DataError("frequency must hold non-negative whole numbers (repeat purchases)")
    if (t_x < 0).any() or (t_x > T + 1e-9).any():
        bad = int(((t_x < 0) | (t_x > T + 1e-9)).sum())
        raise DataError(
            f"{bad} customer(s) have a recency below 0 or above T",
            hint="recency is the time from first to last purchase and cannot exceed T",
        )
    return x, t_x, T


def bgnbd_log_likelihood(
    params: FloatArray,
    x: FloatArray,
    t_x: FloatArray,
    T: FloatArray,
    x_codes: tuple[FloatArray, NDArray[np.intp]] | None = None,
) -> tuple[FloatArray, FloatArray]:
    """Per-customer log-likelihood and its gradient with respect to (r, α, a, b).

    Parameters
    ----------
    params
        (r, α, a, b).
    x, t_x, T
        Frequency, recency and age of each customer.
    x_codes
        ``np.unique(x, return_inverse=True)``, if already known. The special functions
        depend on x only, and x takes few distinct values (tens to hundreds for millions of
        customers), so they are evaluated once per distinct value: this makes a fit over
        2 M customers about ten times faster.

    Returns
    -------
    (ll, grad)
        ``ll`` has shape (n,), ``grad`` shape (4, n). Equation (6) of Fader, Hardie & Lee
        (2005), written in logs: ll = A1 + A2 + log(exp(A3) + [x > 0] exp(A4)).
    """
    r, alpha, a, b = (float(v) for v in params)
    xu, inv = x_codes if x_codes is not None else np.unique(x, return_inverse=True)
    # Terms of x alone, on the distinct values.
    has_u = xu > 0
    bx1_u = np.where(has_u, b + xu - 1.0, 1.0)  # b + x - 1 only matters where x > 0
    a12_u = gammaln(r + xu) - gammaln(r) + r * np.log(alpha) + betaln(a, b + xu) - betaln(a, b)
    psi_abx_u = digamma(a + b + xu)
    g_r_u = digamma(r + xu) - digamma(r) + np.log(alpha)
    g_a_u = digamma(a + b) - psi_abx_u
    g_b_u = digamma(a + b) - digamma(b) + digamma(b + xu) - psi_abx_u
    log_a4_u = np.where(has_u, np.log(a) - np.log(bx1_u), -np.inf)

    rx = r + x
    log_at = np.log(alpha + T)
    log_atx = np.log(alpha + t_x)
    a3 = -rx * log_at
    a4 = log_a4_u[inv] - rx * log_atx
    tail = np.logaddexp(a3, a4)
    ll = a12_u[inv] + tail

    w4 = np.exp(a4 - tail)  # share of the "dropped out after the last purchase" branch
    w3 = 1.0 - w4
    g_r = g_r_u[inv] - w3 * log_at - w4 * log_atx
    g_alpha = r / alpha - rx * (w3 / (alpha + T) + w4 / (alpha + t_x))
    g_a = g_a_u[inv] + w4 / a
    g_b = g_b_u[inv] - w4 / bx1_u[inv]
    return ll, np.vstack([g_r, g_alpha, g_a, g_b])


def _objective(
    x: FloatArray, t_x: FloatArray, T: FloatArray, w: FloatArray, pen: float
) -> Objective:
    """Mean negative log-likelihood (plus L2 penalty) and its gradient in log-parameters."""
    codes = np.unique(x, return_inverse=True)
    total = float(w.sum())

    def objective(log_p: FloatArray) -> tuple[float, FloatArray]:
        p = np.exp(log_p)
        ll, grad = bgnbd_log_likelihood(p, x, t_x, T, codes)
        value = -float(ll @ w) / total + pen * float(p @ p)
        g = -(grad @ w) / total + 2.0 * pen * p
        return value, g * p  # chain rule to log-parameters

    return objective


class BetaGeoModel(MultiStartModel):
    """BG/NBD model, fitted by maximum likelihood.

    Parameters
    ----------
    penalizer_coef
        L2 penalty on the parameters (as in lifetimes); 0 for plain maximum likelihood.
    n_starts
        Number of L-BFGS-B starting points (the best optimum is kept).
    random_state
        Seed of the extra starting points.
    max_iter
        Iteration limit of each L-BFGS-B run.
    multistart_sample
        With more customers than this, the starts run on a random subsample of this size
        and only the distinct optima found are refined on all customers (0: all starts on
        all customers).

    Attributes
    ----------
    params_ : dict[str, float]
        Fitted ``r``, ``alpha``, ``a``, ``b``.
    log_likelihood_ : float
        Total log-likelihood at the optimum (weighted by ``sample_weight``).
    n_customers_ : int
        Number of customers (sum of weights) fitted on.
    converged_ : bool
        Whether the best L-BFGS-B run reported convergence.
    start_objectives_ : tuple[float, ...]
        Objective reached from each start (mean negative log-likelihood, on the subsample
        when one is used), for diagnosis.
    """

    def fit(self, X: Any, y: Any = None, sample_weight: Any = None) -> BetaGeoModel:
        """Fit on an RFM summary.

        Parameters
        ----------
        X
            DataFrame with columns ``frequency``, ``recency``, ``T`` (e.g. from
            :func:`tierwise.models.rfm.rfm_summary`) or an (n, 3) array in that order.
        y
            Ignored (scikit-learn's signature).
        sample_weight
            Optional count of customers sharing each row (to fit on de-duplicated rows).

        Returns
        -------
        BetaGeoModel
            ``self``, fitted.
        """
        x, t_x, T = _rfm(X)
        w = check_weights(sample_weight, len(x))
        if float(w.sum()) <= 0:
            raise DataError("cannot fit the BG/NBD model on zero customers")
        res = self._fit_log_params(
            _objective, (x, t_x, T), w, PARAM_NAMES,
            lambda p: bgnbd_log_likelihood(p, x, t_x, T)[0],
        )  # fmt: skip
        self.start_objectives_ = res.objectives
        return self

    def _p(self) -> tuple[float, float, float, float]:
        check_is_fitted(self, "params_")
        return tuple(self.params_[k] for k in PARAM_NAMES)  # type: ignore[return-value]

    def conditional_probability_alive(self, X: Any) -> FloatArray:
        """P(customer still alive | frequency, recency, T) for each row of ``X``."""
        r, alpha, a, b = self._p()
        x, t_x, T = _rfm(X)
        has = x > 0
        bx1 = np.where(has, b + x - 1.0, 1.0)
        log_odds_dead = (
            np.log(a) - np.log(bx1) + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x))
        )
        # With no repeat purchase the model has had no chance to drop out: P(alive) = 1.
        return np.where(has, expit(-log_odds_dead), 1.0)

    def conditional_expected_purchases(self, t: float, X: Any) -> FloatArray:
        """Expected purchases in (T, T + t] for each customer, given their history.

        Parameters
        ----------
        t
            Horizon, in the summary's time unit.
        X
            RFM summary (see :meth:`fit`).
        """
        r, alpha, a, b = self._p()
        x, t_x, T = _rfm(X)
        if abs(a - 1.0) < 1e-10:
            a = 1.0 + 1e-10  # the closed form has a removable singularity at a = 1
        z = t / (alpha + T + t)
        # The paper's ((α+T)/(α+T+t))^(r+x) · 2F1(r+x, b+x; a+b+x−1; z) under Euler's
        # transformation 2F1(p, q; c; z) = (1−z)^(c−p−q) 2F1(c−p, c−q; c; z): the same value
        # as (1−z)^(a−1) · 2F1(a+b−1−r, a−1; a+b+x−1; z), whose parameters do not grow with
        # x. The original form overflows (0 · inf) for customers with thousands of purchases.
        bracket = 1.0 - (1.0 - z) ** (a - 1.0) * hyp2f1(
            a + b - 1.0 - r, a - 1.0, a + b + x - 1.0, z
        )
        head = (a + b + x - 1.0) / (a - 1.0) * bracket
        has = x > 0
        bx1 = np.where(has, b + x - 1.0, 1.0)
        odds_dead = np.where(
            has,
            a / bx1 * np.exp((r + x) * (np.log(alpha + T) - np.log(alpha + t_x))),
            0.0,
        )
        return np.asarray(head / (1.0 + odds_dead), dtype=np.float64)

    def expected_purchases(self, t: float | FloatArray) -> FloatArray:
        """Expected purchases of a new customer in (0, t] (unconditional)."""
        r, alpha, a, b = self._p()
        t_arr = np.asarray(t, dtype=np.float64)
        if abs(a - 1.0) < 1e-10:
            a = 1.0 + 1e-10
        bracket = 1.0 - (alpha / (alpha + t_arr)) ** r * hyp2f1(
            r, b, a + b - 1.0, t_arr / (alpha + t_arr)
        )
        return np.asarray((a + b - 1.0) / (a - 1.0) * bracket, dtype=np.float64)
