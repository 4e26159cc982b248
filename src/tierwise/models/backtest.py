"""Backtest (R-ANA-7, R-GRD-11): grade as of past dates, score against what customers then spent.

For each ``as_of`` date every scorer ranks the customers known then (an order in the year
before ``as_of``) from data up to ``as_of`` only; the truth is each customer's spend in the
following period (default 90 days), computed from the same orders. Top tiers are the top 5 %
(Platinum, R-GRD-3) and top 20 % (Platinum + Gold) by score, compared with the top 5 % / 20 %
by next-period spend: precision (= recall, the sets have equal size), capture of next-period
spend, lift, and Spearman over everyone.

Scorers are functions ``(orders, as_of, con) -> Series`` (score per customer, higher is
better). Built in: the seed RFM formula (R-GRD-1), quantile RFM, the CLV model (expected
spend), the value model and learned weights (both trained on snapshots strictly before
``as_of``). Ties (the seed formula has few distinct values) are broken by a seeded random
order, so a coarse score gets the precision a random pick among ties would get.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date, timedelta

import duckdb
import numpy as np
import pandas as pd

from tierwise.errors import UsageError
from tierwise.models.clv import ClvModel
from tierwise.models.pit_features import point_in_time_features
from tierwise.models.ranking import ranking_metrics
from tierwise.models.rfm import as_relation, rfm_summary
from tierwise.models.snapshots import build_snapshots, labels_after, training_cut_dates
from tierwise.models.value import ValueModel
from tierwise.models.weights import RankWeights

Scorer = Callable[[duckdb.DuckDBPyRelation, date, duckdb.DuckDBPyConnection], pd.Series]


def _features(
    rel: duckdb.DuckDBPyRelation, as_of: date, con: duckdb.DuckDBPyConnection
) -> pd.DataFrame:
    return point_in_time_features(rel, as_of, active_days=365, con=con)


def rfm_seed_scorer(
    rel: duckdb.DuckDBPyRelation, as_of: date, con: duckdb.DuckDBPyConnection
) -> pd.Series:
    """The seeds' worked example (R-GRD-1): 0.4 r + 0.3 f + 0.3 m on yearly orders and spend."""
    f = _features(rel, as_of, con)
    r = 5 - (f["days_since_last_order"] // 30).clip(upper=4)
    fr = (f["orders_365d"] // 10).clip(upper=5)
    m = (f["spend_365d"] // 10000).clip(upper=5)
    return pd.Series(0.4 * r + 0.3 * fr + 0.3 * m, index=f.index)


def rfm_quantile_scorer(
    rel: duckdb.DuckDBPyRelation, as_of: date, con: duckdb.DuckDBPyConnection
) -> pd.Series:
    """Quintile RFM: 1-5 for each of recency (reversed), orders and spend, summed."""
    f = _features(rel, as_of, con)

    def quintile(s: pd.Series) -> pd.Series:
        return pd.Series(np.ceil(s.rank(pct=True, method="average") * 5), index=s.index)

    return (
        quintile(-f["days_since_last_order"])
        + quintile(f["orders_365d"])
        + quintile(f["spend_365d"])
    )


def clv_scorer(horizon_days: int = 90, unit_days: float = 7.0) -> Scorer:
    """Expected spend over the horizon from BG/NBD + Gamma-Gamma fitted as of the date."""

    def score(
        rel: duckdb.DuckDBPyRelation, as_of: date, con: duckdb.DuckDBPyConnection
    ) -> pd.Series:
        summary = rfm_summary(rel, as_of, unit_days=unit_days, con=con)
        model = ClvModel(unit_days=unit_days).fit(summary)
        return model.predict_frame(summary, horizon_days=horizon_days)["expected_spend"]

    return score


SnapshotCache = dict[tuple[date, int, int, int], pd.DataFrame]


def _training_snapshots(
    rel: duckdb.DuckDBPyRelation,
    as_of: date,
    con: duckdb.DuckDBPyConnection,
    period_days: int,
    n_cuts: int,
    every_days: int,
    cache: SnapshotCache,
) -> pd.DataFrame:
    key = (as_of, period_days, n_cuts, every_days)
    if key not in cache:
        cuts = training_cut_dates(
            as_of, horizon_days=period_days, n_cuts=n_cuts, every_days=every_days
        )
        cache.clear()  # one date at a time: keep memory flat over many dates
        cache[key] = build_snapshots(
            rel,
            cuts,
            as_of,
            churn_window_days=1,
            value_window_days=period_days,
            active_days=365,
            con=con,
        )
    return cache[key]


def value_model_scorer(
    period_days: int = 90,
    n_cuts: int = 12,
    every_days: int = 14,
    cache: SnapshotCache | None = None,
) -> Scorer:
    """Predicted next-period spend from a value model trained on snapshots before the date."""
    shared: SnapshotCache = cache if cache is not None else {}

    def score(
        rel: duckdb.DuckDBPyRelation, as_of: date, con: duckdb.DuckDBPyConnection
    ) -> pd.Series:
        snap = _training_snapshots(rel, as_of, con, period_days, n_cuts, every_days, shared)
        model = ValueModel().fit(snap, snap["future_spend"])
        f = _features(rel, as_of, con)
        return pd.Series(model.predict(f), index=f.index)

    return score


def learned_weights_scorer(
    period_days: int = 90,
    n_cuts: int = 12,
    every_days: int = 14,
    cache: SnapshotCache | None = None,
) -> Scorer:
    """A weighted-percentile score with weights learned on snapshots before the date."""
    shared: SnapshotCache = cache if cache is not None else {}

    def score(
        rel: duckdb.DuckDBPyRelation, as_of: date, con: duckdb.DuckDBPyConnection
    ) -> pd.Series:
        snap = _training_snapshots(rel, as_of, con, period_days, n_cuts, every_days, shared)
        model = RankWeights().fit(snap, snap["future_spend"])
        f = _features(rel, as_of, con)
        return pd.Series(model.score(f), index=f.index)

    return score


def default_scorers(period_days: int = 90) -> dict[str, Scorer]:
    """The scorers compared side by side by ``tierwise evaluate``."""
    cache: SnapshotCache = {}  # the value model and the weights train on the same snapshots
    return {
        "rfm_seed_formula": rfm_seed_scorer,
        "rfm_quantile": rfm_quantile_scorer,
        "clv_expected_spend": clv_scorer(horizon_days=period_days),
        "learned_weights": learned_weights_scorer(period_days, cache=cache),
        "value_model": value_model_scorer(period_days, cache=cache),
    }


def backtest(
    orders: object,
    as_of_dates: Sequence[date],
    scorers: Mapping[str, Scorer],
    *,
    period_days: int = 90,
    seed: int = 0,
    con: duckdb.DuckDBPyConnection | None = None,
) -> pd.DataFrame:
    """Score every scorer at every date against next-period spend.

    Parameters
    ----------
    orders
        Canonical orders (DuckDB relation, Arrow table or DataFrame) covering each date plus
        ``period_days`` after it.
    as_of_dates
        Grading dates to replay.
    scorers
        Name -> scorer.
    period_days
        Length of the "next period" whose spend is the truth.
    seed
        Seed of the random tie-breaking.
    con
        DuckDB connection.

    Returns
    -------
    pandas.DataFrame
        One row per (as_of, scorer): ``customers``, ``spearman``, ``top5_precision``,
        ``top5_capture``, ``top5_lift``, ``top20_precision``, ``top20_capture``, ``top20_lift``.
    """
    con = con if con is not None else duckdb.connect()
    rel = as_relation(orders, con)
    end = rel.query("o", "SELECT MAX(CAST(order_time AS DATE)) FROM o").fetchone()
    last_day = end[0] if end else None
    rows = []
    for as_of in as_of_dates:
        if last_day is None or as_of + timedelta(days=period_days) > last_day:
            raise UsageError(
                f"as_of {as_of} + {period_days} days goes past the last order ({last_day})",
                hint="pick earlier dates: the next period must be known",
            )
        population = _features(rel, as_of, con).index
        truth = (
            labels_after(rel, as_of, churn_window_days=1, value_window_days=period_days, con=con)[
                "future_spend"
            ]
            .reindex(population)
            .fillna(0.0)
        )
        rng = np.random.default_rng(seed)
        jitter = pd.Series(rng.random(len(population)) * 1e-9, index=population)
        for name, scorer in scorers.items():
            raw = scorer(rel, as_of, con).reindex(population).astype("float64")
            # Unscored customers rank last; ties are broken at random (jitter below any gap).
            score = raw.rank(method="average").fillna(0.0) + jitter
            rows.append(
                {
                    "as_of": as_of,
                    "scorer": name,
                    "customers": len(population),
                    **ranking_metrics(score.to_numpy(), truth.to_numpy()),
                }
            )
    return pd.DataFrame(rows)


def improvement_over(
    results: pd.DataFrame, baseline: str, metric: str = "top20_precision"
) -> pd.Series:
    """Relative change of ``metric`` of each scorer over ``baseline``, averaged over dates."""
    mean = results.groupby("scorer")[metric].mean()
    if baseline not in mean:
        raise UsageError(f"no scorer called {baseline!r}", hint="scorers: " + ", ".join(mean.index))
    return pd.Series(mean / mean[baseline] - 1.0)
