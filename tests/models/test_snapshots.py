"""Snapshots: features as of each cut, labels from the window after it."""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd
import pytest

from tierwise.errors import UsageError
from tierwise.models.snapshots import build_snapshots, training_cut_dates


def _orders() -> pd.DataFrame:
    rows = [
        ("a", datetime(2025, 1, 10, 9), 100.0),
        ("a", datetime(2025, 3, 1, 9), 40.0),  # in both windows after the 2025-02-28 cut
        ("a", datetime(2025, 5, 20, 9), 60.0),  # day 81: value window only
        ("b", datetime(2025, 2, 1, 9), 10.0),
        ("b", datetime(2025, 6, 1, 9), 999.0),  # after both windows
    ]
    return pd.DataFrame(rows, columns=["customer_id", "order_time", "amount"])


def test_labels_come_from_the_window_after_the_cut() -> None:
    snap = build_snapshots(_orders(), [date(2025, 2, 28)], as_of=date(2025, 6, 30))
    rows = snap.set_index("customer_id")
    assert rows.loc["a", "churned"] == 0
    assert rows.loc["a", "future_spend"] == pytest.approx(100.0)
    assert rows.loc["b", "churned"] == 1
    assert rows.loc["b", "future_spend"] == 0.0
    # Features do not see the labels' orders.
    assert rows.loc["a", "spend_365d"] == pytest.approx(100.0)
    assert set(snap["cut_date"]) == {date(2025, 2, 28)}


def test_a_label_window_past_as_of_is_refused() -> None:
    with pytest.raises(UsageError, match="goes past as_of"):
        build_snapshots(_orders(), [date(2025, 5, 1)], as_of=date(2025, 6, 30))


def test_cut_dates_end_one_horizon_before_as_of() -> None:
    cuts = training_cut_dates(date(2025, 12, 31), horizon_days=90, n_cuts=3, every_days=7)
    assert cuts == [date(2025, 9, 18), date(2025, 9, 25), date(2025, 10, 2)]
