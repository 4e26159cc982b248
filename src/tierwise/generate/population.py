"""Who the customers are and how each one behaves (the latent parameters of the simulation).

Accounts are drawn first (a chain 连锁 with several outlets, or a single store), then
outlets inherit the account's cuisine, terms and manager. Every behaviour the book shows
later (ordering weekdays, basket, trajectory, lateness, complaints) is a parameter here, so
the truth can say why a customer looks the way it does.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tierwise.generate.catalog import CUISINE_NAMES, CUISINES, cuisine_mix
from tierwise.generate.config import GenerateConfig
from tierwise.generate.geo import DISTRICT_WEIGHTS, DISTRICTS
from tierwise.model.tables import CHANNELS

TRAJECTORIES = ("new", "growing", "steady", "declining", "churned", "winback")
_TRAJ_P = (0.12, 0.15, 0.35, 0.15, 0.15, 0.08)
SCALES = ("small", "medium", "large")
TERMS = ("prepaid", "cod", "weekly", "monthly")
NEVER = 2**30  # day number meaning "does not happen"


@dataclass
class Population:
    """Per-customer arrays (index = customer number; customer_id C0000001 is index 0)."""

    account: np.ndarray  # account number of each outlet
    chain: np.ndarray  # bool: outlet of a chain with 2+ outlets
    cuisine: np.ndarray  # index into CUISINE_NAMES
    scale: np.ndarray  # index into SCALES
    district: np.ndarray  # index into DISTRICTS
    channel: np.ndarray  # index into CHANNELS
    terms: np.ndarray  # index into TERMS
    manager: np.ndarray  # account manager number
    signup: np.ndarray  # day number
    trajectory: np.ndarray  # index into TRAJECTORIES
    churn: np.ndarray  # day number the customer stops for good (NEVER if not)
    gap_start: np.ndarray  # winback: day the pause starts (NEVER if none)
    gap_end: np.ndarray
    weekdays: np.ndarray  # (n, 7) bool: the days of the week it orders
    p_on: np.ndarray  # probability of an order on an ordering weekday
    lines: np.ndarray  # mean extra lines per order (Poisson)
    line_value: np.ndarray  # typical value of a line, fen
    discount: np.ndarray  # price factor granted (chains get better prices)
    cat_cum: np.ndarray  # (n, n_categories) cumulative category preference
    return_rate: np.ndarray  # probability an order gets a return
    late_rate: np.ndarray  # probability an invoice is paid late
    late_days: np.ndarray  # mean delay when late
    complaint_rate: np.ndarray  # tickets per month
    login_rate: np.ndarray  # probability of a login on a non-ordering day
    credit_quality: np.ndarray  # 0 (bad) .. 1 (excellent)
    dispute_day: np.ndarray  # first legal dispute (NEVER if none)
    closure_before: np.ndarray  # days closed before 春节
    closure_len: np.ndarray  # length of the 春节 closure
    refund_spike: np.ndarray  # bool: gets an abnormal refund burst
    brushing: np.ndarray  # bool: shows an order-brushing burst

    @property
    def n(self) -> int:
        return len(self.account)


def _accounts(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Account number of each outlet, and whether the account is a chain."""
    is_chain = rng.random(n) < 0.07
    size = np.where(is_chain, 2 + np.minimum(rng.geometric(0.22, n) - 1, 28), 1)
    account = np.repeat(np.arange(n), size)[:n]
    sizes = np.bincount(account)
    return account, sizes[account] >= 2


def draw_population(cfg: GenerateConfig, rng: np.random.Generator) -> Population:
    """Draw every customer's latent parameters for the book ``cfg``."""
    n = cfg.customers
    first, end = cfg.first_day, cfg.first_day + cfg.book_days - 1
    account, chain = _accounts(rng, n)
    n_acc = int(account.max()) + 1
    cw = np.array([CUISINES[c][0] for c in CUISINE_NAMES])
    acc_cuisine = rng.choice(len(CUISINE_NAMES), n_acc, p=cw / cw.sum())
    cuisine = acc_cuisine[account]
    dw = np.array(DISTRICT_WEIGHTS)
    acc_district = rng.choice(len(DISTRICTS), n_acc, p=dw / dw.sum())
    # Chain outlets mostly stay in the head office's district list; a few are elsewhere.
    district = np.where(
        chain & (rng.random(n) < 0.3),
        rng.choice(len(DISTRICTS), n, p=dw / dw.sum()),
        acc_district[account],
    )
    scale = np.where(
        chain, rng.choice(3, n, p=(0.2, 0.5, 0.3)), rng.choice(3, n, p=(0.55, 0.35, 0.1))
    )
    default_channel = np.array([CHANNELS.index(CUISINES[c][1]) for c in CUISINE_NAMES])[cuisine]
    swap = (default_channel < 2) & (rng.random(n) < 0.25)
    channel = np.where(swap, 1 - default_channel, default_channel)
    acc_terms = np.where(
        chain[np.searchsorted(account, np.arange(n_acc))],
        rng.choice(4, n_acc, p=(0.0, 0.1, 0.3, 0.6)),
        rng.choice(4, n_acc, p=(0.3, 0.35, 0.2, 0.15)),
    )
    terms = acc_terms[account]
    manager = rng.integers(1, max(3, n // 150) + 1, n_acc)[account]

    trajectory = rng.choice(len(TRAJECTORIES), n, p=_TRAJ_P)
    new = trajectory == 0
    # Signup: the account signs first, later outlets join over the following year.
    acc_signup = rng.integers(first - 730, max(first - 729, end - 120), n_acc)
    signup = acc_signup[account] + np.where(chain, rng.integers(0, 365, n), 0)
    signup = np.where(
        new, rng.integers(max(first, end - 180), end - 13, n), np.minimum(signup, end - 60)
    )
    active_from = np.maximum(signup, first)
    churn = np.full(n, NEVER, dtype=np.int64)
    churned = (trajectory == 4) & (end - 30 - (active_from + 60) > 10)
    trajectory = np.where((trajectory == 4) & ~churned, 2, trajectory)
    churn[churned] = rng.integers(active_from[churned] + 60, end - 30)
    # Some others churn in the horizon: the future the truth records.
    later = rng.random(n) < np.array([0.10, 0.03, 0.05, 0.45, 0.0, 0.08])[trajectory]
    churn = np.where(later, end + rng.integers(1, 181, n), churn)
    gap_start = np.full(n, NEVER, dtype=np.int64)
    gap_end = np.full(n, NEVER, dtype=np.int64)
    wb = (trajectory == 5) & (end - 60 - active_from > 200)
    trajectory = np.where((trajectory == 5) & ~wb, 2, trajectory)
    gap_start[wb] = rng.integers(active_from[wb] + 30, end - 200)
    gap_end[wb] = gap_start[wb] + rng.integers(60, 181, int(wb.sum()))

    # Ordering rhythm: a restaurant orders on set weekdays (bigger outlets more often).
    k = np.clip(rng.poisson(np.array([1.2, 2.2, 3.5])[scale]) + 1, 1, 6)
    order = np.argsort(rng.random((n, 7)), axis=1)
    weekdays = order < k[:, None]
    lines = np.array([2.0, 3.5, 5.5])[scale] * rng.uniform(0.7, 1.3, n)
    line_value = np.array([7000.0, 12000.0, 20000.0])[scale] * rng.lognormal(0, 0.25, n)
    wholesale = channel >= 2
    line_value = np.where(wholesale, line_value * 3, line_value)
    mix = cuisine_mix()[cuisine] * 20 + 0.05
    gamma = rng.gamma(mix)  # a Dirichlet draw per row, vectorised
    prefs = gamma / gamma.sum(axis=1, keepdims=True)
    complainer = rng.random(n) < 0.05
    late_payer = rng.random(n) < 0.12
    disputes = rng.random(n) < 0.015
    quality = np.clip(rng.beta(5, 2, n) - late_payer * 0.3 - disputes * 0.3, 0, 1)
    return Population(
        account=account,
        chain=chain,
        cuisine=cuisine,
        scale=scale,
        district=district,
        channel=channel,
        terms=terms,
        manager=manager,
        signup=signup,
        trajectory=trajectory,
        churn=churn,
        gap_start=gap_start,
        gap_end=gap_end,
        weekdays=weekdays,
        p_on=rng.uniform(0.6, 0.95, n),
        lines=lines,
        line_value=line_value,
        discount=np.where(chain, rng.uniform(0.88, 0.95, n), rng.uniform(0.95, 1.0, n)),
        cat_cum=np.cumsum(prefs, axis=1).astype(np.float32),
        return_rate=np.where(rng.random(n) < 0.1, 0.08, 0.015),
        late_rate=np.where(late_payer, rng.uniform(0.3, 0.8, n), rng.uniform(0.0, 0.05, n)),
        late_days=np.where(late_payer, rng.uniform(10, 45, n), rng.uniform(1, 5, n)),
        complaint_rate=np.where(complainer, rng.uniform(1.0, 3.0, n), rng.uniform(0.02, 0.2, n)),
        login_rate=np.where(channel == 0, rng.uniform(0.1, 0.5, n), rng.uniform(0.0, 0.1, n)),
        credit_quality=quality,
        dispute_day=np.where(disputes, rng.integers(first, end + 1, n), NEVER),
        closure_before=rng.integers(1, 5, n),
        closure_len=rng.integers(7, 22, n),
        refund_spike=rng.random(n) < 0.005,
        brushing=rng.random(n) < 0.003,
    )
