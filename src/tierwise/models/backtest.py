"""Backtest (R-ANA-7, R-GRD-11): grade as of past dates, score against what customers then spent.

For each ``as_of`` date every scorer ranks the customers known then (an order in the year
before ``as_of``) from data up to ``as_of`` only; the truth is each customer's spend in the
following period (default 90 days), computed from the same orders. Top tiers are the top 5 %
(Platinum, R-GRD-3) and top 20 % (Platinum + Gold) by score, compared with the top 5 % / 20 %
by next-period spend: precision (= recall, the sets have equal size), capture of next-period
spend, lift, and Spearman over everyone.

Scorers are functions ``(orders, as_of, con)`` returning either a Series (score per
customer, higher is better; its top 5 % / 20 % are the "top tiers", ties broken by a seeded
random order) or, for a policy, a DataFrame with ``score`` and ``tier_rank``: the customers
the policy itself put in its first tier / first two tiers are the top tiers, as the grading
engine assigned them (ties share a tier, so a coarse score's top tier may hold more than
5 %: precision and recall then differ).

:func:`policy_scorer` grades through the real engine (:func:`tierwise.features.build.
build_features` then :func:`tierwise.policy.engine.grade_frame`, as ``tierwise grade`` does)
from the lake's tables as of each date; :func:`backtest` grades all the policy scorers of a
date from one feature build (:func:`grade_policies`: the union of the features they read).
:func:`default_scorers` compares, on the seed policy's
eligibility and percentile tiers (``policies/kuailv.yaml``): the seed RFM formula, quantile
RFM, a weighted score (the ``value`` preset), the learned weights (fitted on snapshots
strictly before the date, offered as a ``weighted`` policy) and ``model`` score policies fed by
the CLV model's expected spend and by the value model's prediction (fitted as of the date).
Layers, segments and tags are dropped: they do not move a score or a tier, and they read
tables (lines, finance) an orders-only source such as CDNOW does not have.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import duckdb
import ibis
import numpy as np
import pandas as pd

from tierwise.engines.output import materialize
from tierwise.errors import UsageError
from tierwise.features.build import GROUP_TABLES, build_features, groups_for
from tierwise.features.catalog import CATALOG
from tierwise.features.context import Entity
from tierwise.features.sources import connect, open_lake
from tierwise.lake import LakeLocation
from tierwise.models.clv import ClvModel
from tierwise.models.pit_features import point_in_time_features
from tierwise.models.ranking import ranking_metrics
from tierwise.models.rfm import as_relation, rfm_summary
from tierwise.models.snapshots import build_snapshots, labels_after, training_cut_dates
from tierwise.models.value import ValueModel
from tierwise.models.weights import RankWeights
from tierwise.policy import DEFAULT_POLICY, load_policy
from tierwise.policy.engine import grade_frame, required_features
from tierwise.policy.load import parse_policy
from tierwise.policy.schema import Policy

Scorer = Callable[
    [duckdb.DuckDBPyRelation, date, duckdb.DuckDBPyConnection], pd.Series | pd.DataFrame
]
#: What a policy scorer grades with as of a date: the policy and, for a ``model`` score, the
#: table (``entity_id`` + the score column) the policy's ``path`` would point to.
PolicyMaker = Callable[
    [duckdb.DuckDBPyRelation, date, duckdb.DuckDBPyConnection], tuple[Policy, pd.DataFrame | None]
]
SEED_POLICY = DEFAULT_POLICY.parent / "kuailv.yaml"


def _features(
    rel: duckdb.DuckDBPyRelation, as_of: date, con: duckdb.DuckDBPyConnection
) -> pd.DataFrame:
    return point_in_time_features(rel, as_of, active_days=365, con=con)


def scoring_only(policy: Policy) -> Policy:
    """``policy`` without layers, segments, tags, benefits and the model predictions they
    read (none of them ever moves a tier)."""
    return policy.model_copy(
        update={"layers": {}, "segments": None, "tags": [], "benefits": {}, "predictions": None}
    )


def with_score(policy: Policy, score: dict[str, Any], name: str) -> Policy:
    """``policy`` with another ``score`` block, validated like a policy file."""
    data = scoring_only(policy).model_dump(mode="json")
    data.update(name=name, score=score)
    return parse_policy(data, source=f"<{name}>")


def grade_policies(
    lake: LakeLocation, as_of: date, made: Sequence[tuple[Policy, pd.DataFrame | None]]
) -> list[pd.DataFrame]:
    """Grade several policies as of one date from one feature build: ``score`` and
    ``tier_rank`` per entity for each (``tier_rank`` empty for the ineligible).

    Policies with the same lookback and entity share one feature table holding the union of
    the features they read: a feature's value does not depend on which others are built with
    it (one column each, left-joined onto the entities), so each policy is graded exactly as
    on its own build. Different lookbacks or entities get their own build.
    """
    backend = connect()
    groups: dict[tuple[int, Entity], list[int]] = {}
    for i, (policy, _) in enumerate(made):
        groups.setdefault((policy.lookback_days, policy.entity), []).append(i)
    out: list[pd.DataFrame | None] = [None] * len(made)
    for (lookback, entity), members in groups.items():
        wanted = {n for i in members for n in required_features(made[i][0])}
        names = [n for n in CATALOG if n in wanted]  # catalog order, as required_features
        tables = open_lake(
            backend, lake, sorted({t for g in groups_for(names) for t in GROUP_TABLES[g]})
        )
        built = build_features(tables, as_of, lookback_days=lookback, entity=entity, names=names)
        # computed once (a temporary table of this connection), read by every policy
        feats = materialize(backend, built, "backtest_features").table
        for i in members:
            policy, model = made[i]
            table = None if model is None else ibis.memtable(model)
            graded = grade_frame(feats, policy, table).select("entity_id", "score", "tier_rank")
            frame: pd.DataFrame = backend.execute(graded).set_index("entity_id")
            frame.loc[frame["tier_rank"].isna(), "score"] = np.nan  # the ineligible rank last
            out[i] = frame
    return [f for f in out if f is not None]


@dataclass(frozen=True)
class PolicyScorer:
    """A scorer that grades through the policy engine as of each date (``make`` gives the
    policy of the date). Called alone it builds its own features; :func:`backtest` grades
    all its policy scorers of a date together, from one feature build."""

    lake: LakeLocation
    make: PolicyMaker

    def __call__(
        self, rel: duckdb.DuckDBPyRelation, as_of: date, con: duckdb.DuckDBPyConnection
    ) -> pd.DataFrame:
        return grade_policies(self.lake, as_of, [self.make(rel, as_of, con)])[0]


def policy_scorer(lake: LakeLocation, make: PolicyMaker) -> PolicyScorer:
    """Grade through the policy engine as of each date: ``score`` and ``tier_rank`` per
    entity (``tier_rank`` empty for the ineligible)."""
    return PolicyScorer(lake, make)


def fixed_policy(policy: Policy) -> PolicyMaker:
    """The same policy at every date."""
    pol = scoring_only(policy)

    def make(
        rel: duckdb.DuckDBPyRelation, as_of: date, con: duckdb.DuckDBPyConnection
    ) -> tuple[Policy, pd.DataFrame | None]:
        return pol, None

    return make


def model_policy(base: Policy, column: str, predict: Scorer) -> PolicyMaker:
    """``base`` scored by a ``model`` score on ``column``, predicted as of each date."""
    pol = with_score(
        base, {"method": "model", "column": column, "path": f"{column}.parquet"}, base.name
    )

    def make(
        rel: duckdb.DuckDBPyRelation, as_of: date, con: duckdb.DuckDBPyConnection
    ) -> tuple[Policy, pd.DataFrame | None]:
        pred = predict(rel, as_of, con)
        assert isinstance(pred, pd.Series)
        frame = pd.DataFrame({"entity_id": pred.index.astype(str), column: pred.to_numpy()})
        return pol, frame

    return make


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


def learned_weights_policy(
    base: Policy,
    period_days: int = 90,
    n_cuts: int = 12,
    every_days: int = 14,
    cache: SnapshotCache | None = None,
) -> PolicyMaker:
    """``base`` with a ``weighted`` score whose weights are learned on snapshots before each
    date (the proposal ``tierwise model weights`` writes)."""
    shared: SnapshotCache = cache if cache is not None else {}

    def make(
        rel: duckdb.DuckDBPyRelation, as_of: date, con: duckdb.DuckDBPyConnection
    ) -> tuple[Policy, pd.DataFrame | None]:
        snap = _training_snapshots(rel, as_of, con, period_days, n_cuts, every_days, shared)
        weights = RankWeights().fit(snap, snap["future_spend"]).weights_
        score = {"method": "weighted", "normalize": "percentile", "weights": weights}
        return with_score(base, score, base.name), None

    return make


def default_scorers(
    lake: LakeLocation, period_days: int = 90, base: Policy | None = None
) -> dict[str, Scorer]:
    """The policies compared side by side by ``tierwise evaluate``, all graded through the
    engine with ``base``'s eligibility and tiers (default: the seed policy, kuailv.yaml)."""
    base = scoring_only(base if base is not None else load_policy(SEED_POLICY))
    cache: SnapshotCache = {}  # the value model and the weights train on the same snapshots

    def variant(score: dict[str, Any]) -> Scorer:
        return policy_scorer(lake, fixed_policy(with_score(base, score, base.name)))

    return {
        "rfm_seed_formula": policy_scorer(lake, fixed_policy(base)),
        "rfm_quantile": variant({"method": "rfm_quantile"}),
        "weighted_value_preset": variant({"method": "weighted", "preset": "value"}),
        "learned_weights": policy_scorer(
            lake, learned_weights_policy(base, period_days, cache=cache)
        ),
        "model_clv": policy_scorer(
            lake, model_policy(base, "clv", clv_scorer(horizon_days=period_days))
        ),
        "model_value": policy_scorer(
            lake,
            model_policy(base, "predicted_spend", value_model_scorer(period_days, cache=cache)),
        ),
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
        One row per (as_of, scorer): ``customers``, ``spearman`` and, for ``top5`` and
        ``top20``: ``_size`` (share of customers in the top tier(s)), ``_precision``,
        ``_recall``, ``_f1``, ``_capture``, ``_lift``.
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
        population = _features(rel, as_of, con).index.astype(str)
        future = labels_after(
            rel, as_of, churn_window_days=1, value_window_days=period_days, con=con
        )["future_spend"]
        truth = future.set_axis(future.index.astype(str)).reindex(population).fillna(0.0)
        rng = np.random.default_rng(seed)
        jitter = pd.Series(rng.random(len(population)) * 1e-9, index=population)
        graded = _grade_together(scorers, rel, as_of, con)
        for name, scorer in scorers.items():
            result = graded[name] if name in graded else scorer(rel, as_of, con)
            selected = None
            if isinstance(result, pd.DataFrame):  # a policy: its own top tiers
                result = result.set_axis(result.index.astype(str))
                ranks = result["tier_rank"].reindex(population)
                selected = {0.05: (ranks <= 0).to_numpy(), 0.20: (ranks <= 1).to_numpy()}
                result = result["score"]
            raw = result.set_axis(result.index.astype(str)).reindex(population).astype("float64")
            # Unscored customers rank last; ties are broken at random (jitter below any gap).
            score = raw.rank(method="average").fillna(0.0) + jitter
            rows.append(
                {
                    "as_of": as_of,
                    "scorer": name,
                    "customers": len(population),
                    **ranking_metrics(score.to_numpy(), truth.to_numpy(), selected),
                }
            )
    return pd.DataFrame(rows)


def _grade_together(
    scorers: Mapping[str, Scorer],
    rel: duckdb.DuckDBPyRelation,
    as_of: date,
    con: duckdb.DuckDBPyConnection,
) -> dict[str, pd.DataFrame]:
    """The policy scorers' results as of ``as_of``, graded from one feature build per
    (lookback, entity) instead of one per policy (all policies of a date on one lake)."""
    by_lake: dict[str, list[tuple[str, PolicyScorer]]] = {}
    for name, scorer in scorers.items():
        if isinstance(scorer, PolicyScorer):
            by_lake.setdefault(str(scorer.lake), []).append((name, scorer))
    out: dict[str, pd.DataFrame] = {}
    for members in by_lake.values():
        made = [s.make(rel, as_of, con) for _, s in members]
        frames = grade_policies(members[0][1].lake, as_of, made)
        out |= {name: f for (name, _), f in zip(members, frames, strict=True)}
    return out


def improvement_over(results: pd.DataFrame, baseline: str, metric: str = "top20_f1") -> pd.Series:
    """Relative change of ``metric`` of each scorer over ``baseline``, averaged over dates."""
    mean = results.groupby("scorer")[metric].mean()
    if baseline not in mean:
        raise UsageError(f"no scorer called {baseline!r}", hint="scorers: " + ", ".join(mean.index))
    return pd.Series(mean / mean[baseline] - 1.0)
