"""The lines of a set of orders: staples, exploration, seasonality, stock-outs, prices.

Randomness comes through a :class:`Noise`, so the same code serves the generator (a plain
random stream) and the world run forward (uniforms addressed by customer, day and slot, so
that an order gets the same lines whether or not a treatment changed other orders: common
random numbers).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
from scipy.special import ndtri

from tierwise.generate.basket import SLOTS, Baskets
from tierwise.generate.calendar import month_of
from tierwise.generate.master import Catalogue
from tierwise.generate.supply import SUBSTITUTE_P, sibling

EXPLORE_MAX = 8  # exploration lines per order at most
PRICE_DRIFT = 0.03  # yearly food price inflation
RULES = ("list", "chain_contract", "tier_discount", "promo")
LOGNORMAL_MEAN = float(np.exp(0.6**2 / 2))  # E[exp(0.6 z)]: a line's mean / typical quantity


class Noise(Protocol):
    """Uniform random numbers for the orders being built."""

    def slots(self, purpose: int, width: int) -> np.ndarray:
        """(n_orders, width) uniforms in [0, 1)."""
        ...

    def lines(self, purpose: int, order: np.ndarray, slot: np.ndarray) -> np.ndarray:
        """One uniform in [0, 1) per (order, slot) pair."""
        ...


class StreamNoise:
    """Noise from one random stream, drawn in call order (the generator's book)."""

    def __init__(self, rng: np.random.Generator, n_orders: int) -> None:
        self.rng = rng
        self.n = n_orders

    def slots(self, purpose: int, width: int) -> np.ndarray:
        return self.rng.random((self.n, width), dtype=np.float32)

    def lines(self, purpose: int, order: np.ndarray, slot: np.ndarray) -> np.ndarray:
        return self.rng.random(len(order))


@dataclass
class Pricing:
    """How list prices become net prices for these orders."""

    first_day: int  # day the price drift is counted from
    factor: np.ndarray  # (n_orders,) net price / list price
    rule: np.ndarray  # (n_orders,) index into RULES


@dataclass
class LineBatch:
    """Lines of a set of orders, sorted by order then line number."""

    order: np.ndarray  # index of the order each line belongs to
    line_no: np.ndarray
    sku: np.ndarray
    quantity: np.ndarray
    list_price: np.ndarray  # fen
    unit_price: np.ndarray  # fen
    amount: np.ndarray  # fen
    cost: np.ndarray  # fen
    rule: np.ndarray  # index into RULES
    lost: np.ndarray  # (n_orders,) lines lost to stock-outs
    substituted: np.ndarray  # (n_orders,) lines substituted
    unmet: Unmet  # the demand stock-outs left unserved (lost or substituted lines)
    substitute: np.ndarray  # per line: a sibling shipped for an out-of-stock SKU


@dataclass
class Unmet:
    """Lines a stock-out kept from their SKU: lost, or served by a sibling SKU.

    ``quantity`` is the line's expected quantity at that SKU's price (the outlet's typical line
    value × E[exp(0.6 z)] / price): what it would have ordered, with no random draw, so the
    book's random streams stay as they were.
    """

    order: np.ndarray  # index of the order
    sku: np.ndarray  # the SKU that was out of stock
    quantity: np.ndarray
    lost: np.ndarray  # bool: lost (else substituted by a sibling)

    def take(self, keep: np.ndarray) -> Unmet:
        """The unmet lines of the orders where ``keep`` (a mask over orders) holds."""
        new_index = np.cumsum(keep) - 1
        m = keep[self.order]
        return Unmet(new_index[self.order[m]], self.sku[m], self.quantity[m], self.lost[m])


def poisson_from_uniform(u: np.ndarray, lam: np.ndarray, cap: int) -> np.ndarray:
    """Inverse-CDF Poisson draws (monotone in ``u`` and ``lam``: a coupling for CRN)."""
    k = np.zeros(len(u), np.int64)
    pmf = np.exp(-lam)
    cdf = pmf.copy()
    for m in range(1, cap + 1):
        k += u > cdf
        pmf = pmf * lam / m
        cdf = cdf + pmf
    return k


def build_lines(
    cat: Catalogue,
    baskets: Baskets,
    cust: np.ndarray,
    day: np.ndarray,
    brushing: np.ndarray,
    stock_out: np.ndarray,
    stock_first_day: int,
    pricing: Pricing,
    noise: Noise,
    basket_factor: np.ndarray | None = None,
) -> LineBatch:
    """Build the lines of orders ``(cust, day)`` from the customers' baskets.

    Parameters
    ----------
    cat, baskets:
        The catalogue and the baskets of the customers' batch.
    cust, day, brushing:
        Per order: customer number, day number, whether it is an order-brushing order (one
        line of a cheap snack).
    stock_out, stock_first_day:
        :func:`tierwise.generate.supply.stockout_days` and the day of its first column.
    pricing:
        List-to-net price factor and rule per order.
    noise:
        Where the random numbers come from.
    basket_factor:
        Optional per-order multiplier of the chance of each staple and of exploration
        (treatments that make baskets bigger or smaller).
    """
    n = len(cust)
    cl = cust - baskets.lo
    bf = np.ones(n) if basket_factor is None else basket_factor
    skus = baskets.staple_sku[cl]
    width = skus.shape[1]
    q = baskets.monthly_q()[cl, month_of(day) - 1]
    if basket_factor is not None:
        q *= basket_factor[:, None].astype(np.float32)
    u = noise.slots(1, width)
    on = u < q
    dated = slice(SLOTS, width)  # adopted new products (and recommendations) have a first day
    on[:, dated] &= day[:, None] >= baskets.staple_from[cl, dated]
    on[brushing] = False
    n_exp = poisson_from_uniform(
        noise.slots(2, 1)[:, 0], baskets.explore_rate[cl] * bf, EXPLORE_MAX
    )
    n_exp = np.where(brushing, 0, np.where((on.sum(axis=1) == 0) & (n_exp == 0), 1, n_exp))
    u_exp = noise.slots(3, EXPLORE_MAX).astype(np.float64)
    s_order, s_slot = np.nonzero(on)
    e_order, e_col = np.nonzero(np.arange(EXPLORE_MAX)[None, :] < n_exp[:, None])
    j = cat.n
    flat = (baskets.explore_cum + np.arange(len(baskets.explore_cum))[:, None]).ravel()
    e_sku = np.searchsorted(flat, cl[e_order] + u_exp[e_order, e_col], side="right")
    e_sku = np.minimum(e_sku - cl[e_order] * j, j - 1)
    b_order = np.flatnonzero(brushing)
    offset, _ = cat.by_category()
    order = np.concatenate([s_order, e_order, b_order])
    slot = np.concatenate([s_slot, width + e_col, np.zeros(len(b_order), np.int64)])
    sku = np.concatenate([skus[s_order, s_slot], e_sku, np.full(len(b_order), offset[2])])
    sort = np.argsort(order * 64 + slot, kind="stable")
    order, slot, sku = order[sort], slot[sort], sku[sort]

    # Stock-outs: substitute a sibling or lose the line; an order keeps at least one line.
    col = np.clip(day[order] - stock_first_day, 0, stock_out.shape[1] - 1)
    out = stock_out[sku, col] & ~brushing[order]
    step = 1 + (noise.lines(5, order, slot) * 8).astype(np.int64)
    accept = noise.lines(4, order, slot) < SUBSTITUTE_P
    sib = sku.copy()
    short = np.flatnonzero(out)
    sib[short] = sibling(cat, sku[short], step[short])
    subst = out & accept & ~stock_out[sib, col]
    lost = out & ~subst
    first_of_order = np.concatenate([[True], order[1:] != order[:-1]]) if len(order) else out
    kept_per_order = np.bincount(order[~lost], minlength=n)
    rescue = lost & first_of_order & (kept_per_order[order] == 0)
    rescued = np.flatnonzero(rescue)
    sib[rescued] = sibling(cat, sku[rescued], step[rescued])
    subst |= rescue
    lost &= ~rescue
    lost_n = np.bincount(order[lost], minlength=n)
    subst_n = np.bincount(order[subst], minlength=n)
    unmet = _unmet(cat, baskets, cl, day, pricing, order, sku, lost, subst)
    sku = np.where(subst, sib, sku)
    keep = ~lost
    order, slot, sku, substitute = order[keep], slot[keep], sku[keep], subst[keep]
    starts = np.concatenate([[True], order[1:] != order[:-1]]) if len(order) else keep[:0]
    group_start = np.maximum.accumulate(np.where(starts, np.arange(len(order)), 0))
    line_no = (np.arange(len(order)) - group_start + 1).astype(np.int32)

    lc = cl[order]
    drift = 1 + PRICE_DRIFT * (day[order] - pricing.first_day) / 365.0
    list_price = np.round(cat.price_fen[sku] * drift).astype(np.int64)
    price = np.round(list_price * pricing.factor[order]).astype(np.int64)
    line_value = baskets.line_value[lc]
    z = ndtri(np.clip(noise.lines(6, order, slot), 1e-7, 1 - 1e-7))
    target = line_value * np.exp(0.6 * z) / np.maximum(price, 1)
    qty = np.where(
        cat.weighed[sku], np.maximum(np.round(target * 2) / 2, 0.5), np.maximum(np.round(target), 1)
    )
    qty = np.where(brushing[order], 1.0, qty)
    amount = np.round(qty * price).astype(np.int64)
    cost = np.round(qty * cat.cost_fen[sku] * drift).astype(np.int64)
    return LineBatch(
        order, line_no, sku, qty, list_price, price, amount, cost,
        pricing.rule[order], lost_n, subst_n, unmet, substitute,
    )  # fmt: skip


def _unmet(
    cat: Catalogue, baskets: Baskets, cl: np.ndarray, day: np.ndarray, pricing: Pricing,
    order: np.ndarray, sku: np.ndarray, lost: np.ndarray, subst: np.ndarray,
) -> Unmet:  # fmt: skip
    """The demand of the lines a stock-out kept from their SKU (see :class:`Unmet`)."""
    which = np.flatnonzero(lost | subst)
    o, k = order[which], sku[which]
    drift = 1 + PRICE_DRIFT * (day[o] - pricing.first_day) / 365.0
    price = np.maximum(np.round(cat.price_fen[k] * drift * pricing.factor[o]), 1)
    target = baskets.line_value[cl[o]] * LOGNORMAL_MEAN / price
    qty = np.where(
        cat.weighed[k], np.maximum(np.round(target * 2) / 2, 0.5), np.maximum(np.round(target), 1)
    )
    return Unmet(o, k, qty, lost[which])
