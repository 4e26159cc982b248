"""Run one batch of customers forward in two worlds: without treatment and as assigned.

Both worlds draw every random number from :mod:`tierwise.world.noise` at the same address
(customer, day, slot, …), so a customer's two outcomes differ only by what the treatment
does (common random numbers). The orders, lines and bills are built by the generator's own
code (:func:`tierwise.generate.lines.build_lines`, the baskets, the rhythm), so the world
forward is the book's world.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
from scipy.special import ndtri

from tierwise.generate.arrowkit import US_PER_DAY
from tierwise.generate.basket import SLOTS, Baskets, draw_baskets
from tierwise.generate.book import stream
from tierwise.generate.latent import Latent
from tierwise.generate.lines import Pricing, build_lines
from tierwise.generate.orders import _HOUR_P, OrderBatch, from_lines
from tierwise.generate.population import NEVER
from tierwise.generate.rhythm import order_probability
from tierwise.generate.supply import Stock
from tierwise.world.book import World
from tierwise.world.noise import AddressNoise, uniforms
from tierwise.world.response import (
    COUPON_LIFT,
    RECOMMEND_ADOPT,
    TERMS_LATE,
    VISIT_LIFT,
    Effects,
)

REC_SLOTS = 10  # slots for recommended SKUs the outlet adopts
# days from issue to due, by TERMS index (prepaid, cod, weekly, monthly, semimonthly, net45)
_DUE_AFTER = np.array([0, 1, 7, 30, 15, 45])
_HOUR_CUM = np.cumsum(_HOUR_P)


@dataclass(frozen=True)
class Window:
    """The days the world runs forward and the plan's seed."""

    start: int  # day number
    days: int
    seed: int

    @property
    def day_numbers(self) -> np.ndarray:
        return np.arange(self.start, self.start + self.days, dtype=np.int64)

    @property
    def last(self) -> int:
        return self.start + self.days - 1


@dataclass(frozen=True)
class WorldState:
    """What one world holds for every customer before the batches run."""

    effects: Effects
    churn: np.ndarray  # day number the customer leaves (NEVER: stays)
    visits_per_30d: np.ndarray  # visits actually made (within the managers' capacity)
    satisfaction: np.ndarray


@dataclass
class Bills:
    """Invoices of a batch in one world, with how each was paid (pay_day NEVER: unpaid)."""

    cust: np.ndarray
    issue: np.ndarray
    due: np.ndarray
    amount: np.ndarray  # fen
    pay_day: np.ndarray


@dataclass
class BatchWorld:
    """One world's outcome for a batch of customers."""

    orders: OrderBatch
    coupon_order: np.ndarray  # per order: coupon value redeemed on it (fen)
    rebate: np.ndarray  # (B,) fen accrued at the end of the window
    bills: Bills
    metrics: dict[str, np.ndarray]  # (B,) each


def _probability(
    world: World, state: WorldState, latent: Latent, lo: int, hi: int, win: Window
) -> np.ndarray:
    pop = dataclasses.replace(world.pop, churn=state.churn)
    days = win.day_numbers
    cny = _cny(world, win)
    p = order_probability(pop, lo, hi, days, world.end, cny)
    eff = state.effects
    mult = eff.order_mult[lo:hi, None] * np.ones((1, len(days)))
    typical = world.pop.line_value[lo:hi] * (1 + world.pop.lines[lo:hi])
    lift = (
        COUPON_LIFT
        * np.minimum(1.0, eff.coupon_fen[lo:hi] / typical)
        * np.minimum(1.0, latent.coupon_awareness[lo:hi])
    )
    valid = days[None, :] < win.start + eff.coupon_days[lo:hi, None]
    mult *= np.where(valid, 1 + lift[:, None], 1.0)
    mult *= np.exp(latent.campaign_affinity[lo:hi] * eff.campaign[lo:hi])[:, None]
    mult *= (1 + VISIT_LIFT * np.minimum(4.0, state.visits_per_30d[lo:hi]))[:, None]
    out: np.ndarray = np.minimum(p * mult.astype(np.float32), 0.98)
    return out


def _cny(world: World, win: Window) -> list[int]:
    from tierwise.generate.calendar import cny_days

    return cny_days(win.start, win.last)


def recommended(
    world: World, b: Baskets, eff: Effects, lo: int, hi: int, win: Window
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The SKUs shown to each customer and which ones it adopts (and from which day).

    Returns ``shown`` (B, REC_SLOTS; -1 = none), ``sku`` (adopted, -1 = none), ``q`` and
    ``from_day`` of the adopted slots.
    """
    n_b = hi - lo
    cat = world.cat
    k = eff.recommend_k[lo:hi]
    shown = np.full((n_b, REC_SLOTS), -1, np.int64)
    sku = np.full((n_b, REC_SLOTS), -1, np.int64)
    q = np.zeros((n_b, REC_SLOTS))
    from_day = np.full((n_b, REC_SLOTS), NEVER, np.int64)
    who = np.flatnonzero(k > 0)
    if not len(who):
        return shown, sku, q, from_day
    p = np.diff(b.explore_cum[who], axis=1, prepend=0.0)
    score = np.where(
        eff.recommend_popular[lo + who, None], cat.popularity[None, :], np.log(p + 1e-12)
    )
    own = np.zeros((len(who), cat.n), bool)
    rows = np.repeat(np.arange(len(who)), b.staple_sku.shape[1])
    cols = b.staple_sku[who].ravel()
    own[rows[cols >= 0], cols[cols >= 0]] = True
    score = np.where(own | (cat.launch[None, :] > win.start), -np.inf, score)
    top = np.argsort(-score, axis=1)[:, :REC_SLOTS]
    use = np.arange(REC_SLOTS)[None, :] < k[who, None]
    shown[who] = np.where(use, top, -1)
    # Adoption: more likely the better the SKU fits the outlet's taste.
    fit = np.sqrt(np.take_along_axis(p, top, 1) / p.max(axis=1, keepdims=True))
    cust = (lo + who)[:, None]
    adopt = use & (uniforms(win.seed, 20, cust, top) < RECOMMEND_ADOPT * fit)
    sku[who] = np.where(adopt, top, -1)
    typical_q = b.staple_q[who, :SLOTS].sum(axis=1) / np.maximum(
        (b.staple_q[who, :SLOTS] > 0).sum(axis=1), 1
    )
    q[who] = np.where(adopt, typical_q[:, None], 0.0)
    delay = np.ceil(uniforms(win.seed, 21, cust, top) * 14).astype(np.int64)
    from_day[who] = np.where(adopt, win.start + delay, NEVER)
    return shown, sku, q, from_day


def with_slots(
    b: Baskets, sku: np.ndarray, q: np.ndarray, from_day: np.ndarray, cat_of: np.ndarray
) -> Baskets:
    """The baskets with extra dated slots appended (recommended SKUs adopted)."""
    return dataclasses.replace(
        b,
        staple_sku=np.concatenate([b.staple_sku, sku], axis=1),
        staple_q=np.concatenate([b.staple_q, q], axis=1),
        staple_from=np.concatenate([b.staple_from, from_day], axis=1),
        staple_cat=np.concatenate([b.staple_cat, cat_of[np.maximum(sku, 0)]], axis=1),
        _monthly=None,
    )


def run_batch(
    world: World,
    latent: Latent,
    state: WorldState,
    baskets: Baskets,
    stock: Stock,
    lo: int,
    hi: int,
    win: Window,
) -> BatchWorld:
    """Simulate customers ``lo:hi`` over the window in the world ``state``."""
    pop, eff = world.pop, state.effects
    days = win.day_numbers
    p = _probability(world, state, latent, lo, hi, win)
    u = uniforms(win.seed, 1, np.arange(lo, hi)[:, None], days[None, :])
    ci, di = np.nonzero(u < p)
    cust = ci.astype(np.int64) + lo
    day = days[di]
    hour = np.searchsorted(_HOUR_CUM, uniforms(win.seed, 2, cust, day), side="right")
    secs = np.minimum(hour, 23) * 3600 + (uniforms(win.seed, 3, cust, day) * 3600).astype(np.int64)
    time_us = day * US_PER_DAY + secs * 1_000_000
    channel = np.where(uniforms(win.seed, 4, cust, day) < 0.9, pop.channel[cust], 0)
    factor = pop.discount[cust] * eff.price_factor[cust]
    rule = np.where(eff.price_factor[cust] < 1, 2, np.where(pop.discount[cust] < 1, 1, 0))
    pricing = Pricing(world.cfg.first_day, factor, rule)
    no_brushing = np.zeros(len(cust), bool)
    lines = build_lines(
        world.cat, baskets, cust, day, no_brushing, stock.out, stock.first_day, pricing,
        AddressNoise(win.seed, cust, day), basket_factor=eff.basket_mult[cust],
    )  # fmt: skip
    orders = from_lines(cust, day, time_us, channel, no_brushing, lines)
    n_b = hi - lo
    # Coupons: the first order in the validity window that reaches the threshold, if the
    # customer notices the coupon (the same notice in both worlds).
    coupon_order = np.zeros(len(cust), np.int64)
    has = eff.coupon_fen[cust] > 0
    eligible = (
        has
        & (day < win.start + eff.coupon_days[cust])
        & (orders.amount >= eff.coupon_threshold_fen[cust])
        & (uniforms(win.seed, 22, cust) < latent.coupon_awareness[cust])
    )
    idx = np.flatnonzero(eligible)
    first = idx[np.concatenate([[True], cust[idx][1:] != cust[idx][:-1]])] if len(idx) else idx
    coupon_order[first] = np.minimum(
        eff.coupon_fen[cust[first]].astype(np.int64), orders.amount[first]
    )
    local = cust - lo
    amount = np.bincount(local, weights=orders.amount, minlength=n_b)
    coupons = np.bincount(local, weights=coupon_order, minlength=n_b)
    cost = np.bincount(np.repeat(local, orders.n_lines), weights=orders.line_cost, minlength=n_b)
    net = np.round(amount - coupons).astype(np.int64)
    rebate = np.round(net * eff.rebate_pct[lo:hi] / 100).astype(np.int64)
    revenue = net - rebate
    bills = _bills(world, eff, orders, win, lo)
    overdue = np.zeros(n_b, np.int64)
    late_by = np.where(bills.pay_day < NEVER, bills.pay_day, win.last) - bills.due
    bad = late_by >= 30
    np.maximum.at(overdue, bills.cust[bad] - lo, 1)
    metrics = {
        "revenue": revenue,
        "gross_margin": revenue - np.round(cost).astype(np.int64),
        "orders": np.bincount(local, minlength=n_b),
        "churned": (state.churn[lo:hi] <= win.last).astype(np.int64),
        "days_overdue_30": overdue,
    }
    return BatchWorld(orders, coupon_order, rebate, bills, metrics)


def _bills(world: World, eff: Effects, orders: OrderBatch, win: Window, lo: int) -> Bills:
    """Bill the window's orders under the world's terms; lateness responds to terms."""
    pop = world.pop
    terms = eff.terms_of(pop)[orders.cust]
    day = orders.day
    week_monday = day - (day + 3) % 7
    month = day.astype("datetime64[D]").astype("datetime64[M]")
    next_month = (month + 1).astype("datetime64[D]").astype(np.int64)
    month_start = month.astype("datetime64[D]").astype(np.int64)
    half = month_start + 15 * (day - month_start >= 15)  # 1st–15th, 16th–end (半月结)
    half_issue = np.where(half > month_start, next_month, month_start + 15)
    cycle = [terms <= 1, terms == 2, terms == 4]  # else monthly and net45: the calendar month
    period = np.select(cycle, [day, week_monday, half], month_start)
    issue = np.select(cycle, [day, week_monday + 7, half_issue], next_month)
    key = orders.cust * 1_000_000 + period
    uniq, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    amount = (
        np.bincount(inverse, weights=orders.amount, minlength=len(uniq)).round().astype(np.int64)
    )
    cust, inv_issue, inv_terms = orders.cust[first], issue[first], terms[first]
    keep = inv_issue <= win.last
    cust, inv_issue, inv_terms, amount = cust[keep], inv_issue[keep], inv_terms[keep], amount[keep]
    due = inv_issue + _DUE_AFTER[inv_terms]
    late_p = pop.late_rate[cust] * TERMS_LATE[inv_terms] * eff.late_mult[cust]
    late = uniforms(win.seed, 30, cust, inv_issue) < late_p
    u = uniforms(win.seed, 31, cust, inv_issue)
    delay = np.ceil(-np.log1p(-u) * pop.late_days[cust]).astype(np.int64)
    early = (uniforms(win.seed, 32, cust, inv_issue) * 3).astype(np.int64) * (inv_terms >= 2)
    paid = np.maximum(np.where(late, due + delay, due - early), inv_issue)
    pay_day = np.where(paid <= win.last, paid, NEVER)
    return Bills(cust, inv_issue, due, amount, pay_day)


def batch_baskets(world: World, lo: int, hi: int, batch: int) -> Baskets:
    """The baskets of a batch, exactly as the book drew them."""
    return draw_baskets(world.pop, world.cat, world.centres, lo, hi, stream(world.cfg, 16, batch))


def satisfaction_answers(
    state: WorldState, win: Window, alive: np.ndarray, response: tuple[float, float]
) -> tuple[np.ndarray, np.ndarray]:
    """NPS survey at the end of the window: who answers (bool) and their score 0..10."""
    n = len(state.satisfaction)
    idx = np.arange(n)
    sat = state.satisfaction
    answers = alive & (uniforms(win.seed, 40, idx) < response[0] + response[1] * np.abs(sat - 6))
    z = ndtri(np.clip(uniforms(win.seed, 41, idx), 1e-9, 1 - 1e-9))
    score = np.clip(np.round(sat + 1.2 * z), 0, 10).astype(np.int64)
    return answers, score


def call_answers(state: WorldState, win: Window, response: tuple[float, float]) -> np.ndarray:
    """Whether each outlet would answer its account manager's follow-up call after the
    survey (the second phase of a two-phase survey, docs/generator.md): chance
    ``a + b × |satisfaction − 6|``, its own uniform (slot 42) so the survey's answers do not
    move. The score given on the call is the survey's score (same opinion, same draw)."""
    idx = np.arange(len(state.satisfaction))
    p = np.minimum(1.0, response[0] + response[1] * np.abs(state.satisfaction - 6))
    out: np.ndarray = uniforms(win.seed, 42, idx) < p
    return out
