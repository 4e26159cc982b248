"""The daily probability that each customer orders: rhythm × trajectory × season × 春节.

Everything is a (customers × days) matrix for one batch of customers, so a whole batch is a
handful of numpy operations.
"""

from __future__ import annotations

import numpy as np

from tierwise.generate.calendar import month_of, weekday
from tierwise.generate.catalog import CUISINE_NAMES
from tierwise.generate.population import NEVER, Population

OFF_DAY = 0.03  # chance of an extra order on a day the restaurant does not usually order
CLOSED = 0.03  # factor while closed for 春节 (a few outlets still order)


def season_table() -> np.ndarray:
    """Demand factor per cuisine (rows) and calendar month (columns 0..11).

    Hot pot slumps in summer (July–August), barbecue peaks, canteens close for the school
    holidays; December–January are busy with year-end banquets.
    """
    table = np.ones((len(CUISINE_NAMES), 12))
    table[:, [11, 0]] = 1.1
    for name, months, factor in (
        ("火锅", (5, 6, 7), (0.8, 0.6, 0.6)),
        ("串串", (5, 6, 7), (0.85, 0.7, 0.7)),
        ("烧烤", (5, 6, 7, 8), (1.2, 1.3, 1.3, 1.15)),
        ("食堂", (6, 7), (0.5, 0.3)),
    ):
        table[CUISINE_NAMES.index(name), list(months)] = factor
    return table


def order_probability(
    pop: Population, lo: int, hi: int, days: np.ndarray, end: int, cny: list[int]
) -> np.ndarray:
    """Probability that customers ``lo:hi`` order on each of ``days`` (float32, B × D).

    Parameters
    ----------
    pop:
        The population.
    lo, hi:
        The batch of customers.
    days:
        Day numbers simulated (the book and the horizon after it).
    end:
        Last day of the book (trajectories are scaled to it).
    cny:
        Day numbers of each 春节 that can fall in ``days``.
    """
    t = days[None, :].astype(np.float32)
    wd = weekday(days)
    p = np.where(pop.weekdays[lo:hi][:, wd], pop.p_on[lo:hi, None], OFF_DAY).astype(np.float32)
    signup = pop.signup[lo:hi, None]
    start = np.maximum(signup, days[0])
    frac = np.clip((t - start) / np.maximum(end - start, 30), 0.0, 1.5)
    traj = pop.trajectory[lo:hi, None]
    m = np.ones_like(p)
    m = np.where(traj == 0, np.minimum(1.0, 0.5 + (t - signup) / 60.0), m)  # new: ramp up
    m = np.where(traj == 1, 0.35 + 0.9 * frac, m)  # growing
    m = np.where(traj == 3, np.maximum(1.2 - 0.9 * frac, 0.15), m)  # declining
    gap_start, gap_end = pop.gap_start[lo:hi, None], pop.gap_end[lo:hi, None]
    m = np.where((traj == 5) & (t >= gap_end), 0.8, m)  # winback: back, a little smaller
    churn = pop.churn[lo:hi, None]
    # Customers fade over the two months before they leave.
    m = np.where(churn < NEVER, m * np.clip((churn - t) / 60.0, 0.3, 1.0), m)
    alive = (t >= signup) & (t < churn) & ~((t >= gap_start) & (t < gap_end))
    p *= np.where(alive, m, 0.0).astype(np.float32)
    p *= season_table()[pop.cuisine[lo:hi]][:, month_of(days) - 1].astype(np.float32)
    before, length = pop.closure_before[lo:hi, None], pop.closure_len[lo:hi, None]
    for new_year in cny:
        closed_from = new_year - before
        closed = (t >= closed_from) & (t < closed_from + length)
        stocking = (t >= new_year - 12) & (t < closed_from)  # stocking up before the holiday
        p *= np.where(closed, CLOSED, np.where(stocking, 1.25, 1.0)).astype(np.float32)
    return np.minimum(p, 0.98, out=p)
