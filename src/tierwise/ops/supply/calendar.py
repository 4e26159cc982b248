"""Calendar features of a week for the global model: 春节 (the project's one Chinese New
Year calendar, :mod:`tierwise.generate.calendar`), week of the year, month."""

from __future__ import annotations

import numpy as np
import pandas as pd

from tierwise.generate.calendar import CHINESE_NEW_YEAR

_CNY = pd.DatetimeIndex(sorted(pd.Timestamp(d) for d in CHINESE_NEW_YEAR.values()))
CNY_WINDOW = 8  # weeks either side; further away is "no festival" (the clip value)


def weeks_to_cny(dates: pd.DatetimeIndex) -> np.ndarray:
    """Signed weeks from each week to the nearest 春节 (negative before it), clipped to
    ±``CNY_WINDOW``."""
    d = np.asarray(dates, dtype="datetime64[ns]")[:, None]
    diff = (d - _CNY.to_numpy()[None, :]) / np.timedelta64(7, "D")
    nearest = diff[np.arange(len(d)), np.abs(diff).argmin(axis=1)]
    out: np.ndarray = np.clip(np.round(nearest), -CNY_WINDOW, CNY_WINDOW).astype(np.float64)
    return out


def week_of_year(dates: pd.DatetimeIndex) -> np.ndarray:
    return np.asarray(pd.DatetimeIndex(dates).isocalendar().week, dtype=np.float64)


def month(dates: pd.DatetimeIndex) -> np.ndarray:
    return np.asarray(pd.DatetimeIndex(dates).month, dtype=np.float64)
