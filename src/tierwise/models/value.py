"""Value prediction (R-GRD-8): each customer's spend in the next 90 days.

Gradient-boosting regression with a Poisson loss (spend is non-negative, skewed and often 0;
the log link fits multiplicative effects) on the same point-in-time snapshots as the churn
model (:mod:`tierwise.models.snapshots`, label ``future_spend``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.metrics import mean_absolute_error
from sklearn.utils.validation import check_is_fitted

from tierwise.errors import DataError
from tierwise.models._split import group_split
from tierwise.models.churn import booster_options, feature_matrix, training_rows
from tierwise.models.pit_features import FEATURE_COLUMNS
from tierwise.models.ranking import ranking_metrics


class ValueModel(BaseEstimator):  # type: ignore[misc]
    """Gradient-boosting regressor of next-period spend.

    Parameters
    ----------
    features
        Feature columns (default: all point-in-time features).
    max_iter, learning_rate, max_leaf_nodes, l2_regularization
        Passed to :class:`~sklearn.ensemble.HistGradientBoostingRegressor`.
    holdout_fraction
        Share of customers kept out for the reported metrics.
    random_state
        Seed of the split and the booster.

    Attributes
    ----------
    regressor_ : HistGradientBoostingRegressor
        The fitted booster.
    feature_names_in_ : numpy.ndarray
        Feature names used (those of ``features`` with at least two distinct values).
    metrics_ : dict[str, float]
        Hold-out ``mae``, ``spearman`` and top-5 % / top-20 % precision, capture and lift
        (:func:`tierwise.models.ranking.ranking_metrics`).
    """

    def __init__(
        self,
        features: tuple[str, ...] = FEATURE_COLUMNS,
        max_iter: int = 200,
        learning_rate: float = 0.1,
        max_leaf_nodes: int = 31,
        l2_regularization: float = 1.0,
        holdout_fraction: float = 0.2,
        random_state: int | None = 0,
    ) -> None:
        self.features = features
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.max_leaf_nodes = max_leaf_nodes
        self.l2_regularization = l2_regularization
        self.holdout_fraction = holdout_fraction
        self.random_state = random_state

    def fit(self, X: pd.DataFrame, y: Any, groups: Any = None) -> ValueModel:
        """Fit on snapshot rows; ``y`` is the spend in the window after each cut (≥ 0).

        Returns
        -------
        ValueModel
            ``self``, fitted.
        """
        feats, groups = training_rows(X, self.features, groups)
        target = np.asarray(y, dtype=np.float64)
        if (target < 0).any() or not np.isfinite(target).all():
            raise DataError("future spend must be finite and non-negative")
        train, hold = group_split(
            groups, (1.0 - self.holdout_fraction, self.holdout_fraction), self.random_state
        )
        self.regressor_ = HistGradientBoostingRegressor(
            loss="poisson", **booster_options(self)
        ).fit(feats.iloc[train], target[train])
        self.feature_names_in_ = np.asarray(feats.columns, dtype=object)
        pred = self.regressor_.predict(feats.iloc[hold])
        self.metrics_ = {
            "mae": float(mean_absolute_error(target[hold], pred)),
            **ranking_metrics(pred, target[hold]),
            "rows_train": float(len(train)),
            "rows_holdout": float(len(hold)),
        }
        return self

    def predict(self, X: pd.DataFrame) -> np.ndarray[Any, np.dtype[np.float64]]:
        """Expected spend in the next period for each row of ``X``."""
        check_is_fitted(self, "regressor_")
        feats = feature_matrix(X, tuple(self.feature_names_in_))
        return np.asarray(self.regressor_.predict(feats), dtype=np.float64)
