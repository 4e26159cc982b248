"""Returns and tickets (complaints) in the world's window, with common random numbers.

The same models as the generator (:mod:`tierwise.generate.returns`,
:mod:`tierwise.generate.service`): an order is returned with the outlet's return rate, part of
it, within five days, for one of the same reasons; an outlet raises tickets at its complaint
rate (per 30.4 days while active), complainers mostly complaints, with the same severities,
topics and resolution times. A ``service_level`` treatment moves them (assumptions, see
docs/generator.md): priority delivery halves the returns for late delivery or damage and the
complaints about delivery; a complaint-handling target of ``h`` hours scales resolution times
by ``min(1, h / 24)``. Every draw is addressed by (plan seed, purpose, customer, day or ticket
number), so both worlds share them and only the treatment makes them differ.
"""

from __future__ import annotations

import numpy as np

from tierwise.generate.arrowkit import US_PER_DAY
from tierwise.generate.lines import poisson_from_uniform
from tierwise.generate.orders import OrderBatch
from tierwise.generate.population import Population
from tierwise.generate.returns import REASON_P, REASONS, ReturnBatch
from tierwise.generate.service import TOPIC_P, TOPICS, TicketBatch
from tierwise.world.engine import Window, WorldState
from tierwise.world.noise import uniforms

PRIORITY_HALVES = 0.5  # priority delivery: late/damaged returns and delivery complaints × 0.5
_TOPIC_P = np.array(TOPIC_P)
_REASON = np.array(REASON_P)
_DELIVERY_REASONS = np.array([r in ("damaged", "late_delivery") for r in REASONS])
_MAX_TICKETS = 80  # per outlet and window at most (inverse-CDF cap)


def _shifted(p: np.ndarray, hit: np.ndarray, priority: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per row: the chance multiplier and the cumulative category probabilities."""
    scaled = np.where(priority[:, None] & hit[None, :], p * PRIORITY_HALVES, p)
    total = scaled.sum(axis=1)
    return total, np.cumsum(scaled / total[:, None], axis=1)


def _category(cum: np.ndarray, u: np.ndarray) -> np.ndarray:
    out: np.ndarray = np.minimum((u[:, None] >= cum).sum(axis=1), cum.shape[1] - 1)
    return out


def window_returns(
    pop: Population, state: WorldState, orders: OrderBatch, win: Window
) -> ReturnBatch:
    """Returns of the window's ``orders`` (one order per outlet and day) granted in the window."""
    cust, day = orders.cust, orders.day
    prio = state.effects.priority[cust]
    mult, cum = _shifted(_REASON, _DELIVERY_REASONS, prio)
    hit = uniforms(win.seed, 70, cust, day) < pop.return_rate[cust] * mult
    idx = np.flatnonzero(hit)
    c, d = cust[idx], day[idx]
    share = 0.05 + 0.35 * uniforms(win.seed, 71, c, d)
    amount = np.maximum(np.round(orders.amount[idx] * share), 1).astype(np.int64)
    delay_us = (3600 + (uniforms(win.seed, 72, c, d) * (5 * 86400 - 3600)).astype(np.int64)) * (
        1_000_000
    )
    time_us = orders.time_us[idx] + delay_us
    reason = _category(cum[idx], uniforms(win.seed, 73, c, d))
    keep = time_us < (win.last + 1) * US_PER_DAY
    return ReturnBatch(
        idx[keep], time_us[keep], amount[keep], reason[keep], np.zeros(int(keep.sum()), bool)
    )


def window_tickets(
    pop: Population, state: WorldState, lo: int, hi: int, win: Window
) -> TicketBatch:
    """Tickets of outlets ``lo:hi`` raised while active in the window."""
    who = np.arange(lo, hi)
    start = np.maximum(pop.signup[who], win.start)
    stop = np.minimum(state.churn[who], win.last + 1)
    span = np.maximum(stop - start, 0)
    prio = state.effects.priority[who]
    mult, cum_topic = _shifted(_TOPIC_P, np.array([t == "delivery" for t in TOPICS]), prio)
    lam = pop.complaint_rate[who] * mult * span / 30.4
    counts = poisson_from_uniform(uniforms(win.seed, 80, who), lam, _MAX_TICKETS)
    cust = np.repeat(who, counts)
    j = np.arange(len(cust)) - np.repeat(np.cumsum(counts) - counts, counts)
    local = cust - lo
    created = start[local] * US_PER_DAY + (
        uniforms(win.seed, 81, cust, j) * span[local] * US_PER_DAY
    ).astype(np.int64)
    p_complaint = np.where(pop.complaint_rate[cust] >= 1.0, 0.7, 0.3)
    kind = (uniforms(win.seed, 82, cust, j) >= p_complaint).astype(np.int64)
    u_sev = uniforms(win.seed, 83, cust, j)
    severity = np.where(kind == 1, 1, 1 + (u_sev >= 0.7) + (u_sev >= 0.95)).astype(np.int32)
    base_hours = -np.log1p(-uniforms(win.seed, 84, cust, j)) * 20.0 * severity
    hours = base_hours * np.minimum(1.0, state.effects.complaint_hours[cust] / 24)
    resolved = created + (hours * 3_600_000_000).astype(np.int64)
    open_ = resolved > (win.last + 1) * US_PER_DAY - 1
    topic = _category(cum_topic[local], uniforms(win.seed, 85, cust, j))
    u_res = uniforms(win.seed, 86, cust, j)
    resolution = (u_res >= 0.7).astype(np.int64) + (u_res >= 0.9)
    order = np.lexsort((created, cust))
    return TicketBatch(
        cust[order], created[order], kind[order], severity[order], topic[order],
        np.where(open_, -1, resolved)[order], np.where(open_, -1, resolution)[order],
    )  # fmt: skip


def complaints(tickets: TicketBatch, lo: int, hi: int) -> np.ndarray:
    """Complaint tickets per outlet of ``lo:hi`` (the ``complaints`` metric)."""
    out: np.ndarray = np.bincount(tickets.cust[tickets.kind == 0] - lo, minlength=hi - lo)
    return out.astype(np.int64)


__all__ = ["PRIORITY_HALVES", "complaints", "window_returns", "window_tickets"]
