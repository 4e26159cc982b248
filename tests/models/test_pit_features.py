"""Point-in-time features: nothing after as_of is read (R-FEA-8); seasonal signals."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pandas as pd
import pytest

from tierwise.models.pit_features import FEATURE_COLUMNS, point_in_time_features


def _weekly(customer: str, start: date, end: date, amount: float = 100.0) -> list[tuple]:
    out = []
    d = start
    while d <= end:
        out.append((customer, datetime(d.year, d.month, d.day, 10), amount))
        d += timedelta(days=7)
    return out


def _orders(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["customer_id", "order_time", "amount"])


def test_future_orders_never_change_the_features() -> None:
    as_of = date(2025, 6, 30)
    past = _weekly("a", date(2024, 1, 1), as_of) + _weekly("b", date(2025, 3, 3), as_of, 50.0)
    before = point_in_time_features(_orders(past), as_of)
    future = [
        ("a", datetime(2025, 7, 1, 0, 0), 1e6),  # the very next morning
        ("b", datetime(2025, 6, 30, 23, 59) + timedelta(minutes=1), 1e6),
        ("c", datetime(2025, 8, 1, 9), 10.0),  # a customer who starts later
    ]
    after = point_in_time_features(_orders(past + future), as_of)
    pd.testing.assert_frame_equal(before, after)
    assert list(after.index) == ["a", "b"]
    assert tuple(after.columns) == FEATURE_COLUMNS


def test_an_order_late_on_the_cut_day_counts() -> None:
    as_of = date(2025, 6, 30)
    rows = [
        *_weekly("a", date(2025, 1, 6), date(2025, 6, 23)),
        ("a", datetime(2025, 6, 30, 23, 59), 7.0),
    ]
    f = point_in_time_features(_orders(rows), as_of)
    assert f.loc["a", "days_since_last_order"] == 0


def test_rhythm_and_spend_windows() -> None:
    as_of = date(2025, 6, 29)
    f = point_in_time_features(_orders(_weekly("a", date(2025, 1, 5), date(2025, 6, 15))), as_of)
    row = f.loc["a"]
    assert row["median_order_gap_days"] == 7
    assert row["days_since_last_order"] == 14
    assert row["recency_gap_ratio"] == 2
    assert row["orders_30d"] == 3  # 06-01, 06-08, 06-15
    assert row["spend_30d"] == pytest.approx(300.0)
    assert row["avg_order_value"] == pytest.approx(100.0)


def test_festival_closure_days_are_not_counted_as_silence() -> None:
    # 春节 2026 is on 17 February; the usual closure runs from 10 February to 10 March. A
    # weekly buyer whose last order was on 3 February is, on 26 February, 23 days silent, but
    # only the 7 days before the closure count.
    rows = _weekly("a", date(2025, 2, 25), date(2026, 2, 3))
    f = point_in_time_features(_orders(rows), date(2026, 2, 26))
    assert f.loc["a", "days_since_last_order"] == 23
    assert f.loc["a", "days_since_last_order_excl_cny"] == 7
    assert f.loc["a", "recency_gap_ratio_excl_cny"] == 1
    assert f.loc["a", "days_from_cny"] == 9


def test_last_years_festival_pause_is_measured_on_last_years_date() -> None:
    # 春节 2025 was on 29 January: a three-week pause from 24 January to 14 February 2025.
    rows = _weekly("a", date(2024, 3, 1), date(2025, 1, 24)) + _weekly(
        "a", date(2025, 2, 14), date(2026, 2, 13)
    )
    f = point_in_time_features(_orders(rows), date(2026, 2, 26))
    assert f.loc["a", "cny_pause_last_year_days"] == 21
    # 26 Feb 2026 is 9 days after the festival; 9 days after last year's was 7 Feb 2025, and
    # the 14 days before it were inside last year's pause.
    assert f.loc["a", "orders_same_cny_offset_last_year"] == 0


def test_long_gone_customers_are_left_out() -> None:
    rows = _weekly("gone", date(2024, 1, 1), date(2024, 6, 1)) + _weekly(
        "here", date(2025, 1, 1), date(2025, 6, 1)
    )
    f = point_in_time_features(_orders(rows), date(2025, 6, 30), active_days=120)
    assert list(f.index) == ["here"]


def test_outside_the_festival_calendar_the_festival_features_are_empty() -> None:
    rows = _weekly("a", date(1997, 1, 6), date(1997, 9, 22))
    f = point_in_time_features(_orders(rows), date(1997, 9, 30))
    assert f.loc["a", ["days_from_cny", "cny_pause_last_year_days"]].isna().all()
    assert (
        f.loc["a", "orders_same_cny_offset_last_year"]
        != f.loc["a", "orders_same_cny_offset_last_year"]
    )
    assert f.loc["a", "days_since_last_order_excl_cny"] == f.loc["a", "days_since_last_order"] == 8
