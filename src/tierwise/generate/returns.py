"""Returns and refunds of a batch, including abnormal refund spikes.

Ordinary returns refund part of an order a few days later. A refund spike (the behaviour the
cleaning step must flag, R-DAT-3) refunds nearly the whole amount of several consecutive
orders of one customer within three weeks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tierwise.generate.arrowkit import US_PER_DAY
from tierwise.generate.orders import OrderBatch
from tierwise.generate.population import Population

REASONS = ("quality", "wrong_item", "damaged", "late_delivery", "other")
REASON_P = (0.4, 0.15, 0.2, 0.15, 0.1)


@dataclass
class ReturnBatch:
    """Returns of a batch: the order (index in the batch) each refunds, time, amount, reason."""

    order: np.ndarray
    time_us: np.ndarray
    amount: np.ndarray  # fen
    reason: np.ndarray  # index into REASONS
    spike: np.ndarray  # bool: part of an abnormal refund spike


def simulate_returns(
    pop: Population, orders: OrderBatch, last_us: int, rng: np.random.Generator
) -> ReturnBatch:
    """Returns of the book's ``orders``; none is granted after ``last_us`` (end of the book)."""
    n = len(orders.cust)
    spike_idx = _spike_orders(pop, orders, rng)
    hit = (rng.random(n) < pop.return_rate[orders.cust]) & ~orders.brushing
    hit[spike_idx] = False  # a spike refunds the whole order; no second refund on it
    idx = np.flatnonzero(hit)
    share = rng.uniform(0.05, 0.4, len(idx))
    amount = np.maximum(np.round(orders.amount[idx] * share), 1).astype(np.int64)
    delay = rng.integers(3600, 5 * 86400, len(idx)) * 1_000_000
    reason = rng.choice(len(REASONS), len(idx), p=REASON_P)
    s_amount = np.round(orders.amount[spike_idx] * rng.uniform(0.8, 1.0, len(spike_idx)))
    s_delay = rng.integers(3600, 2 * 86400, len(spike_idx)) * 1_000_000
    order = np.concatenate([idx, spike_idx])
    time_us = orders.time_us[order] + np.concatenate([delay, s_delay])
    ret = ReturnBatch(
        order=order,
        time_us=time_us,
        amount=np.concatenate([amount, s_amount.astype(np.int64)]),
        reason=np.concatenate([reason, rng.choice([0, 4], len(spike_idx))]),
        spike=np.concatenate([np.zeros(len(idx), bool), np.ones(len(spike_idx), bool)]),
    )
    keep = ret.time_us <= last_us
    sort = np.lexsort((ret.time_us[keep], orders.cust[ret.order[keep]]))
    return ReturnBatch(
        *(a[keep][sort] for a in (order, time_us, ret.amount, ret.reason, ret.spike))
    )


def _spike_orders(pop: Population, orders: OrderBatch, rng: np.random.Generator) -> np.ndarray:
    """Indices of the orders refunded in each spiking customer's burst."""
    who = np.flatnonzero(pop.refund_spike[orders.cust] & ~orders.brushing)
    if len(who) == 0:
        return np.zeros(0, np.int64)
    picked = []
    for c in np.unique(orders.cust[who]).tolist():
        mine = who[orders.cust[who] == c]
        if len(mine) < 4:
            continue
        start = int(rng.integers(0, len(mine) - 3))
        window = mine[start:]
        within = orders.time_us[window] - orders.time_us[window[0]] <= 21 * US_PER_DAY
        picked.append(window[within][: int(rng.integers(3, 9))])
    return np.concatenate(picked) if picked else np.zeros(0, np.int64)
