"""Generated order history with Chinese New Year closures, for the churn and value tests.

Regular weekly and twice-weekly buyers close 2-3 weeks at every 春节 and come back; irregular
buyers order at random; churners fade out (gaps lengthen, then they stop) at random dates, and
a group fades out in the autumn of 2025 and is gone by the 2026 festival.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from tierwise.generate.calendar import CHINESE_NEW_YEAR

HISTORY_START = date(2023, 1, 2)
HISTORY_END = date(2026, 6, 30)
CNY_2026 = date(2026, 2, 17)
#: A cut date inside the 2026 closure: every weekly buyer is pausing, none has churned.
CUT_IN_CLOSURE = CNY_2026 + timedelta(days=9)


@dataclass(frozen=True)
class CnyHistory:
    """Orders of generated outlets and what each outlet really is."""

    orders: pd.DataFrame
    kind: dict[str, str]  # customer_id -> weekly | twice_weekly | irregular | churner | fading_now


def _closure(rng: np.random.Generator, years: range) -> list[tuple[date, date]]:
    out = []
    for cny in CHINESE_NEW_YEAR.values():
        if cny.year in years:
            # Shut a few days before the festival, back 10-18 days after: 2-3 weeks.
            out.append(
                (
                    cny - timedelta(days=int(rng.integers(1, 5))),
                    cny + timedelta(days=int(rng.integers(10, 19))),
                )
            )
    return out


def _regular(
    rng: np.random.Generator,
    start: date,
    gap: float,
    fade_from: date | None,
    end: date = HISTORY_END,
) -> list[date]:
    """Order days of a regular buyer with yearly CNY closures; fading out after ``fade_from``."""
    closures = _closure(rng, range(2023, 2027))
    days: list[date] = []
    d = start
    g = gap
    while d <= end:
        if any(a <= d <= b for a, b in closures):
            d += timedelta(days=1)
            continue
        if rng.random() > 0.04:  # occasionally skips an order
            days.append(d)
        if fade_from is not None and d >= fade_from:
            g *= rng.uniform(1.3, 1.6)  # gaps lengthen, then the outlet stops
            if g > 45:
                break
        d += timedelta(days=max(1, round(g + rng.normal(0, 0.3 + 0.05 * g))))
    return days


def make_cny_history(seed: int = 7) -> CnyHistory:
    """About 700 outlets over 3.5 years: regular buyers who close 2-3 weeks at every 春节,
    irregular buyers, churners who fade out at random dates, and churners fading out just
    before the 2026 festival."""
    rng = np.random.default_rng(seed)
    rows: list[tuple[str, date, float]] = []
    kind: dict[str, str] = {}

    def add(cid: str, k: str, days: list[date], mean_amount: float) -> None:
        kind[cid] = k
        rows.extend(
            (cid, d, round(float(rng.lognormal(np.log(mean_amount), 0.3)), 2)) for d in days
        )

    def start() -> date:
        return HISTORY_START + timedelta(days=int(rng.integers(0, 120)))

    for i in range(200):
        add(f"W{i:03d}", "weekly", _regular(rng, start(), 7.0, None), 800)
    for i in range(100):
        add(f"T{i:03d}", "twice_weekly", _regular(rng, start(), 3.5, None), 400)
    for i in range(100):
        d, days = start(), []
        while d <= HISTORY_END:
            days.append(d)
            d += timedelta(days=1 + int(rng.exponential(18)))
        add(f"I{i:03d}", "irregular", days, 600)
    for i in range(200):
        fade = HISTORY_START + timedelta(days=int(rng.integers(150, 1100)))
        add(
            f"C{i:03d}", "churner", _regular(rng, start(), float(rng.choice([3.5, 7.0])), fade), 700
        )
    for i in range(60):
        # Fading out over the autumn, last order 4-8 weeks before the cut in the closure.
        while True:
            fade = CUT_IN_CLOSURE - timedelta(days=int(rng.integers(60, 180)))
            days = _regular(rng, start(), float(rng.choice([3.5, 7.0])), fade)
            if (
                CUT_IN_CLOSURE - timedelta(days=56)
                <= days[-1]
                <= CUT_IN_CLOSURE - timedelta(days=28)
            ):
                break
        add(f"F{i:03d}", "fading_now", days, 700)

    orders = pd.DataFrame(rows, columns=["customer_id", "day", "amount"])
    hours = rng.integers(6, 20, len(orders))
    orders["order_time"] = pd.to_datetime(orders["day"]) + pd.to_timedelta(hours, unit="h")
    orders.insert(0, "order_id", [f"O{i:07d}" for i in range(len(orders))])
    return CnyHistory(orders[["order_id", "customer_id", "order_time", "amount"]], kind)
