"""Value prediction (R-GRD-8): next-90-day spend from point-in-time features."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError

from tierwise.errors import DataError
from tierwise.models.value import ValueModel


@pytest.fixture(scope="module")
def model(cny_snapshots: pd.DataFrame) -> ValueModel:
    return ValueModel(max_iter=100).fit(cny_snapshots, cny_snapshots["future_spend"])


def test_ranks_next_period_spend_on_unseen_customers(model: ValueModel) -> None:
    m = model.metrics_
    assert m["spearman"] > 0.75
    # Top 20 % by prediction vs. top 20 % by what they then spent (chance would be 0.2).
    assert m["top20_precision"] > 0.6
    assert m["top20_lift"] > 1.5


def test_predictions_are_spend_amounts(model: ValueModel, cny_snapshots: pd.DataFrame) -> None:
    pred = model.predict(cny_snapshots)
    assert (pred >= 0).all()
    # Poisson loss: predicted totals match actual totals on the training data closely.
    assert pred.sum() == pytest.approx(cny_snapshots["future_spend"].sum(), rel=0.1)


def test_contract_and_errors(cny_snapshots: pd.DataFrame) -> None:
    with pytest.raises(NotFittedError):
        ValueModel().predict(cny_snapshots)
    with pytest.raises(DataError, match="non-negative"):
        ValueModel().fit(cny_snapshots, -np.ones(len(cny_snapshots)))
