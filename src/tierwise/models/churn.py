"""Churn prediction (R-GRD-8) feeding the churn-warning tag (流失预警, R-GRD-6).

A gradient-boosting classifier (scikit-learn's HistGradientBoostingClassifier: no extra
dependency, handles missing values natively, fast on millions of rows) on point-in-time
features (:mod:`tierwise.models.pit_features`) with labels "no order in the next 60 days"
(:mod:`tierwise.models.snapshots`). Probabilities are calibrated with isotonic regression on a
held-out group of customers, so a churn probability of 0.7 means about 70 % of such customers
churn, and a threshold on it is meaningful to an operations team.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.frozen import FrozenEstimator
from sklearn.metrics import brier_score_loss, roc_auc_score
from sklearn.utils.validation import check_is_fitted

from tierwise.errors import DataError
from tierwise.models._split import group_split
from tierwise.models.pit_features import FEATURE_COLUMNS


def informative(feats: pd.DataFrame) -> pd.DataFrame:
    """The columns with at least two distinct values (an all-empty column, such as the
    festival features on data outside the festival calendar, carries nothing to learn)."""
    keep = [c for c in feats.columns if feats[c].nunique(dropna=True) >= 2]
    if not keep:
        raise DataError("every feature column is constant or empty: nothing to learn from")
    return feats.loc[:, keep]


def feature_matrix(X: pd.DataFrame, columns: tuple[str, ...]) -> pd.DataFrame:
    """The model's feature columns of ``X`` as floats, or a DataError naming what is missing."""
    missing = [c for c in columns if c not in X.columns]
    if missing:
        raise DataError(
            f"the feature table has no column(s) {', '.join(missing)}",
            hint="available columns are: " + ", ".join(map(str, X.columns)),
            missing=missing,
        )
    return X.loc[:, list(columns)].astype("float64")


def training_rows(
    X: pd.DataFrame, features: tuple[str, ...], groups: Any
) -> tuple[pd.DataFrame, Any]:
    """The informative feature columns of ``X`` and the split groups: ``groups``, else
    ``X["customer_id"]`` (a customer's snapshots stay in one split part), else one per row."""
    feats = informative(feature_matrix(X, tuple(features)))
    if groups is None:
        groups = X["customer_id"] if "customer_id" in X.columns else np.arange(len(X))
    return feats, groups


def booster_options(est: Any) -> dict[str, Any]:
    """The HistGradientBoosting settings the churn and value estimators share."""
    return {
        "max_iter": est.max_iter,
        "learning_rate": est.learning_rate,
        "max_leaf_nodes": est.max_leaf_nodes,
        "l2_regularization": est.l2_regularization,
        "random_state": est.random_state,
    }


class ChurnModel(BaseEstimator):  # type: ignore[misc]
    """Calibrated gradient-boosting churn classifier.

    Parameters
    ----------
    features
        Feature columns to use (default: all point-in-time features).
    max_iter, learning_rate, max_leaf_nodes, l2_regularization
        Passed to :class:`~sklearn.ensemble.HistGradientBoostingClassifier`.
    calibration_fraction, holdout_fraction
        Shares of customers kept out of training for the isotonic calibration and for the
        reported metrics.
    random_state
        Seed of the split and of the booster.

    Attributes
    ----------
    classifier_ : HistGradientBoostingClassifier
        The booster, fitted on the training customers.
    calibrated_ : CalibratedClassifierCV
        Isotonic calibration of the frozen booster, fitted on the calibration customers.
    feature_names_in_ : numpy.ndarray
        Feature names used (those of ``features`` with at least two distinct values).
    metrics_ : dict[str, float]
        Hold-out ``auc``, ``brier`` (calibrated), ``brier_uncalibrated``, ``base_rate`` and
        row counts.
    """

    def __init__(
        self,
        features: tuple[str, ...] = FEATURE_COLUMNS,
        max_iter: int = 200,
        learning_rate: float = 0.1,
        max_leaf_nodes: int = 15,
        l2_regularization: float = 1.0,
        calibration_fraction: float = 0.15,
        holdout_fraction: float = 0.15,
        random_state: int | None = 0,
    ) -> None:
        self.features = features
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.max_leaf_nodes = max_leaf_nodes
        self.l2_regularization = l2_regularization
        self.calibration_fraction = calibration_fraction
        self.holdout_fraction = holdout_fraction
        self.random_state = random_state

    def fit(self, X: pd.DataFrame, y: Any, groups: Any = None) -> ChurnModel:
        """Fit on snapshot rows.

        Parameters
        ----------
        X
            Feature table (e.g. :func:`tierwise.models.snapshots.build_snapshots` output).
        y
            1 for churned (no order in the window after the cut), 0 otherwise.
        groups
            Customer id of each row, so a customer's rows stay in one split part (default:
            ``X["customer_id"]`` when present, else each row is its own group).

        Returns
        -------
        ChurnModel
            ``self``, fitted.
        """
        feats, groups = training_rows(X, self.features, groups)
        target = np.asarray(y, dtype=np.int64)
        if len(np.unique(target)) < 2:
            raise DataError("churn labels hold a single class: need churned and retained rows")
        train, calib, hold = group_split(
            groups,
            (
                1.0 - self.calibration_fraction - self.holdout_fraction,
                self.calibration_fraction,
                self.holdout_fraction,
            ),
            self.random_state,
        )
        for part, rows in (("training", train), ("calibration", calib)):
            if len(np.unique(target[rows])) < 2:
                raise DataError(
                    f"the {part} customers hold a single churn class: too few churners",
                    hint="train on more customers or a longer history",
                )
        self.classifier_ = HistGradientBoostingClassifier(**booster_options(self)).fit(
            feats.iloc[train], target[train]
        )
        self.calibrated_ = CalibratedClassifierCV(
            FrozenEstimator(self.classifier_), method="isotonic"
        ).fit(feats.iloc[calib], target[calib])
        self.feature_names_in_ = np.asarray(feats.columns, dtype=object)
        raw = self.classifier_.predict_proba(feats.iloc[hold])[:, 1]
        cal = self.calibrated_.predict_proba(feats.iloc[hold])[:, 1]
        yh = target[hold]
        self.metrics_ = {
            "auc": float(roc_auc_score(yh, cal)) if len(np.unique(yh)) == 2 else float("nan"),
            "brier": float(brier_score_loss(yh, cal)),
            "brier_uncalibrated": float(brier_score_loss(yh, raw)),
            "base_rate": float(yh.mean()),
            "rows_train": float(len(train)),
            "rows_calibration": float(len(calib)),
            "rows_holdout": float(len(hold)),
        }
        return self

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray[Any, np.dtype[np.float64]]:
        """Calibrated probabilities, shape (n, 2): columns P(retained), P(churn)."""
        check_is_fitted(self, "calibrated_")
        feats = feature_matrix(X, tuple(self.feature_names_in_))
        return np.asarray(self.calibrated_.predict_proba(feats), dtype=np.float64)

    def predict(self, X: pd.DataFrame) -> np.ndarray[Any, np.dtype[np.int64]]:
        """1 where the calibrated churn probability is at least 0.5."""
        return (self.predict_proba(X)[:, 1] >= 0.5).astype(np.int64)


def churn_warning(
    model: ChurnModel, features: pd.DataFrame, threshold: float = 0.5
) -> pd.DataFrame:
    """The churn-warning tag (流失预警) of each customer.

    Parameters
    ----------
    model
        Fitted churn model.
    features
        Point-in-time features as of the grading date, indexed by customer id.
    threshold
        Calibrated probability from which a customer is flagged.

    Returns
    -------
    pandas.DataFrame
        Same index; ``churn_probability`` and ``churn_warning`` (bool).
    """
    p = model.predict_proba(features)[:, 1]
    return pd.DataFrame(
        {"churn_probability": p, "churn_warning": p >= threshold}, index=features.index
    )
