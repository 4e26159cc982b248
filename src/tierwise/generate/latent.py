"""Latent sensitivities of each customer: how it would respond to prices, coupons, campaigns.

They are properties of the customer, drawn from the book's seed (stream 40), so the book's
history and every world run forward from it share them. The numbers and their sources are in
docs/generator.md (response models).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tierwise.generate.population import Population

# Own-price elasticity of purchases from this distributor by channel (online, offline,
# wholesale, retail): food-away-from-home demand is about 0.8 (Andreyeva et al. 2010); an
# outlet also moves share of wallet between suppliers, so single restaurants and wholesalers
# respond more, contract chains less (×0.5).
ELASTICITY = np.array([1.2, 1.0, 2.0, 1.0])
CHAIN_ELASTICITY = 0.5
REBATE_SALIENCE = (2.0, 3.0)  # Beta(a, b): share of a deferred rebate perceived as a price cut
COUPON_AWARENESS = (0.55, 0.25)  # chance an app / offline customer uses a coupon it can use
CAMPAIGN_AFFINITY = np.array([0.08, 0.02, -0.04, 0.05])  # mean by channel; sd 0.08
CAMPAIGN_SD = 0.08


@dataclass(frozen=True)
class Latent:
    """Per-customer sensitivities (index = customer number)."""

    elasticity: np.ndarray
    salience: np.ndarray
    coupon_awareness: np.ndarray
    campaign_affinity: np.ndarray
    satisfaction: np.ndarray  # 0..10 under the default service


def draw_latent(pop: Population, book_seed: int) -> Latent:
    """The customers' sensitivities, drawn from the book's seed."""
    rng = np.random.default_rng([book_seed, 40])
    n = pop.n
    base = ELASTICITY[pop.channel] * np.where(pop.chain, CHAIN_ELASTICITY, 1.0)
    complainer = pop.complaint_rate >= 1.0
    return Latent(
        elasticity=base * rng.lognormal(0.0, 0.3, n),
        salience=rng.beta(*REBATE_SALIENCE, n),
        coupon_awareness=np.where(pop.channel == 0, *COUPON_AWARENESS) * rng.uniform(0.6, 1.4, n),
        campaign_affinity=rng.normal(CAMPAIGN_AFFINITY[pop.channel], CAMPAIGN_SD),
        satisfaction=np.clip(7.2 + rng.normal(0, 1.5, n) - 2.5 * complainer, 0, 10),
    )
