"""Default risk (R-OPS-4, issue 22 item 1): the chance that a customer has an invoice more
than 30 days overdue in the next 90 days, from point-in-time features.

Features come from the feature catalogue (:func:`tierwise.features.build.build_features`,
only rows on or before ``as_of``) plus two trends computed the same way 90 days earlier.
The label of a snapshot at ``as_of`` is 1 when an invoice of the customer reaches 30 days past
its due date inside ``(as_of, as_of + 90]`` without being paid in full by then.

Two candidates, picked by a backtest on a later period (bench/bench_credit.py, docs/credit.md):

- ``gbm``: LightGBM with monotone constraints (a worse payment history never lowers the
  risk), reason codes from its own per-feature contributions (``pred_contrib``);
- ``logistic``: a logistic regression on standardised features (the classic scorecard's
  linear form), reason codes from coefficient × (value − mean).

Both are calibrated with isotonic regression on customers held out of the fit.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Literal

import lightgbm as lgb
import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss, roc_auc_score
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import check_is_fitted

from tierwise.errors import DataError
from tierwise.features.build import GROUP_TABLES, build_features, groups_for
from tierwise.features.sources import connect, open_lake
from tierwise.lake import LakeLocation
from tierwise.models._split import group_split

Method = Literal["gbm", "logistic"]
HORIZON_DAYS = 90
OVERDUE_DAYS = 30
_CATALOG_FEATURES = (
    "on_time_payment_rate",
    "overdue_amount",
    "invoices_due",
    "complaints_lookback",
    "complaint_rate",
    "legal_disputes",
    "tenure_days",
    "orders_90d",
    "spend_90d",
    "spend_growth",
    "return_rate",
    "business_type",
)
#: model inputs; +1 = risk rises with the value, -1 = falls, 0 = free (LightGBM's constraints)
FEATURES: dict[str, int] = {
    "on_time_payment_rate": -1,
    "on_time_trend": -1,
    "overdue_amount": 1,
    "overdue_trend": 1,
    "invoices_due": 0,
    "complaints_lookback": 1,
    "complaint_rate": 1,
    "legal_disputes": 1,
    "tenure_days": -1,
    "orders_90d": 0,
    "spend_90d": 0,
    "spend_growth": -1,
    "return_rate": 1,
    "is_chain": 0,
}
#: what a finance user reads for a feature pushing risk up (zh, en); {v} is the value
REASONS: dict[str, tuple[str, str]] = {
    "on_time_payment_rate": ("按时付款率低（{v:.0%}）", "low on-time payment rate ({v:.0%})"),
    "on_time_trend": ("按时付款率下降（{v:+.0%}）", "on-time payment rate falling ({v:+.0%})"),
    "overdue_amount": ("当前逾期金额 {v:,.0f} 元", "{v:,.0f} yuan overdue now"),
    "overdue_trend": (
        "逾期金额比 90 天前增加 {v:,.0f} 元",
        "overdue {v:+,.0f} yuan vs 90 days ago",
    ),
    "invoices_due": ("账单记录 {v:.0f} 张", "{v:.0f} invoices on record"),
    "complaints_lookback": ("投诉 {v:.0f} 次", "{v:.0f} complaints"),
    "complaint_rate": ("投诉率 {v:.0%}", "complaint rate {v:.0%}"),
    "legal_disputes": ("法律纠纷 {v:.0f} 起", "{v:.0f} legal disputes"),
    "tenure_days": ("合作时间短（{v:.0f} 天）", "short relationship ({v:.0f} days)"),
    "orders_90d": ("近 90 天订单 {v:.0f} 笔", "{v:.0f} orders in 90 days"),
    "spend_90d": ("近 90 天采购 {v:,.0f} 元", "{v:,.0f} yuan bought in 90 days"),
    "spend_growth": ("采购额下降（{v:+.0%}）", "spend falling ({v:+.0%})"),
    "return_rate": ("退货率 {v:.0%}", "return rate {v:.0%}"),
    "is_chain": ("单店/连锁类型", "business type"),
}


def _features_at(lake: LakeLocation, as_of: dt.date) -> pd.DataFrame:
    con = connect()
    tables = open_lake(
        con, lake, {t for g in groups_for(_CATALOG_FEATURES) for t in GROUP_TABLES[g]}
    )
    expr = build_features(tables, as_of, lookback_days=365, names=_CATALOG_FEATURES)
    df: pd.DataFrame = con.execute(expr)
    return df.set_index("entity_id")


def risk_features(lake: LakeLocation, as_of: dt.date) -> pd.DataFrame:
    """One row per customer (index ``customer_id``) with the :data:`FEATURES` as of ``as_of``.

    Only rows on or before ``as_of`` are read; the trends compare with the same features
    90 days earlier (customers who did not exist then get a trend of 0).
    """
    now = _features_at(lake, as_of)
    before = _features_at(lake, as_of - dt.timedelta(days=HORIZON_DAYS)).reindex(now.index)
    out = now.drop(columns=["business_type"]).astype("float64")
    out["is_chain"] = (now["business_type"] == "chain").astype("float64")
    out["on_time_trend"] = (
        now["on_time_payment_rate"] - before["on_time_payment_rate"].fillna(1.0)
    ).astype("float64")
    out["overdue_trend"] = (now["overdue_amount"] - before["overdue_amount"].fillna(0.0)).astype(
        "float64"
    )
    out.index.name = "customer_id"
    return out.loc[:, list(FEATURES)]


def default_labels(
    lake: LakeLocation, as_of: dt.date, customers: pd.Index, horizon_days: int = HORIZON_DAYS
) -> pd.Series:
    """1 for each customer with an invoice reaching 30 days overdue, unpaid in full, within
    ``(as_of, as_of + horizon_days]``; 0 otherwise (aligned to ``customers``).

    Raises
    ------
    DataError
        When the lake's payments do not reach the end of the label window.
    """
    con = connect()
    tables = open_lake(con, lake, ("invoices", "payments"))
    inv: pd.DataFrame = con.execute(tables["invoices"])
    pay: pd.DataFrame = con.execute(tables["payments"])
    end = as_of + dt.timedelta(days=horizon_days)
    seen = [d for d in (inv["issue_date"].max(), pay["paid_date"].max()) if pd.notna(d)]
    last_seen = max(pd.Timestamp(d).date() for d in seen) if seen else None
    if last_seen is None or last_seen < end:
        latest = "" if last_seen is None else str(last_seen - dt.timedelta(days=horizon_days))
        raise DataError(
            f"the lake's invoices and payments end on {last_seen}, before the label window "
            f"ends ({end})",
            hint=f"use an as_of on or before {latest or 'the end of the data minus 90 days'}",
        )
    inv = inv.assign(
        due=pd.to_datetime(inv["due_date"]).dt.date,
        amount=inv["amount"].astype("float64"),
    )
    crossing = inv["due"].map(lambda d: d + dt.timedelta(days=OVERDUE_DAYS))
    inv = inv.assign(cross=crossing)
    inv = inv[(inv["cross"] > as_of) & (inv["cross"] <= end)]
    pay = pay.assign(day=pd.to_datetime(pay["paid_date"]).dt.date)
    merged = pay.merge(inv[["invoice_id", "cross"]], on="invoice_id")
    paid = (
        merged[merged["day"] <= merged["cross"]]
        .groupby("invoice_id")["amount"]
        .sum()
        .astype("float64")
    )
    inv = inv.assign(paid=inv["invoice_id"].map(paid).fillna(0.0))
    bad = inv[inv["paid"] < inv["amount"] - 0.005]["customer_id"].unique()
    return pd.Series(customers.isin(bad).astype(np.int64), index=customers, name="default")


def snapshots(lake: LakeLocation, as_ofs: list[dt.date]) -> tuple[pd.DataFrame, pd.Series]:
    """Stacked (features, labels) of several snapshot dates; rows keyed by customer and date."""
    xs, ys = [], []
    for d in as_ofs:
        x = risk_features(lake, d)
        x = x[x["orders_90d"] + x["invoices_due"] > 0]  # only customers with recent business
        ys.append(default_labels(lake, d, x.index))
        xs.append(x.assign(as_of=d))
    return pd.concat(xs), pd.concat(ys)


@dataclass(frozen=True)
class Reason:
    """One reason code of a risk score: the feature, its value, its push on the log-odds."""

    feature: str
    value: float
    push: float

    def text(self, lang: str = "zh") -> str:
        zh, en = REASONS[self.feature]
        return (zh if lang == "zh" else en).format(v=self.value)


class CreditRiskModel(BaseEstimator):  # type: ignore[misc]
    """Calibrated default-risk classifier with reason codes.

    Parameters
    ----------
    method
        ``gbm`` (LightGBM, monotone constraints) or ``logistic`` (scorecard form).
    calibration_fraction
        Share of customers held out of the fit for the isotonic calibration.
    n_estimators, learning_rate, num_leaves
        LightGBM settings (``gbm`` only).
    random_state
        Seed of the split and the booster.

    Attributes
    ----------
    booster_ : lightgbm.LGBMClassifier or LogisticRegression
    scaler_ : StandardScaler (``logistic``)
    calibrator_ : IsotonicRegression, raw score → probability
    means_ : numpy.ndarray, training means (the reference of reason codes)
    """

    def __init__(
        self,
        method: Method = "gbm",
        calibration_fraction: float = 0.25,
        n_estimators: int = 200,
        learning_rate: float = 0.05,
        num_leaves: int = 15,
        random_state: int = 0,
    ) -> None:
        self.method = method
        self.calibration_fraction = calibration_fraction
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.random_state = random_state

    def fit(self, X: pd.DataFrame, y: Any, groups: Any = None) -> CreditRiskModel:
        """Fit on snapshot rows ``X`` (columns :data:`FEATURES`) and 0/1 labels ``y``."""
        feats = _matrix(X)
        target = np.asarray(y, dtype=np.int64)
        if len(np.unique(target)) < 2:
            raise DataError("default labels hold a single class: need defaulters and others")
        g = np.asarray(X.index if groups is None else groups)
        train, calib = group_split(
            g, (1 - self.calibration_fraction, self.calibration_fraction), self.random_state
        )
        if self.method == "gbm":
            self.booster_: Any = lgb.LGBMClassifier(
                n_estimators=self.n_estimators,
                learning_rate=self.learning_rate,
                num_leaves=self.num_leaves,
                min_child_samples=20,
                monotone_constraints=list(FEATURES.values()),
                random_state=self.random_state,
                n_jobs=1,
                verbose=-1,
            ).fit(feats[train], target[train])
        elif self.method == "logistic":
            self.scaler_ = StandardScaler().fit(feats[train])
            self.booster_ = LogisticRegression(C=1.0, max_iter=1000).fit(
                self.scaler_.transform(feats[train]), target[train]
            )
        else:
            raise DataError(f"unknown risk model method {self.method!r}", hint="gbm or logistic")
        self.means_ = feats[train].mean(axis=0)
        self.calibrator_ = IsotonicRegression(out_of_bounds="clip", y_min=0, y_max=1).fit(
            self._raw(feats[calib]), target[calib]
        )
        return self

    def _raw(self, feats: np.ndarray) -> np.ndarray:
        if self.method == "gbm":
            return np.asarray(self.booster_.predict(feats, raw_score=True), dtype=np.float64)
        return np.asarray(
            self.booster_.decision_function(self.scaler_.transform(feats)), dtype=np.float64
        )

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """Calibrated probability of default, shape (n,)."""
        check_is_fitted(self, "calibrator_")
        return np.asarray(self.calibrator_.predict(self._raw(_matrix(X))), dtype=np.float64)

    def contributions(self, X: pd.DataFrame) -> np.ndarray:
        """Each feature's push on the raw score, shape (n, features)."""
        check_is_fitted(self, "calibrator_")
        feats = _matrix(X)
        if self.method == "gbm":
            contrib = self.booster_.predict(feats, pred_contrib=True)
            return np.asarray(contrib, dtype=np.float64)[:, :-1]
        coef = self.booster_.coef_[0] / self.scaler_.scale_
        return np.asarray((feats - self.means_) * coef, dtype=np.float64)

    def reasons(self, X: pd.DataFrame, top: int = 3) -> list[list[Reason]]:
        """The up to ``top`` features pushing each customer's risk up most (positive pushes),
        among the features with a monotone direction (payment, overdue, complaints, disputes,
        tenure, spend trend, returns)."""
        contrib = self.contributions(X)
        # only features with a direction a finance user can act on (not volume or type)
        contrib[:, [i for i, d in enumerate(FEATURES.values()) if d == 0]] = 0.0
        values = _matrix(X)
        names = list(FEATURES)
        out = []
        for i in range(len(values)):
            order = np.argsort(-contrib[i])[:top]
            row = [Reason(names[j], float(values[i, j]), float(contrib[i, j])) for j in order]
            out.append([r for r in row if r.push > 0])
        return out


def _matrix(X: pd.DataFrame) -> np.ndarray:
    missing = [c for c in FEATURES if c not in X.columns]
    if missing:
        raise DataError(
            f"the risk feature table has no column(s) {', '.join(missing)}",
            hint="build it with tierwise.models.credit_risk.risk_features",
        )
    return X.loc[:, list(FEATURES)].to_numpy(dtype=np.float64)


def evaluate(y: Any, p: Any, bins: int = 10) -> dict[str, Any]:
    """AUC, Brier score and a reliability table (deciles of predicted risk)."""
    y = np.asarray(y, dtype=np.int64)
    p = np.asarray(p, dtype=np.float64)
    frame = pd.DataFrame({"y": y, "p": p})
    frame["bin"] = pd.qcut(frame["p"].rank(method="first"), bins, labels=False)
    table = frame.groupby("bin").agg(
        n=("y", "size"), predicted=("p", "mean"), observed=("y", "mean")
    )
    return {
        "auc": float(roc_auc_score(y, p)) if len(np.unique(y)) == 2 else float("nan"),
        "brier": float(brier_score_loss(y, p)),
        "base_rate": float(y.mean()),
        "rows": len(y),
        "reliability": table.reset_index(drop=True).to_dict("records"),
    }
