"""Learned policy weights (R-GRD-8, R-GRD-12): which features, how much, to rank future value.

Each feature is percentile-normalized within its cut date (as a ``weighted`` policy with
``normalize: percentile`` does at grading time) and oriented so that higher means more future
value (a feature whose Spearman correlation with future spend is negative, like days since
the last order, is flipped). Non-negative least squares of the percentile rank of future
spend on those columns then gives non-negative magnitudes; a flipped feature's weight is
emitted with a minus sign, which under percentile normalization ranks exactly like the flipped
feature. Least squares on ranks maximizes a Pearson-on-ranks (Spearman-like) fit, is convex
and takes milliseconds, unlike optimizing Spearman or NDCG directly (not differentiable).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import yaml
from scipy.optimize import nnls
from scipy.stats import spearmanr
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from tierwise.errors import DataError
from tierwise.models._split import group_split
from tierwise.models.churn import feature_matrix
from tierwise.models.ranking import ranking_metrics

#: Candidate features, named as in the canonical feature catalog so a policy can use them.
WEIGHT_FEATURES: tuple[str, ...] = (
    "days_since_last_order",
    "days_since_first_order",
    "orders_30d",
    "orders_90d",
    "orders_365d",
    "spend_90d",
    "spend_365d",
    "avg_order_value",
    "spend_growth",
    "median_order_gap_days",
)


def percentile_normalize(X: pd.DataFrame, groups: Any = None) -> pd.DataFrame:
    """Percentile of each column within each group, as a ``weighted`` policy computes it.

    Missing values count as 0; the mid-rank (a tied block takes the mean of its positions)
    is rescaled so the lowest value maps to 0 and the highest to 1 (0 everywhere for a
    constant column). This mirrors ``normalize: percentile`` of the policy engine
    (``tierwise.policy.scoring`` on branch ``grade``), so learned weights mean the same
    thing when a policy applies them.
    """
    filled = X.astype("float64").fillna(0.0)
    keys = np.asarray(groups) if groups is not None else np.zeros(len(X))
    grouped = filled.groupby(keys)
    mid = grouped.rank(method="average") - 1.0
    lo = mid.groupby(keys).transform("min")
    hi = mid.groupby(keys).transform("max")
    span = hi - lo
    return ((mid - lo) / span.where(span > 0)).fillna(0.0)


class RankWeights(BaseEstimator):  # type: ignore[misc]
    """Non-negative weights over percentile-normalized features that rank future value.

    Parameters
    ----------
    features
        Candidate feature columns.
    holdout_fraction
        Share of customers kept out for the reported metrics.
    decimals
        Rounding of the emitted weights.
    random_state
        Seed of the customer split.

    Attributes
    ----------
    weights_ : dict[str, float]
        Signed weights summing to 1 in absolute value; features with weight 0 are left out.
    directions_ : dict[str, int]
        +1 when more of the feature means more future value, -1 otherwise.
    metrics_ : dict[str, float]
        On hold-out customers, averaged over cut dates (each one grading date): ranking
        metrics of the learned score (``spearman``, ``top5_precision`` ...) and the same with
        an ``equal_`` prefix for equal weights over the same oriented features.
    """

    def __init__(
        self,
        features: tuple[str, ...] = WEIGHT_FEATURES,
        holdout_fraction: float = 0.2,
        decimals: int = 3,
        random_state: int | None = 0,
    ) -> None:
        self.features = features
        self.holdout_fraction = holdout_fraction
        self.decimals = decimals
        self.random_state = random_state

    def fit(self, X: pd.DataFrame, y: Any, groups: Any = None) -> RankWeights:
        """Fit on snapshot rows.

        Parameters
        ----------
        X
            Feature table; ``cut_date`` and ``customer_id`` columns are used when present.
        y
            Future value (e.g. ``future_spend``) of each row.
        groups
            Normalization groups (default ``X["cut_date"]``: one grading date each).

        Returns
        -------
        RankWeights
            ``self``, fitted.
        """
        feats = feature_matrix(X, tuple(self.features))
        value = pd.Series(np.asarray(y, dtype=np.float64), index=X.index)
        if groups is None:
            groups = X["cut_date"] if "cut_date" in X.columns else np.zeros(len(X))
        groups = np.asarray(groups)
        customers = X["customer_id"] if "customer_id" in X.columns else np.arange(len(X))
        train, hold = group_split(
            customers, (1.0 - self.holdout_fraction, self.holdout_fraction), self.random_state
        )
        pct = percentile_normalize(feats, groups)
        target = value.groupby(groups).rank(pct=True)

        directions = {}
        for col in feats.columns:
            rho = spearmanr(pct[col].iloc[train], target.iloc[train]).statistic
            directions[col] = -1 if np.isfinite(rho) and rho < 0 else 1
        oriented = pct.copy()
        for col, sign in directions.items():
            if sign < 0:
                oriented[col] = 1.0 - oriented[col]

        A = oriented.iloc[train].to_numpy() - 0.5
        b = target.iloc[train].to_numpy() - 0.5
        w, _ = nnls(A, b)
        if w.sum() <= 0:
            raise DataError("no feature ranks future value: all learned weights are 0")
        w = np.round(w / w.sum(), self.decimals)
        self.directions_ = directions
        self.weights_ = {
            col: float(sign * wi)
            for (col, sign), wi in zip(directions.items(), w, strict=True)
            if wi > 0
        }

        per_cut = []
        for g in np.unique(groups[hold]):
            rows = hold[groups[hold] == g]
            if len(rows) < 20:
                continue
            block = oriented.iloc[rows].to_numpy()
            truth = value.iloc[rows].to_numpy()
            per_cut.append(
                {
                    **ranking_metrics(block @ w, truth),
                    **{f"equal_{k}": v for k, v in ranking_metrics(block.mean(1), truth).items()},
                }
            )
        self.metrics_ = (
            {
                **{k: float(np.nanmean([m[k] for m in per_cut])) for k in per_cut[0]},
                "rows_train": float(len(train)),
                "rows_holdout": float(len(hold)),
                "cut_dates_evaluated": float(len(per_cut)),
            }
            if per_cut
            else {"rows_train": float(len(train)), "rows_holdout": float(len(hold))}
        )
        return self

    def score(self, X: pd.DataFrame, groups: Any = None) -> np.ndarray[Any, np.dtype[np.float64]]:
        """The learned score of each row (percentile-normalized within ``groups``), 0..1."""
        check_is_fitted(self, "weights_")
        cols = tuple(self.weights_)
        pct = percentile_normalize(feature_matrix(X, cols), groups)
        w = np.array([abs(self.weights_[c]) for c in cols])
        oriented = np.where(np.array([self.weights_[c] < 0 for c in cols]), 1.0 - pct, pct)
        return np.asarray(oriented @ w / w.sum(), dtype=np.float64)


def proposed_policy_fragment(weights: dict[str, float]) -> str:
    """A ``score`` block for a policy file using the learned weights (method ``weighted``).

    Under ``normalize: percentile`` a negative weight ranks like a positive weight on the
    reversed percentile, so the signed weights can be pasted into a policy as they are.
    """
    if not weights:
        raise DataError("no weights to propose")
    block = {
        "score": {
            "method": "weighted",
            "normalize": "percentile",
            "weights": {k: float(v) for k, v in weights.items()},
        }
    }
    return yaml.safe_dump(block, sort_keys=False, allow_unicode=True)
