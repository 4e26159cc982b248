"""Learned policy weights (R-GRD-8, R-GRD-12) and the proposed policy fragment."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml

from tierwise.errors import DataError
from tierwise.models.weights import RankWeights, percentile_normalize, proposed_policy_fragment


def _known_truth(n: int = 4000, seed: int = 1) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {
            "customer_id": np.arange(n),
            "cut_date": np.repeat([1, 2], n // 2),
            "spend": rng.normal(size=n),
            "orders": rng.normal(size=n),
            "silence": rng.normal(size=n),
            "noise": rng.normal(size=n),
        }
    )
    value = np.exp(2 * X["spend"] + 1 * X["orders"] - 1 * X["silence"] + 0.3 * rng.normal(size=n))
    return X, value.to_numpy()


def test_recovers_which_features_matter_and_their_direction() -> None:
    X, value = _known_truth()
    model = RankWeights(features=("spend", "orders", "silence", "noise")).fit(X, value)
    w = model.weights_
    assert w["spend"] > w["orders"] > 0
    assert w["silence"] < 0
    assert abs(w.get("noise", 0.0)) < 0.03
    assert sum(abs(v) for v in w.values()) == pytest.approx(1.0, abs=0.005)
    # Better than equal weights on the same (oriented) features, on unseen customers.
    assert model.metrics_["spearman"] > model.metrics_["equal_spearman"] + 0.05
    score = model.score(X, groups=X["cut_date"])
    assert score.min() >= 0
    assert score.max() <= 1


def test_on_generated_orders_learned_weights_beat_equal_weights(
    cny_snapshots: pd.DataFrame,
) -> None:
    model = RankWeights().fit(cny_snapshots, cny_snapshots["future_spend"])
    assert model.metrics_["spearman"] > model.metrics_["equal_spearman"]
    assert model.metrics_["spearman"] > 0.6
    assert model.weights_


def test_policy_fragment_is_a_weighted_percentile_score() -> None:
    text = proposed_policy_fragment({"spend_365d": 0.6, "days_since_last_order": -0.4})
    assert yaml.safe_load(text) == {
        "score": {
            "method": "weighted",
            "normalize": "percentile",
            "weights": {"spend_365d": 0.6, "days_since_last_order": -0.4},
        }
    }
    with pytest.raises(DataError):
        proposed_policy_fragment({})


def test_percentiles_are_per_grading_date_like_the_policy_engine() -> None:
    # Missing counts as 0; mid-rank rescaled to 0..1; ties share their mean position.
    X = pd.DataFrame({"a": [1.0, 2.0, 10.0, 20.0, np.nan, 3.0, 3.0, 5.0]})
    pct = percentile_normalize(X, groups=[1, 1, 2, 2, 2, 3, 3, 3])
    assert pct["a"].tolist() == [0.0, 1.0, 0.5, 1.0, 0.0, 0.0, 0.0, 1.0]
