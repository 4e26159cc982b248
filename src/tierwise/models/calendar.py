"""Chinese New Year (春节) dates, for seasonality features.

Restaurants close for one to three weeks around 春节; the date moves with the lunar calendar
(by up to ~20 days from one year to the next), so "the same weeks last year" must be aligned on
the festival, not on the Gregorian calendar.
"""

from __future__ import annotations

from datetime import date

from tierwise.errors import UsageError

# First day of the lunar year (正月初一), from the official calendar.
CHINESE_NEW_YEAR: tuple[date, ...] = (
    date(2015, 2, 19),
    date(2016, 2, 8),
    date(2017, 1, 28),
    date(2018, 2, 16),
    date(2019, 2, 5),
    date(2020, 1, 25),
    date(2021, 2, 12),
    date(2022, 2, 1),
    date(2023, 1, 22),
    date(2024, 2, 10),
    date(2025, 1, 29),
    date(2026, 2, 17),
    date(2027, 2, 6),
    date(2028, 1, 26),
    date(2029, 2, 13),
    date(2030, 2, 3),
    date(2031, 1, 23),
    date(2032, 2, 11),
    date(2033, 1, 31),
)


def covered(day: date) -> bool:
    """Whether ``day`` is within the years the calendar covers."""
    return CHINESE_NEW_YEAR[1] <= day <= CHINESE_NEW_YEAR[-1]


def nearest_cny(day: date) -> tuple[date, date]:
    """The Chinese New Year nearest to ``day`` and the one a year before it.

    Raises
    ------
    UsageError
        When ``day`` is outside the calendar's years.
    """
    if not covered(day):
        raise UsageError(
            f"no Chinese New Year calendar around {day.isoformat()}",
            hint=f"dates from {CHINESE_NEW_YEAR[1]} to {CHINESE_NEW_YEAR[-1]} are covered",
        )
    i = min(range(1, len(CHINESE_NEW_YEAR)), key=lambda k: abs((CHINESE_NEW_YEAR[k] - day).days))
    return CHINESE_NEW_YEAR[i], CHINESE_NEW_YEAR[i - 1]
