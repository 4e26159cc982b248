"""CLV = BG/NBD orders x Gamma-Gamma order value, per customer (R-ANA-2)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError

from tierwise.models.clv import PREDICTION_COLUMNS, ClvModel


@pytest.fixture(scope="module")
def model(cdnow_summary: pd.DataFrame) -> ClvModel:
    return ClvModel(unit_days=7).fit(cdnow_summary)


def test_predictions_combine_the_two_models(model: ClvModel, cdnow_summary: pd.DataFrame) -> None:
    out = model.predict_frame(cdnow_summary, horizon_days=39 * 7)
    assert tuple(out.columns) == PREDICTION_COLUMNS
    assert out.index.equals(cdnow_summary.index)
    np.testing.assert_allclose(
        out["expected_orders"], model.purchases_.conditional_expected_purchases(39, cdnow_summary)
    )
    np.testing.assert_allclose(
        out["expected_spend"], out["expected_orders"] * out["expected_order_value"]
    )
    assert set(model.params_) == {"r", "alpha", "a", "b", "p", "q", "gamma"}
    assert model.log_likelihood_["bgnbd"] == pytest.approx(-9582.4, abs=0.05)


def test_discounting_lowers_spend_and_zero_rate_changes_nothing(
    model: ClvModel, cdnow_summary: pd.DataFrame
) -> None:
    plain = model.predict_frame(cdnow_summary, horizon_days=364)
    disc = model.predict_frame(cdnow_summary, horizon_days=364, discount_rate=0.01)
    assert (disc["expected_spend"] < plain["expected_spend"]).all()
    # At 1 % a month over a year the discount is between 0.5 % and 12 %.
    ratio = disc["expected_spend"].sum() / plain["expected_spend"].sum()
    assert 0.88 < ratio < 0.995


def test_longer_horizon_more_spend_and_not_fitted(
    cdnow_summary: pd.DataFrame, model: ClvModel
) -> None:
    short = model.predict_frame(cdnow_summary, horizon_days=30)["expected_spend"]
    long = model.predict_frame(cdnow_summary, horizon_days=365)["expected_spend"]
    assert (long > short).all()
    with pytest.raises(NotFittedError):
        ClvModel().predict_frame(cdnow_summary, horizon_days=30)
