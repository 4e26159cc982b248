"""Supply shortfalls: the days each SKU is out of stock (缺货).

Each SKU has stock-out episodes: their number follows a Poisson process (fresh goods, which
arrive daily and cannot be stocked ahead, run short more often) and each lasts a geometric
number of days (mean 3). A line ordered on a stock-out day is substituted by a sibling SKU of
the same base product (another brand or pack) when that one is in stock and the outlet
accepts it (``SUBSTITUTE_P``), otherwise it is lost; an order never loses all its lines (its
first line is then substituted whatever the stock, as a warehouse does when it must ship
something).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tierwise.generate.master import Catalogue

SUBSTITUTE_P = 0.6  # an outlet accepts a sibling SKU for an out-of-stock line
# Share of days out of stock per category (CATEGORIES order): fresh goods run short more.
OUT_SHARE = np.array([0.02, 0.01, 0.015, 0.03, 0.03, 0.04, 0.008, 0.015, 0.01, 0.005])
MEAN_EPISODE_DAYS = 3.0


def stockout_days(cat: Catalogue, n_days: int, rng: np.random.Generator) -> np.ndarray:
    """(n_sku, n_days) bool: whether each SKU is out of stock on each day of the span."""
    n = cat.n
    rate = OUT_SHARE[cat.category] / MEAN_EPISODE_DAYS  # episode starts per day
    starts = rng.random((n, n_days), dtype=np.float32) < rate[:, None]
    lengths = rng.geometric(1.0 / MEAN_EPISODE_DAYS, (n, n_days))
    out = np.zeros((n, n_days + 1), np.int32)
    si, di = np.nonzero(starts)
    ends = np.minimum(di + lengths[si, di], n_days)
    np.add.at(out, (si, di), 1)
    np.add.at(out, (si, ends), -1)
    result: np.ndarray = np.cumsum(out, axis=1)[:, :n_days] > 0
    return result


def sibling(cat: Catalogue, sku: np.ndarray, step: np.ndarray) -> np.ndarray:
    """Another SKU of the same base product (``step`` = 1..variants-1 picks which one)."""
    first = np.searchsorted(cat.base, cat.base[sku])
    count = np.searchsorted(cat.base, cat.base[sku], side="right") - first
    out: np.ndarray = first + (sku - first + step) % count
    return out


@dataclass(frozen=True)
class Stock:
    """Stock-out days of every SKU from ``first_day`` on (columns = days)."""

    out: np.ndarray
    first_day: int

    @classmethod
    def draw(cls, cat: Catalogue, first_day: int, n_days: int, rng: np.random.Generator) -> Stock:
        """Draw the stock-outs of ``n_days`` days starting on ``first_day``."""
        return cls(stockout_days(cat, n_days, rng), first_day)
