"""RFM summary in DuckDB: the semantics of lifetimes' summary_data_from_transaction_data."""

from __future__ import annotations

from datetime import date, datetime
from types import ModuleType

import numpy as np
import pandas as pd
import pytest

from tierwise.errors import DataError
from tierwise.models.rfm import rfm_summary

CALIBRATION_END = date(1997, 9, 30)  # the 39-week calibration period of the CDNOW papers


def test_rebuilds_the_published_cdnow_summary(
    cdnow_transactions: pd.DataFrame, cdnow_summary: pd.DataFrame
) -> None:
    ours = rfm_summary(cdnow_transactions, CALIBRATION_END, unit_days=7)
    assert len(ours) == len(cdnow_summary) == 2357
    ref = cdnow_summary.loc[ours.index]
    np.testing.assert_array_equal(ours["frequency"], ref["frequency"])
    # The published file rounds weeks and dollars to two decimals.
    np.testing.assert_allclose(ours["recency"], ref["recency"], atol=0.006)
    np.testing.assert_allclose(ours["T"], ref["T"], atol=0.006)
    np.testing.assert_allclose(ours["monetary_value"], ref["monetary_value"], atol=0.006)


def test_matches_lifetimes_exactly(cdnow_transactions: pd.DataFrame, lifetimes: ModuleType) -> None:
    ref = lifetimes.utils.summary_data_from_transaction_data(
        cdnow_transactions,
        "customer_id",
        "order_time",
        monetary_value_col="amount",
        observation_period_end="1997-09-30",
    ).sort_index()
    ours = rfm_summary(cdnow_transactions, CALIBRATION_END)
    pd.testing.assert_frame_equal(ours, ref, check_names=False, check_index_type=False, rtol=1e-12)


def test_same_day_orders_are_one_purchase_and_later_orders_are_ignored() -> None:
    orders = pd.DataFrame(
        {
            "customer_id": ["c1", "c1", "c1", "c1", "c2", "c3"],
            "order_time": [
                datetime(2026, 1, 1, 9),
                datetime(2026, 1, 1, 17),  # same day: one purchase of 300
                datetime(2026, 1, 11, 8),
                datetime(2026, 2, 1, 8),  # after as_of
                datetime(2026, 1, 5, 8),
                datetime(2026, 3, 1, 8),  # first order after as_of: absent
            ],
            "amount": [100.0, 200.0, 50.0, 999.0, 80.0, 10.0],
        }
    )
    s = rfm_summary(orders, date(2026, 1, 31))
    assert list(s.index) == ["c1", "c2"]
    assert s.loc["c1"].to_dict() == {
        "frequency": 1.0,
        "recency": 10.0,
        "T": 30.0,
        "monetary_value": 50.0,
    }
    assert s.loc["c2"].to_dict() == {
        "frequency": 0.0,
        "recency": 0.0,
        "T": 26.0,
        "monetary_value": 0.0,
    }


def test_missing_column_is_named() -> None:
    with pytest.raises(DataError, match=r"no column.*amount.*available columns are"):
        rfm_summary(
            pd.DataFrame({"customer_id": ["a"], "order_time": [date(2026, 1, 1)]}), date(2026, 1, 2)
        )
