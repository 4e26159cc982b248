"""Gamma-Gamma model of spend per transaction (Fader & Hardie, "The Gamma-Gamma Model of
Monetary Value", 2013; Colombo & Jiang 1999).

A customer's transaction values are Gamma(p, ν) with ν ~ Gamma(q, γ) across customers; given x
repeat transactions with mean m_x, it gives the expected average order value. Same numpy/scipy
rationale as :mod:`tierwise.models.bgnbd`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.special import digamma, gammaln
from sklearn.utils.validation import check_is_fitted

from tierwise.errors import DataError
from tierwise.models._fitting import (
    FloatArray,
    MultiStartModel,
    Objective,
    check_weights,
    columns_as_arrays,
)

MONETARY_COLUMNS = ("frequency", "monetary_value")
PARAM_NAMES = ("p", "q", "gamma")


def gamma_gamma_log_likelihood(
    params: FloatArray,
    x: FloatArray,
    m: FloatArray,
    x_codes: tuple[FloatArray, NDArray[np.intp]] | None = None,
) -> tuple[FloatArray, FloatArray]:
    """Per-customer log-likelihood of mean spend ``m`` over ``x`` transactions, and gradient.

    ln f = lnΓ(px+q) − lnΓ(px) − lnΓ(q) + q lnγ + (px−1) ln m + px ln x − (px+q) ln(γ + m x).
    ``x_codes`` (``np.unique(x, return_inverse=True)``) lets the special functions run once
    per distinct x, as in :func:`tierwise.models.bgnbd.bgnbd_log_likelihood`.
    """
    p, q, g = (float(v) for v in params)
    xu, inv = x_codes if x_codes is not None else np.unique(x, return_inverse=True)
    pxu = p * xu
    psi_u = digamma(pxu + q)
    const_u = gammaln(pxu + q) - gammaln(pxu) - gammaln(q) + q * np.log(g) + pxu * np.log(xu)
    g_p_u = xu * (psi_u - digamma(pxu) + np.log(xu))
    g_q_u = psi_u - digamma(q) + np.log(g)

    px = p * x
    gmx = g + m * x
    log_gmx = np.log(gmx)
    log_m = np.log(m)
    ll = const_u[inv] + (px - 1.0) * log_m - (px + q) * log_gmx
    g_p = g_p_u[inv] + x * (log_m - log_gmx)
    g_q = g_q_u[inv] - log_gmx
    g_g = q / g - (px + q) / gmx
    return ll, np.vstack([g_p, g_q, g_g])


def _objective(x: FloatArray, m: FloatArray, w: FloatArray, pen: float) -> Objective:
    """Mean negative log-likelihood (plus L2 penalty) and its gradient in log-parameters."""
    codes = np.unique(x, return_inverse=True)
    total = float(w.sum())

    def objective(log_p: FloatArray) -> tuple[float, FloatArray]:
        p = np.exp(log_p)
        ll, grad = gamma_gamma_log_likelihood(p, x, m, codes)
        value = -float(ll @ w) / total + pen * float(p @ p)
        g = -(grad @ w) / total + 2.0 * pen * p
        return value, g * p

    return objective


class GammaGammaModel(MultiStartModel):
    """Gamma-Gamma model, fitted by maximum likelihood on customers with repeat purchases.

    Parameters
    ----------
    penalizer_coef, n_starts, random_state, max_iter, multistart_sample
        As for :class:`tierwise.models.bgnbd.BetaGeoModel`.

    Attributes
    ----------
    params_ : dict[str, float]
        Fitted ``p``, ``q``, ``gamma`` (lifetimes calls γ ``v``).
    log_likelihood_ : float
        Total log-likelihood at the optimum.
    n_customers_ : int
        Customers fitted on (those with frequency > 0).
    converged_ : bool
        Whether the best L-BFGS-B run reported convergence.
    """

    def fit(self, X: Any, y: Any = None, sample_weight: Any = None) -> GammaGammaModel:
        """Fit on customers' ``frequency`` and ``monetary_value``.

        Rows with ``frequency == 0`` carry no information on spend per repeat transaction and
        are skipped; a repeat buyer with a non-positive mean spend is an error (the model is
        for positive amounts: remove refund-only customers first).

        Parameters
        ----------
        X
            DataFrame with ``frequency`` and ``monetary_value`` or an (n, 2) array.
        y
            Ignored.
        sample_weight
            Optional count of customers sharing each row.

        Returns
        -------
        GammaGammaModel
            ``self``, fitted.
        """
        x, m = columns_as_arrays(X, MONETARY_COLUMNS, "the RFM summary")
        w = check_weights(sample_weight, len(x))
        keep = x > 0
        if (m[keep] <= 0).any():
            raise DataError(
                f"{int((m[keep] <= 0).sum())} repeat customer(s) have monetary_value <= 0",
                hint="the Gamma-Gamma model needs positive spend; drop refund-only customers",
                column="monetary_value",
            )
        x, m, w = x[keep], m[keep], w[keep]
        if float(w.sum()) <= 0:
            raise DataError("cannot fit the Gamma-Gamma model: no customer has a repeat purchase")
        self._fit_log_params(
            _objective, (x, m), w, PARAM_NAMES, lambda p: gamma_gamma_log_likelihood(p, x, m)[0]
        )
        return self

    def conditional_expected_average_value(self, X: Any) -> FloatArray:
        """Expected mean order value of each customer given ``frequency`` and ``monetary_value``.

        A weighted average of the population mean pγ/(q−1) and the customer's own mean; a
        customer without repeat purchases gets the population mean.
        """
        check_is_fitted(self, "params_")
        p, q, g = (self.params_[k] for k in PARAM_NAMES)
        x, m = columns_as_arrays(X, MONETARY_COLUMNS, "the RFM summary")
        m = np.where(x > 0, m, 0.0)
        return np.asarray((g + m * x) * p / (p * x + q - 1.0), dtype=np.float64)

    def population_mean_value(self) -> float:
        """Mean spend per transaction across customers, pγ/(q−1) (infinite when q ≤ 1)."""
        check_is_fitted(self, "params_")
        p, q, g = (self.params_[k] for k in PARAM_NAMES)
        return float(p * g / (q - 1.0)) if q > 1.0 else float("inf")
