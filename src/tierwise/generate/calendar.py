"""Dates of the book: its span, the Chinese New Year and the seasons of a restaurant year.

The one Chinese New Year (春节) calendar of the project: the generator closes restaurants
around it and the models' point-in-time features align "the same weeks last year" on it
(:func:`nearest_cny`).

Day numbers are days since 1970-01-01 (Arrow's date32), so they convert to Arrow without
any Python loop.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from tierwise.errors import UsageError

EPOCH = dt.date(1970, 1, 1)

# Gregorian date of the first day of the lunar year (春节). Restaurants close around it.
CHINESE_NEW_YEAR: dict[int, dt.date] = {
    2015: dt.date(2015, 2, 19),
    2016: dt.date(2016, 2, 8),
    2017: dt.date(2017, 1, 28),
    2018: dt.date(2018, 2, 16),
    2019: dt.date(2019, 2, 5),
    2020: dt.date(2020, 1, 25),
    2021: dt.date(2021, 2, 12),
    2022: dt.date(2022, 2, 1),
    2023: dt.date(2023, 1, 22),
    2024: dt.date(2024, 2, 10),
    2025: dt.date(2025, 1, 29),
    2026: dt.date(2026, 2, 17),
    2027: dt.date(2027, 2, 6),
    2028: dt.date(2028, 1, 26),
    2029: dt.date(2029, 2, 13),
    2030: dt.date(2030, 2, 3),
    2031: dt.date(2031, 1, 23),
    2032: dt.date(2032, 2, 11),
    2033: dt.date(2033, 1, 31),
}


_CNY = tuple(sorted(CHINESE_NEW_YEAR.values()))


def covered(day: dt.date) -> bool:
    """Whether ``day`` is within the years :func:`nearest_cny` can answer for."""
    return _CNY[1] <= day <= _CNY[-1]


def nearest_cny(day: dt.date) -> tuple[dt.date, dt.date]:
    """The Chinese New Year nearest to ``day`` and the one a year before it.

    Raises
    ------
    UsageError
        When ``day`` is outside the calendar's years.
    """
    if not covered(day):
        raise UsageError(
            f"no Chinese New Year calendar around {day.isoformat()}",
            hint=f"dates from {_CNY[1]} to {_CNY[-1]} are covered",
        )
    i = min(range(1, len(_CNY)), key=lambda k: abs((_CNY[k] - day).days))
    return _CNY[i], _CNY[i - 1]


def day_number(d: dt.date) -> int:
    """Days since 1970-01-01."""
    return (d - EPOCH).days


def from_day_number(n: int) -> dt.date:
    """The date ``n`` days after 1970-01-01."""
    return EPOCH + dt.timedelta(days=int(n))


def months_before(end: dt.date, months: int) -> dt.date:
    """The first day of a span of ``months`` whole months ending on ``end`` (inclusive)."""
    total = end.year * 12 + (end.month - 1) - months
    year, month = divmod(total, 12)
    month += 1
    # Same day of month, clamped to the month's length, then the next day starts the span.
    last = (dt.date(year + (month == 12), month % 12 + 1, 1) - dt.timedelta(days=1)).day
    return dt.date(year, month, min(end.day, last)) + dt.timedelta(days=1)


def cny_days(first_day: int, last_day: int) -> list[int]:
    """Day numbers of every Chinese New Year between ``first_day`` and ``last_day`` (+ margin)."""
    first, last = from_day_number(first_day), from_day_number(last_day)
    if first.year - 1 not in CHINESE_NEW_YEAR or last.year + 1 not in CHINESE_NEW_YEAR:
        years = f"{min(CHINESE_NEW_YEAR) + 1}..{max(CHINESE_NEW_YEAR) - 1}"
        raise UsageError(
            f"the book and its horizon ({first}..{last}) fall outside the years the generator "
            f"knows ({years})",
            hint="choose an --end-date and --months inside that range",
        )
    return [day_number(d) for y, d in CHINESE_NEW_YEAR.items() if first.year - 1 <= y <= last.year]


def month_of(days: np.ndarray) -> np.ndarray:
    """Calendar month (1..12) of each day number."""
    d64 = days.astype("datetime64[D]")
    return (d64.astype("datetime64[M]").astype(np.int64) % 12 + 1).astype(np.int8)


def yyyymmdd(days: np.ndarray) -> np.ndarray:
    """Each day number as the integer yyyymmdd (used inside order numbers)."""
    d64 = days.astype("datetime64[D]")
    months = d64.astype("datetime64[M]")
    years = months.astype("datetime64[Y]").astype(np.int64) + 1970
    month = months.astype(np.int64) % 12 + 1
    day = (d64 - months).astype(np.int64) + 1
    number: np.ndarray = years * 10000 + month * 100 + day
    return number


def weekday(days: np.ndarray) -> np.ndarray:
    """Day of the week, Monday = 0 (1970-01-01 was a Thursday)."""
    return ((days + 3) % 7).astype(np.int8)
