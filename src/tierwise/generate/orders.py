"""Orders and order lines of one batch of customers (the book and the truth horizon).

Money is integer fen throughout, so an order's amount is exactly the sum of its lines.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tierwise.generate.arrowkit import US_PER_DAY
from tierwise.generate.basket import Baskets
from tierwise.generate.lines import LineBatch, Pricing, StreamNoise, Unmet, build_lines
from tierwise.generate.master import Catalogue
from tierwise.generate.population import Population
from tierwise.generate.rhythm import order_probability
from tierwise.generate.supply import Stock

# When restaurants order: early morning for the same day, or the evening before.
_HOURS = np.arange(24)
_HOUR_P = np.array(
    [0, 0, 0, 0, 0, 1, 4, 8, 10, 9, 6, 3, 2, 2, 4, 5, 4, 3, 3, 5, 8, 10, 7, 3], dtype=np.float64
)
_HOUR_P /= _HOUR_P.sum()


@dataclass
class OrderBatch:
    """Orders (one row each) and lines of a batch, sorted by customer then time."""

    cust: np.ndarray
    day: np.ndarray
    time_us: np.ndarray
    channel: np.ndarray
    amount: np.ndarray  # fen
    brushing: np.ndarray  # bool
    first_line: np.ndarray
    n_lines: np.ndarray
    line_no: np.ndarray
    sku: np.ndarray
    quantity: np.ndarray
    unit_price: np.ndarray  # fen
    line_amount: np.ndarray  # fen
    line_cost: np.ndarray  # fen
    list_price: np.ndarray  # fen, per line
    rule: np.ndarray  # index into lines.RULES, per line
    lost: np.ndarray  # per order: lines lost to stock-outs
    substituted: np.ndarray  # per order: lines substituted
    unmet: Unmet  # demand stock-outs kept from their SKU (order = index of the order)
    line_substitute: np.ndarray  # per line: a sibling shipped for an out-of-stock SKU

    def select(self, keep: np.ndarray) -> OrderBatch:
        """The orders where ``keep`` holds, with their lines."""
        line_keep = np.repeat(keep, self.n_lines)
        n_lines = self.n_lines[keep]
        first = np.concatenate([[0], np.cumsum(n_lines)[:-1]]).astype(np.int64)
        return OrderBatch(
            self.cust[keep], self.day[keep], self.time_us[keep], self.channel[keep],
            self.amount[keep], self.brushing[keep], first, n_lines, self.line_no[line_keep],
            self.sku[line_keep], self.quantity[line_keep], self.unit_price[line_keep],
            self.line_amount[line_keep], self.line_cost[line_keep], self.list_price[line_keep],
            self.rule[line_keep], self.lost[keep], self.substituted[keep],
            self.unmet.take(keep), self.line_substitute[line_keep],
        )  # fmt: skip


def from_lines(
    cust: np.ndarray, day: np.ndarray, time_us: np.ndarray, channel: np.ndarray,
    brushing: np.ndarray, lines: LineBatch,
) -> OrderBatch:  # fmt: skip
    """Orders and their built lines as one batch (order amount = sum of its lines, in fen)."""
    n = len(cust)
    n_lines = np.bincount(lines.order, minlength=n).astype(np.int64)
    first_line = np.concatenate([[0], np.cumsum(n_lines)[:-1]]).astype(np.int64)
    amount = np.bincount(lines.order, weights=lines.amount, minlength=n).round().astype(np.int64)
    return OrderBatch(
        cust, day, time_us, channel, amount, brushing, first_line, n_lines, lines.line_no,
        lines.sku, lines.quantity, lines.unit_price, lines.amount, lines.cost,
        lines.list_price, lines.rule, lines.lost, lines.substituted, lines.unmet,
        lines.substitute,
    )  # fmt: skip


def _brushing_events(
    pop: Population, lo: int, hi: int, first: int, end: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Order-brushing bursts (刷单): dozens of tiny orders within a day or two."""
    who = np.flatnonzero(pop.brushing[lo:hi]) + lo
    custs, times = [], []
    for c in who.tolist():
        lo_day = max(int(pop.signup[c]), first)
        hi_day = min(int(pop.churn[c]), end - 2)
        if hi_day <= lo_day:
            continue
        start = (
            int(rng.integers(lo_day, hi_day)) * US_PER_DAY
            + int(rng.integers(8, 20)) * 3_600_000_000
        )
        k = int(rng.integers(15, 41))
        gaps = rng.integers(60, 3600, k) * 1_000_000  # a minute to an hour apart
        custs.append(np.full(k, c))
        times.append(start + np.cumsum(gaps))
    if not custs:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(custs), np.concatenate(times)


def simulate_orders(
    pop: Population, cat: Catalogue, baskets: Baskets, stock: Stock, lo: int, hi: int,
    days: np.ndarray, end: int, cny: list[int], rng: np.random.Generator,
    line_rng: np.random.Generator,
) -> OrderBatch:  # fmt: skip
    """Simulate every order of customers ``lo:hi`` over ``days`` (lines from ``line_rng``)."""
    prob = order_probability(pop, lo, hi, days, end, cny)
    hits = rng.random(prob.shape, dtype=np.float32) < prob
    ci, di = np.nonzero(hits)
    del prob, hits
    cust = ci.astype(np.int64) + lo
    day = days[di].astype(np.int64)
    hour = rng.choice(_HOURS, len(day), p=_HOUR_P)
    secs = hour * 3600 + rng.integers(0, 3600, len(day))
    time_us = day * US_PER_DAY + secs * 1_000_000
    b_cust, b_time = _brushing_events(pop, lo, hi, int(days[0]), end, rng)
    brushing = np.concatenate([np.zeros(len(cust), bool), np.ones(len(b_cust), bool)])
    cust = np.concatenate([cust, b_cust])
    time_us = np.concatenate([time_us, b_time])
    order = np.lexsort((time_us, cust))
    cust, time_us, brushing = cust[order], time_us[order], brushing[order]
    day = time_us // US_PER_DAY
    n = len(cust)
    channel = np.where(rng.random(n) < 0.9, pop.channel[cust], 0)
    channel = np.where(brushing, 0, channel)  # brushing comes through the app
    pricing = default_pricing(pop, cust, int(days[0]))
    lines = build_lines(
        cat, baskets, cust, day, brushing, stock.out, stock.first_day, pricing,
        StreamNoise(line_rng, n),
    )  # fmt: skip
    return from_lines(cust, day, time_us, channel, brushing, lines)


def default_pricing(pop: Population, cust: np.ndarray, first_day: int) -> Pricing:
    """The default price regime: chains buy at their contract price, the others at list."""
    factor = pop.discount[cust]
    return Pricing(first_day, factor, np.where(factor < 1.0, 1, 0))
