"""Customer lifetime value: BG/NBD for how many orders, Gamma-Gamma for how much each (R-ANA-2).

:class:`ClvModel` fits both on one RFM summary (:func:`tierwise.models.rfm.rfm_summary`) and
predicts, per customer, P(alive), expected orders and expected spend over a horizon, with
optional discounting. The two sub-models are in :mod:`tierwise.models.bgnbd` and
:mod:`tierwise.models.gamma_gamma` (why numpy/scipy and not pymc-marketing: see there).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from tierwise.errors import UsageError
from tierwise.models._fitting import columns_as_arrays
from tierwise.models.bgnbd import BetaGeoModel
from tierwise.models.gamma_gamma import GammaGammaModel

PREDICTION_COLUMNS = ("p_alive", "expected_orders", "expected_order_value", "expected_spend")


class ClvModel(BaseEstimator):  # type: ignore[misc]
    """BG/NBD + Gamma-Gamma customer-lifetime-value model.

    Parameters
    ----------
    unit_days
        Length in days of the summary's time unit (recorded so horizons can be given in days).
    penalizer_coef
        L2 penalty passed to both sub-models.
    n_starts, random_state
        Multi-start settings passed to both sub-models.

    Attributes
    ----------
    purchases_ : BetaGeoModel
        Fitted BG/NBD model.
    spend_ : GammaGammaModel
        Fitted Gamma-Gamma model.
    params_ : dict[str, float]
        All parameters: ``r, alpha, a, b`` and ``p, q, gamma``.
    log_likelihood_ : dict[str, float]
        Log-likelihood of each sub-model.
    """

    def __init__(
        self,
        unit_days: float = 7.0,
        penalizer_coef: float = 0.0,
        n_starts: int = 4,
        random_state: int | None = 0,
    ) -> None:
        self.unit_days = unit_days
        self.penalizer_coef = penalizer_coef
        self.n_starts = n_starts
        self.random_state = random_state

    def fit(self, X: pd.DataFrame, y: Any = None, sample_weight: Any = None) -> ClvModel:
        """Fit both sub-models on an RFM summary with a ``monetary_value`` column.

        Returns
        -------
        ClvModel
            ``self``, fitted.
        """
        pen, starts, seed = self.penalizer_coef, self.n_starts, self.random_state
        self.purchases_ = BetaGeoModel(pen, starts, seed).fit(X, sample_weight=sample_weight)
        self.spend_ = GammaGammaModel(pen, starts, seed).fit(X, sample_weight=sample_weight)
        self.params_ = {**self.purchases_.params_, **self.spend_.params_}
        self.log_likelihood_ = {
            "bgnbd": self.purchases_.log_likelihood_,
            "gamma_gamma": self.spend_.log_likelihood_,
        }
        return self

    def predict_frame(
        self,
        X: pd.DataFrame,
        horizon_days: float,
        *,
        discount_rate: float = 0.0,
        step_days: float = 30.0,
    ) -> pd.DataFrame:
        """P(alive), expected orders, expected order value and expected spend per customer.

        Parameters
        ----------
        X
            RFM summary (index = customer id) with ``frequency, recency, T, monetary_value``.
        horizon_days
            Horizon of the expectations, in days.
        discount_rate
            Discount rate per ``step_days`` period (e.g. 0.01 a month). With a positive rate,
            spend expected in each period is discounted by (1 + rate)^k, k = 1, 2, ...
        step_days
            Length of a discounting period in days.

        Returns
        -------
        pandas.DataFrame
            Same index as ``X``; columns ``p_alive``, ``expected_orders``,
            ``expected_order_value``, ``expected_spend``.
        """
        check_is_fitted(self, "params_")
        if horizon_days < 0 or step_days <= 0 or discount_rate < 0:
            raise UsageError(
                "horizon_days and discount_rate must be >= 0 and step_days > 0, got "
                f"{horizon_days}, {discount_rate}, {step_days}"
            )
        columns_as_arrays(X, ("frequency", "recency", "T", "monetary_value"), "the RFM summary")
        unit = float(self.unit_days)
        orders = self.purchases_.conditional_expected_purchases(horizon_days / unit, X)
        value = self.spend_.conditional_expected_average_value(X)
        if discount_rate > 0:
            edges = np.append(np.arange(step_days, horizon_days, step_days), horizon_days)
            cum = [np.zeros(len(X))] + [
                self.purchases_.conditional_expected_purchases(e / unit, X) for e in edges
            ]
            per_step = np.diff(np.vstack(cum), axis=0)
            factors = (1.0 + discount_rate) ** -np.arange(1, len(edges) + 1)
            spend = value * (factors @ per_step)
        else:
            spend = value * orders
        return pd.DataFrame(
            {
                "p_alive": self.purchases_.conditional_probability_alive(X),
                "expected_orders": orders,
                "expected_order_value": value,
                "expected_spend": spend,
            },
            index=X.index,
        )
