"""Gamma-Gamma: reproduces Fader & Hardie's note on CDNOW and agrees with lifetimes."""

from __future__ import annotations

from types import ModuleType

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError

from tierwise.errors import DataError
from tierwise.models.gamma_gamma import GammaGammaModel


def test_reproduces_the_note_on_cdnow(cdnow_summary: pd.DataFrame) -> None:
    # Fader & Hardie, "The Gamma-Gamma Model of Monetary Value" (2013): p = 6.25, q = 3.74,
    # γ = 15.44 on the 946 CDNOW customers with repeat purchases.
    model = GammaGammaModel().fit(cdnow_summary)
    assert model.params_["p"] == pytest.approx(6.25, abs=5e-3)
    assert model.params_["q"] == pytest.approx(3.74, abs=5e-3)
    assert model.params_["gamma"] == pytest.approx(15.44, abs=1e-2)
    assert model.n_customers_ == 946


def test_agrees_with_lifetimes(cdnow_summary: pd.DataFrame, lifetimes: ModuleType) -> None:
    repeat = cdnow_summary[cdnow_summary["frequency"] > 0]
    ref = lifetimes.GammaGammaFitter().fit(repeat["frequency"], repeat["monetary_value"])
    model = GammaGammaModel().fit(cdnow_summary)
    for ours, theirs in (("p", "p"), ("q", "q"), ("gamma", "v")):
        assert model.params_[ours] == pytest.approx(ref.params_[theirs], rel=1e-4)
    expected = ref.conditional_expected_average_profit(
        cdnow_summary["frequency"], cdnow_summary["monetary_value"]
    )
    np.testing.assert_allclose(
        model.conditional_expected_average_value(cdnow_summary), np.asarray(expected), rtol=1e-4
    )


def test_new_customer_gets_the_population_mean(cdnow_summary: pd.DataFrame) -> None:
    model = GammaGammaModel().fit(cdnow_summary)
    new = pd.DataFrame({"frequency": [0.0], "monetary_value": [0.0]})
    assert model.conditional_expected_average_value(new)[0] == pytest.approx(
        model.population_mean_value()
    )
    # Shrinkage: a big spender's expectation lies between her own mean and the population's.
    big = pd.DataFrame({"frequency": [2.0], "monetary_value": [300.0]})
    value = model.conditional_expected_average_value(big)[0]
    assert model.population_mean_value() < value < 300.0


def test_not_fitted_and_bad_spend() -> None:
    with pytest.raises(NotFittedError):
        GammaGammaModel().population_mean_value()
    bad = pd.DataFrame({"frequency": [2.0, 1.0], "monetary_value": [10.0, -3.0]})
    with pytest.raises(DataError, match="monetary_value <= 0"):
        GammaGammaModel().fit(bad)


def test_starts_on_a_subsample_reach_the_full_data_optimum(cdnow_summary: pd.DataFrame) -> None:
    full = GammaGammaModel(multistart_sample=0).fit(cdnow_summary)
    sub = GammaGammaModel(multistart_sample=200).fit(cdnow_summary)
    for k, v in full.params_.items():
        assert sub.params_[k] == pytest.approx(v, rel=1e-4)
