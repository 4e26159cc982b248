"""Customer-service tickets, daily activity and third-party credit reports of a batch."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tierwise.generate.arrowkit import US_PER_DAY
from tierwise.generate.population import NEVER, Population

RESOLUTIONS = ("resolved", "compensated", "rejected")
TOPICS = ("quality", "delivery", "price", "service", "other")
TOPIC_P = (0.35, 0.3, 0.15, 0.15, 0.05)
RATINGS = ("AAA", "AA", "A", "BBB", "BB", "B", "C")


@dataclass
class TicketBatch:
    """Tickets: customer, created, kind (0 complaint, 1 inquiry), severity, topic, resolution."""

    cust: np.ndarray
    created_us: np.ndarray
    kind: np.ndarray
    severity: np.ndarray
    topic: np.ndarray
    resolved_us: np.ndarray  # -1 while open
    resolution: np.ndarray  # -1 while open


def _active_span(
    pop: Population, lo: int, hi: int, first: int, end: int
) -> tuple[np.ndarray, np.ndarray]:
    start = np.maximum(pop.signup[lo:hi], first)
    stop = np.minimum(pop.churn[lo:hi], end + 1)
    return start, np.maximum(stop, start)


def simulate_tickets(
    pop: Population, lo: int, hi: int, first: int, end: int, rng: np.random.Generator
) -> TicketBatch:
    """Complaints and inquiries; complainers raise many, most customers a few."""
    start, stop = _active_span(pop, lo, hi, first, end)
    counts = rng.poisson(pop.complaint_rate[lo:hi] * (stop - start) / 30.4)
    cust = np.repeat(np.arange(lo, hi), counts)
    n = len(cust)
    span_us = (stop - start)[cust - lo] * US_PER_DAY
    created = start[cust - lo] * US_PER_DAY + (rng.random(n) * span_us).astype(np.int64)
    p_complaint = np.where(pop.complaint_rate[cust] >= 1.0, 0.7, 0.3)
    kind = (rng.random(n) >= p_complaint).astype(np.int64)
    severity = rng.choice([1, 2, 3], n, p=(0.7, 0.25, 0.05)).astype(np.int32)
    severity = np.where(kind == 1, 1, severity).astype(np.int32)
    hours = rng.exponential(20.0 * severity)
    resolved = created + (hours * 3_600_000_000).astype(np.int64)
    open_ = resolved > (end + 1) * US_PER_DAY - 1
    order = np.lexsort((created, cust))
    return TicketBatch(
        cust[order], created[order], kind[order], severity[order],
        rng.choice(len(TOPICS), n, p=TOPIC_P)[order],
        np.where(open_, -1, resolved)[order],
        np.where(open_, -1, rng.choice(3, n, p=(0.7, 0.2, 0.1)))[order],
    )  # fmt: skip


def simulate_activity(
    pop: Population, lo: int, hi: int, days: np.ndarray, order_cust: np.ndarray,
    order_day: np.ndarray, rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:  # fmt: skip
    """Daily logins and interactions while a customer is alive (rows only for active days).

    Returns
    -------
    cust, day, logins, interactions
    """
    t = days[None, :]
    alive = (t >= pop.signup[lo:hi, None]) & (t < pop.churn[lo:hi, None])
    alive &= ~((t >= pop.gap_start[lo:hi, None]) & (t < pop.gap_end[lo:hi, None]))
    ordered = np.zeros(alive.shape, bool)
    ordered[order_cust - lo, order_day - days[0]] = True
    online = (pop.channel[lo:hi] == 0)[:, None]
    p_login = np.where(ordered, np.where(online, 0.9, 0.4), pop.login_rate[lo:hi, None])
    shape = alive.shape
    logins = (rng.random(shape, dtype=np.float32) < p_login) * (1 + rng.poisson(0.4, shape))
    rate = np.where(pop.complaint_rate[lo:hi, None] >= 1.0, 0.15, 0.04)
    interactions = rng.poisson(np.broadcast_to(rate, shape))
    logins *= alive
    interactions *= alive
    ci, di = np.nonzero((logins + interactions) > 0)
    return ci + lo, days[di], logins[ci, di].astype(np.int32), interactions[ci, di].astype(np.int32)


def simulate_credit(
    pop: Population, lo: int, hi: int, first: int, end: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Quarterly credit reports on the companies that have one (all with legal disputes).

    Returns
    -------
    cust, report_day, rating (index into RATINGS), legal_disputes
    """
    covered = (rng.random(hi - lo) < 0.6) | (pop.dispute_day[lo:hi] < NEVER)
    quarters = np.arange(first + 45, end + 1, 91)
    c, q = np.nonzero(covered[:, None] & (quarters[None, :] >= pop.signup[lo:hi, None]))
    cust, day = c + lo, quarters[q]
    noise = rng.normal(0, 0.07, len(cust))
    has_dispute = day >= pop.dispute_day[cust]
    disputes = np.where(has_dispute, 1 + (cust * 7919 % 3), 0).astype(np.int32)
    score = pop.credit_quality[cust] + noise - 0.25 * has_dispute
    rating = np.clip(((1.0 - score) * 7).astype(np.int64), 0, 6)
    return cust, day, rating, disputes
