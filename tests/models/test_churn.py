"""Churn prediction (R-GRD-8) and the churn-warning tag (R-GRD-6) on generated orders.

The generated outlets (tests/models/conftest.py) include regular weekly buyers who close for
2-3 weeks at every 春节 and come back, and churners who fade out. At a cut date nine days
into the 2026 closure the model must leave the first alone and flag the second.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from cny_history import CUT_IN_CLOSURE, CnyHistory
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from tierwise.errors import DataError
from tierwise.grading.run import run_grading
from tierwise.models.churn import ChurnModel, churn_warning
from tierwise.models.orders_lake import write_orders_lake
from tierwise.models.pit_features import point_in_time_features
from tierwise.models.publish import prediction_table
from tierwise.policy import load_policy


@pytest.fixture(scope="module")
def model(cny_snapshots: pd.DataFrame) -> ChurnModel:
    return ChurnModel().fit(cny_snapshots, cny_snapshots["churned"])


@pytest.fixture(scope="module")
def warnings_at_cut(model: ChurnModel, cny_history: CnyHistory) -> pd.DataFrame:
    features = point_in_time_features(cny_history.orders, CUT_IN_CLOSURE)
    out = churn_warning(model, features).join(features)
    out["kind"] = out.index.map(cny_history.kind)
    return out


def test_weekly_buyers_pausing_for_the_festival_are_not_flagged(
    warnings_at_cut: pd.DataFrame,
) -> None:
    regular = warnings_at_cut[warnings_at_cut["kind"].isin(["weekly", "twice_weekly"])]
    assert len(regular) == 300
    # Every one of them is silent for longer than usual: a recency rule would flag them all.
    assert (regular["recency_gap_ratio"] >= 1.5).mean() > 0.9
    assert regular["churn_warning"].mean() <= 0.01
    assert regular["churn_probability"].mean() < 0.05


def test_churners_fading_out_before_the_festival_are_flagged(
    warnings_at_cut: pd.DataFrame, cny_history: CnyHistory
) -> None:
    fading = warnings_at_cut[warnings_at_cut["kind"] == "fading_now"]
    assert len(fading) == 60
    # They really are gone: not one order after the cut.
    after = cny_history.orders[cny_history.orders["order_time"].dt.date > CUT_IN_CLOSURE]
    assert not set(after["customer_id"]) & set(fading.index)
    assert fading["churn_warning"].mean() >= 0.75
    assert fading["churn_probability"].mean() >= 0.6


def test_probabilities_are_calibrated_and_ranked(model: ChurnModel) -> None:
    m = model.metrics_
    assert m["auc"] > 0.95
    # Calibrated: far better than always predicting the base rate.
    assert m["brier"] < 0.5 * m["base_rate"] * (1 - m["base_rate"])
    assert m["rows_holdout"] > 0


def test_estimator_contract(cny_snapshots: pd.DataFrame) -> None:
    model = ChurnModel(max_iter=20)
    with pytest.raises(NotFittedError):
        model.predict_proba(cny_snapshots)
    assert model.fit(cny_snapshots, cny_snapshots["churned"]) is model
    proba = model.predict_proba(cny_snapshots.head(5))
    assert proba.shape == (5, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert not hasattr(clone(model), "calibrated_")


def test_missing_feature_and_single_class_are_clear_errors(cny_snapshots: pd.DataFrame) -> None:
    with pytest.raises(DataError, match=r"no column.*spend_30d"):
        ChurnModel().fit(cny_snapshots.drop(columns="spend_30d"), cny_snapshots["churned"])
    with pytest.raises(DataError, match="single class"):
        ChurnModel().fit(cny_snapshots, np.zeros(len(cny_snapshots)))


CHURN_POLICY = """
name: churn-risk
title: {zh: 流失风险, en: Churn risk}
score: {method: model, column: churn_probability, path: predictions.parquet}
tiers:
  method: threshold
  levels:
    - {code: at_risk, label: {zh: 流失风险, en: At risk}, when: "score >= 0.5"}
    - {code: normal, label: {zh: 正常, en: Normal}}
tags:
  - code: churn_warning
    label: {zh: 流失预警, en: Churn warning}
    when: "score >= 0.5 and orders_365d >= 6"
"""


def test_a_model_score_policy_sets_the_churn_warning_tag_from_the_trained_model(
    model: ChurnModel, cny_history: CnyHistory, tmp_path: Path
) -> None:
    """The policy slot for a model score, fed by the trained churn model (docs/models.md):
    graded by the real engine, the tag leaves the festival's weekly buyers alone."""
    lake = tmp_path / "lake"
    write_orders_lake(cny_history.orders, lake)
    pred = prediction_table(cny_history.orders, CUT_IN_CLOSURE, churn=model)
    pred.to_parquet(tmp_path / "predictions.parquet")  # what `tierwise model train` writes
    (tmp_path / "churn-risk.yaml").write_text(CHURN_POLICY, encoding="utf-8")
    policy = load_policy(tmp_path / "churn-risk.yaml")
    run = run_grading(
        policy, as_of=CUT_IN_CLOSURE, lake=lake, runs=tmp_path / "runs",
        now=datetime(2026, 3, 1), policy_dir=tmp_path,
    )  # fmt: skip
    graded = pd.read_parquet(run.path / "assignments.parquet").set_index("entity_id")
    graded["kind"] = graded.index.map(cny_history.kind)
    tagged = graded.groupby("kind")["tag_churn_warning"].mean()
    assert tagged["weekly"] <= 0.01 and tagged["twice_weekly"] <= 0.01
    assert tagged["fading_now"] >= 0.75
    # graded = the customers the model scored (the long-gone have no probability)
    p = pred.set_index("entity_id")["churn_probability"].dropna()
    ranked = graded[graded["tier_rank"].notna()]
    assert set(ranked.index) == set(p.index)
    np.testing.assert_allclose(ranked["score"], p.reindex(ranked.index), atol=1e-6)


RFM_CHURN_POLICY = """
name: rfm-churn
eligibility: {when: "orders_lookback >= 1"}
predictions: {path: predictions.parquet, columns: [churn_probability]}
score: {method: rfm_quantile}
tiers:
  method: percentile
  levels:
    - {code: top, label: {zh: 高, en: High}, top: 0.3}
    - {code: rest, label: {zh: 低, en: Low}}
tags:
  - code: churn_warning
    label: {zh: 流失预警, en: Churn warning}
    when: "churn_probability >= 0.6"
"""


def test_an_rfm_policy_reads_the_churn_probability_in_its_tag(
    model: ChurnModel, cny_history: CnyHistory, tmp_path: Path
) -> None:
    """Tiers from RFM, the churn-warning tag from the trained churn model (R-GRD-6, issue 8):
    exactly the customers whose probability is at least 0.6 are tagged."""
    lake = tmp_path / "lake"
    write_orders_lake(cny_history.orders, lake)
    pred = prediction_table(cny_history.orders, CUT_IN_CLOSURE, churn=model)
    pred.to_parquet(tmp_path / "predictions.parquet")
    (tmp_path / "rfm-churn.yaml").write_text(RFM_CHURN_POLICY, encoding="utf-8")
    run = run_grading(
        load_policy(tmp_path / "rfm-churn.yaml"), as_of=CUT_IN_CLOSURE, lake=lake,
        runs=tmp_path / "runs", now=datetime(2026, 3, 1), policy_dir=tmp_path,
    )  # fmt: skip
    graded = pd.read_parquet(run.path / "assignments.parquet").set_index("entity_id")
    p = pred.set_index("entity_id")["churn_probability"]
    expected = set(p[p >= 0.6].index)
    assert expected  # the fading churners
    assert set(graded.index[graded["tag_churn_warning"]]) == expected
    # the tiers are RFM's: customers the model did not score (no probability) are graded too
    unscored = set(graded.index) - set(p.dropna().index)
    assert unscored and (graded.loc[sorted(unscored), "status"] == "graded").any()
    assert not graded.loc[sorted(unscored), "tag_churn_warning"].any()
