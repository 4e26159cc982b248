"""BG/NBD: reproduces Fader, Hardie & Lee (2005) on CDNOW and agrees with lifetimes (R-GRD-8)."""

from __future__ import annotations

from types import ModuleType

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from tierwise.errors import DataError
from tierwise.models.bgnbd import BetaGeoModel


@pytest.fixture(scope="module")
def fitted(cdnow_summary: pd.DataFrame) -> BetaGeoModel:
    return BetaGeoModel().fit(cdnow_summary)


def test_reproduces_the_paper_on_cdnow(fitted: BetaGeoModel) -> None:
    # Fader, Hardie & Lee (2005), section 5: r = 0.243, α = 4.414, a = 0.793, b = 2.426,
    # LL = -9582.4 on the 2,357 CDNOW customers, 39-week calibration period.
    p = fitted.params_
    assert p["r"] == pytest.approx(0.243, abs=5e-4)
    assert p["alpha"] == pytest.approx(4.414, abs=5e-4)
    assert p["a"] == pytest.approx(0.793, abs=5e-4)
    assert p["b"] == pytest.approx(2.426, abs=5e-4)
    assert fitted.log_likelihood_ == pytest.approx(-9582.4, abs=0.05)
    assert fitted.n_customers_ == 2357
    assert fitted.converged_


def test_paper_example_customer(fitted: BetaGeoModel) -> None:
    # The paper's worked example: x = 2, t_x = 30.43, T = 38.86 expects 1.226 purchases in
    # the next 39 weeks.
    one = pd.DataFrame({"frequency": [2.0], "recency": [30.43], "T": [38.86]})
    assert fitted.conditional_expected_purchases(39, one)[0] == pytest.approx(1.226, abs=1e-3)


def test_agrees_with_lifetimes(
    fitted: BetaGeoModel, cdnow_summary: pd.DataFrame, lifetimes: ModuleType
) -> None:
    s = cdnow_summary
    ref = lifetimes.BetaGeoFitter().fit(s["frequency"], s["recency"], s["T"])
    for name, ours in fitted.params_.items():
        assert ours == pytest.approx(ref.params_[name], rel=1e-4), name
    ref_alive = ref.conditional_probability_alive(s["frequency"], s["recency"], s["T"])
    np.testing.assert_allclose(
        fitted.conditional_probability_alive(s), np.asarray(ref_alive), rtol=1e-4, atol=1e-6
    )
    for t in (10.0, 39.0, 78.0):
        ref_exp = ref.conditional_expected_number_of_purchases_up_to_time(
            t, s["frequency"], s["recency"], s["T"]
        )
        np.testing.assert_allclose(
            fitted.conditional_expected_purchases(t, s), np.asarray(ref_exp), rtol=1e-4
        )
        assert fitted.expected_purchases(t) == pytest.approx(
            ref.expected_number_of_purchases_up_to_time(t), rel=1e-4
        )


def test_every_start_is_recorded_and_the_best_kept(cdnow_summary: pd.DataFrame) -> None:
    model = BetaGeoModel(n_starts=3, random_state=7).fit(cdnow_summary)
    assert len(model.start_objectives_) == 3
    assert -model.log_likelihood_ / 2357 == pytest.approx(min(model.start_objectives_), rel=1e-9)


def test_p_alive_behaves_like_the_model_says(fitted: BetaGeoModel) -> None:
    # A customer who has not bought again since her last purchase long ago is less likely
    # alive than one who bought recently; no repeat purchase means P(alive) = 1.
    X = pd.DataFrame({"frequency": [5.0, 5.0, 0.0], "recency": [35.0, 5.0, 0.0], "T": [38.0] * 3})
    alive = fitted.conditional_probability_alive(X)
    assert alive[0] > alive[1]
    assert alive[2] == 1.0


def test_sample_weight_equals_repeated_rows(cdnow_summary: pd.DataFrame) -> None:
    rows = cdnow_summary[["frequency", "recency", "T"]]
    counts = rows.value_counts().reset_index(name="n")
    weighted = BetaGeoModel().fit(counts, sample_weight=counts["n"])
    plain = BetaGeoModel().fit(rows)
    for k, v in plain.params_.items():
        assert weighted.params_[k] == pytest.approx(v, rel=1e-5)


def test_estimator_contract(cdnow_summary: pd.DataFrame) -> None:
    model = BetaGeoModel(penalizer_coef=0.1, n_starts=2)
    assert model.get_params()["penalizer_coef"] == 0.1
    with pytest.raises(NotFittedError):
        model.conditional_probability_alive(cdnow_summary)
    assert model.fit(cdnow_summary) is model
    assert not hasattr(clone(model), "params_")


def test_rejects_recency_above_t() -> None:
    bad = pd.DataFrame({"frequency": [1.0], "recency": [10.0], "T": [5.0]})
    with pytest.raises(DataError, match="recency"):
        BetaGeoModel().fit(bad)


def test_missing_column_lists_the_available_ones() -> None:
    with pytest.raises(DataError, match="available columns are: frequency, T"):
        BetaGeoModel().fit(pd.DataFrame({"frequency": [1.0], "T": [5.0]}))


def test_starts_on_a_subsample_reach_the_full_data_optimum(
    fitted: BetaGeoModel, cdnow_summary: pd.DataFrame
) -> None:
    # The speed-up for millions of customers: starts explore on 500 customers, the optimum
    # found is refined on all 2,357. The answer is the full-data maximum likelihood.
    model = BetaGeoModel(multistart_sample=500).fit(cdnow_summary)
    assert len(model.start_objectives_) == 4
    for k, v in fitted.params_.items():
        assert model.params_[k] == pytest.approx(v, rel=1e-4)
    assert model.log_likelihood_ == pytest.approx(-9582.4, abs=0.05)


def test_very_frequent_buyers_get_finite_expectations(fitted: BetaGeoModel) -> None:
    # A restaurant ordering several times a day for 130 weeks: the paper's closed form
    # overflows (0 * inf); Euler's transformation keeps it finite. Its posterior rate is
    # (r + x) / (α + T) a week; a small chance of dropping out after each of ~1,100 purchases
    # takes some 10-20 % off.
    X = pd.DataFrame({"frequency": [3000.0], "recency": [130.0], "T": [130.0]})
    expected = fitted.conditional_expected_purchases(52, X)[0]
    p = fitted.params_
    at_full_rate = (p["r"] + 3000) / (p["alpha"] + 130) * 52
    assert np.isfinite(expected)
    assert 0.8 * at_full_rate < expected < at_full_rate
