"""How customers respond to treatments: latent sensitivities and the per-customer effects.

Every number here is a parameter documented in docs/generator.md (response models), with
where it comes from. The latent sensitivities are properties of the customer, drawn from the
*book's* seed, so a customer responds the same way under every plan.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from tierwise.generate.latent import Latent
from tierwise.generate.population import Population
from tierwise.world.plan import (
    TERMS,
    Campaign,
    Coupon,
    Deposit,
    Discount,
    PaymentTerms,
    Rebate,
    Recommend,
    ServiceLevel,
    Treatment,
    VisitCadence,
)

REBATE_LOYALTY = 0.10  # churn hazard falls by this share per rebate percent (capped at 50 %)
COUPON_LIFT = 0.6  # order-rate lift while valid per (coupon value / typical order value)
VISIT_CHURN = 0.35  # churn hazard × exp(-VISIT_CHURN × visits per 30 days)
VISIT_LIFT = 0.02  # order rate + per visit per 30 days (at most 4)
BASE_CHURN_90 = 0.05  # 90-day churn chance of an active customer a harmful treatment scales
# by TERMS (prepaid, cod, weekly, monthly, semimonthly, net45)
TERMS_LATE = np.array([0.0, 0.6, 1.0, 1.5, 1.25, 1.8])  # lateness (prepaid cannot be late)
TERMS_STEP = np.array([0.0, 1.0, 2.0, 3.0, 2.5, 4.0])  # strictness: steps between terms
TERMS_ORDERS = 0.06  # orders lost per step of stricter terms (gained: half per looser step)
DEPOSIT_LATE = 0.5  # lateness × (1 - DEPOSIT_LATE × min(1, percent / 20))
DEPOSIT_ORDERS = 0.004  # order rate × (1 - DEPOSIT_ORDERS × percent)
PRIORITY_SATISFACTION = 0.8  # satisfaction (0–10) gained by priority delivery
COMPLAINT_SATISFACTION = 0.5  # gained by answering complaints within hours instead of a day+
SATISFACTION_CHURN = 0.15  # churn hazard × exp(-SATISFACTION_CHURN × satisfaction gained)
RECOMMEND_ADOPT = 0.25  # adoption chance of a shown SKU at the outlet's best taste match
NPS_RESPONSE = (0.12, 0.04)  # response chance = a + b × |satisfaction - 6|
# a follow-up call by the account manager to a non-respondent is answered with chance
# a + b × |satisfaction - 6|: much higher and much less satisfaction-driven than the survey
CALL_RESPONSE = (0.62, 0.03)


@dataclass
class Effects:
    """What the treatments of one world do to each customer (index = customer number)."""

    n: int
    price_factor: np.ndarray = field(init=False)  # net price × this (discount)
    order_mult: np.ndarray = field(init=False)  # daily order chance × this, whole window
    basket_mult: np.ndarray = field(init=False)  # staple and exploration chances × this
    late_mult: np.ndarray = field(init=False)
    churn_mult: np.ndarray = field(init=False)
    terms: np.ndarray = field(init=False)  # index into TERMS; -1 = keep the customer's own
    rebate_pct: np.ndarray = field(init=False)
    coupon_fen: np.ndarray = field(init=False)
    coupon_threshold_fen: np.ndarray = field(init=False)
    coupon_days: np.ndarray = field(init=False)
    campaign: np.ndarray = field(init=False)  # intensity (0 = none)
    touch_every: np.ndarray = field(init=False)
    visit_every: np.ndarray = field(init=False)  # 0 = no visits
    satisfaction_gain: np.ndarray = field(init=False)
    recommend_k: np.ndarray = field(init=False)
    recommend_popular: np.ndarray = field(init=False)  # bool: popular instead of taste
    priority: np.ndarray = field(init=False)  # bool: priority delivery
    complaint_hours: np.ndarray = field(init=False)  # complaint-handling target (24 = as today)

    def __post_init__(self) -> None:
        n = self.n
        for name in ("price_factor", "order_mult", "basket_mult", "late_mult", "churn_mult"):
            setattr(self, name, np.ones(n))
        for name in ("rebate_pct", "coupon_fen", "coupon_threshold_fen", "campaign",
                     "satisfaction_gain"):  # fmt: skip
            setattr(self, name, np.zeros(n))
        self.terms = np.full(n, -1, np.int64)
        for name in ("coupon_days", "touch_every", "visit_every", "recommend_k"):
            setattr(self, name, np.zeros(n, np.int64))
        self.recommend_popular = np.zeros(n, bool)
        self.priority = np.zeros(n, bool)
        self.complaint_hours = np.full(n, 24.0)

    def apply(self, t: Treatment, idx: np.ndarray, latent: Latent, pop: Population) -> None:
        """Give treatment ``t`` to customers ``idx`` (their static effects)."""
        if isinstance(t, Discount):
            cut = t.percent / 100
            self.price_factor[idx] *= 1 - cut
            self._price_response(idx, cut, latent)
        elif isinstance(t, Rebate):
            self.rebate_pct[idx] += t.percent
            self._price_response(idx, t.percent / 100 * latent.salience[idx], latent)
            self.churn_mult[idx] *= 1 - min(0.5, REBATE_LOYALTY * t.percent)
        elif isinstance(t, Coupon):
            self.coupon_fen[idx] = round(t.value * 100)
            self.coupon_threshold_fen[idx] = round(t.threshold * 100)
            self.coupon_days[idx] = t.valid_days
        elif isinstance(t, Campaign):
            self.campaign[idx] = t.intensity
            self.touch_every[idx] = t.touch_every_days
        elif isinstance(t, VisitCadence):
            self.visit_every[idx] = t.every_days
        elif isinstance(t, PaymentTerms):
            new = TERMS.index(t.terms)
            steps = TERMS_STEP[pop.terms[idx]] - TERMS_STEP[new]  # > 0: stricter than today
            self.order_mult[idx] *= np.where(
                steps > 0, (1 - TERMS_ORDERS) ** steps, (1 + TERMS_ORDERS / 2) ** (-steps)
            )
            self.terms[idx] = new
        elif isinstance(t, Deposit):
            self.late_mult[idx] *= 1 - DEPOSIT_LATE * min(1.0, t.percent / 20)
            self.order_mult[idx] *= max(0.0, 1 - DEPOSIT_ORDERS * t.percent)
        elif isinstance(t, ServiceLevel):
            gain = PRIORITY_SATISFACTION * t.priority_delivery + COMPLAINT_SATISFACTION * max(
                0.0, (24 - t.complaint_hours) / 24
            )
            self.satisfaction_gain[idx] += gain
            self.priority[idx] |= t.priority_delivery
            self.complaint_hours[idx] = t.complaint_hours
            self.churn_mult[idx] *= np.exp(-SATISFACTION_CHURN * gain)
        elif isinstance(t, Recommend):
            self.recommend_k[idx] = t.k
            self.recommend_popular[idx] = t.strategy == "popular"
        else:  # pragma: no cover - the plan's union lists every kind
            raise TypeError(t)

    def _price_response(self, idx: np.ndarray, cut: np.ndarray | float, latent: Latent) -> None:
        """Constant-elasticity response to a price cut, half in frequency and half in basket."""
        mult = (1 - np.asarray(cut)) ** (-latent.elasticity[idx] / 2)
        self.order_mult[idx] *= mult
        self.basket_mult[idx] *= mult

    def terms_of(self, pop: Population) -> np.ndarray:
        """The payment terms index of every customer in this world."""
        out: np.ndarray = np.where(self.terms >= 0, self.terms, pop.terms)
        return out
