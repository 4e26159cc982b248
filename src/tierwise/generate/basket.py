"""What each outlet buys: a latent taste, a staple basket with reorder intervals, exploration.

Outlets and SKUs live in one latent taste space (``TASTE_DIMS`` dimensions): an outlet's taste
is its cuisine's centre plus its own noise, a SKU's position is its base product's plus a
little noise, and outlets also have a price level that likes or dislikes premium packs. The
affinity of outlet *i* for SKU *j* is ``taste_i · emb_j / sqrt(K) + 0.6 · level_i · premium_j
+ popularity_j``; inside each category it is a softmax, and across categories the outlet's
category mix (its cuisine's) sets the shares. So outlets of similar taste buy similar things,
which is the signal a collaborative filter can find.

* **Staples**: 10–40 SKUs drawn from that distribution without replacement (Gumbel top-k),
  each with its own reorder interval (the category's typical interval × a log-normal spread);
  a staple is on an order with probability ``min(0.95, gap / interval)`` rescaled so that
  staples make about 85 % of an outlet's lines (``gap`` = the outlet's mean days between
  orders). This is a memoryless (geometric) reorder process, not a stock-keeping one.
* **Exploration**: a Poisson number of extra lines per order drawn from the same affinity
  over the long-listed SKUs.
* **New products** (launched during the book) enter baskets by adoption: an outlet adopts a
  new SKU with a probability that rises with its taste match, and the better the match the
  sooner (mean delay ``120 · exp(1 − match)`` days after launch), so a new product spreads
  first through the outlets most like its early buyers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from tierwise.generate.catalog import category_season
from tierwise.generate.master import TASTE_DIMS, Catalogue
from tierwise.generate.population import NEVER, Population
from tierwise.model.tables import CATEGORIES

SLOTS = 40  # staple slots per outlet (the largest basket)
NEW_SLOTS = 6  # extra slots for adopted new products
STAPLE_SHARE = 0.85  # share of an outlet's lines that come from its staples
# Typical reorder interval in days per category (CATEGORIES order): fresh goods every few
# days, seasonings and dry goods every one to three weeks.
REORDER_DAYS = np.array([5.0, 10.0, 10.0, 3.0, 2.0, 4.0, 14.0, 10.0, 7.0, 14.0])
assert len(REORDER_DAYS) == len(CATEGORIES)
BASKET_SIZE = ((10, 20), (15, 30), (25, 40))  # staples by scale (small, medium, large)


@dataclass
class Baskets:
    """The tastes and baskets of customers ``lo:hi`` (row = customer - lo)."""

    lo: int
    taste: np.ndarray  # (B, K) float32
    price_level: np.ndarray  # (B,)
    staple_sku: np.ndarray  # (B, SLOTS + NEW_SLOTS) SKU number, -1 = empty slot
    staple_q: np.ndarray  # (B, SLOTS + NEW_SLOTS) probability the staple is on an order
    staple_from: np.ndarray  # (B, SLOTS + NEW_SLOTS) first day the slot is bought
    explore_cum: np.ndarray  # (B, n_sku) float64 cumulative exploration distribution
    explore_rate: np.ndarray  # (B,) mean exploration lines per order
    affinity: np.ndarray  # (B, n_sku) float32 log-affinity (within-category softmax logits)
    gap_days: np.ndarray  # (B,) mean days between the outlet's orders
    line_value: np.ndarray  # (B,) typical value of a line, fen
    staple_cat: np.ndarray  # (B, slots) category of each slot's SKU (0 for an empty slot)
    _monthly: np.ndarray | None = field(default=None, repr=False)

    def monthly_q(self) -> np.ndarray:
        """(B, 12, slots) float32: the staple probabilities times the category's season."""
        if self._monthly is None:
            season = category_season()[self.staple_cat]  # (B, slots, 12)
            q = self.staple_q[:, :, None] * season
            self._monthly = np.ascontiguousarray(q.transpose(0, 2, 1), dtype=np.float32)
        return self._monthly

    @property
    def interval_days(self) -> np.ndarray:
        """Mean reorder interval in days of each staple slot (inf for an empty slot)."""
        gap = self.gap_days[:, None]
        with np.errstate(divide="ignore"):
            out: np.ndarray = np.where(self.staple_q > 0, gap / self.staple_q, np.inf)
        return out


def cuisine_tastes(seed: int, n_cuisines: int) -> np.ndarray:
    """The centre of each cuisine in the taste space (one stream for the whole book)."""
    return np.random.default_rng([seed, 5]).normal(0.0, 1.0, (n_cuisines, TASTE_DIMS))


def _within_category_softmax(logits: np.ndarray, cat: Catalogue, allowed: np.ndarray) -> np.ndarray:
    """exp(logits) normalised inside each category (columns are category-sorted)."""
    w = np.exp(logits - logits.max(axis=1, keepdims=True)) * allowed
    offset, count = cat.by_category()
    sums = np.add.reduceat(w, offset, axis=1)
    sums = np.where(sums > 0, sums, 1.0)
    out: np.ndarray = w / np.repeat(sums, count, axis=1)
    return out


def draw_baskets(
    pop: Population,
    cat: Catalogue,
    centres: np.ndarray,
    lo: int,
    hi: int,
    rng: np.random.Generator,
) -> Baskets:
    """Draw the taste, staples and exploration of customers ``lo:hi``.

    Parameters
    ----------
    pop, cat:
        The population and the catalogue.
    centres:
        :func:`cuisine_tastes` of the book.
    lo, hi:
        The batch of customers.
    rng:
        The batch's basket stream (the same batch always gets the same baskets).
    """
    b = hi - lo
    k = TASTE_DIMS
    taste = (centres[pop.cuisine[lo:hi]] * 0.8 + rng.normal(0, 0.6, (b, k))).astype(np.float32)
    level = rng.normal(0, 1, b) + 0.5 * (pop.scale[lo:hi] - 1)
    logits = taste @ (cat.embedding.T / np.float32(np.sqrt(k)))
    logits += (0.6 * level[:, None]).astype(np.float32) * cat.premium.astype(np.float32)[None, :]
    logits += cat.popularity.astype(np.float32)[None, :]
    listed = (cat.launch < 0)[None, :]
    within = _within_category_softmax(logits, cat, listed)
    prefs = np.diff(pop.cat_cum[lo:hi], axis=1, prepend=0.0)
    p = within * prefs[:, cat.category]
    p /= p.sum(axis=1, keepdims=True)
    cum = np.cumsum(p, axis=1)
    cum[:, -1] = 1.0

    # Staples: Gumbel top-k without replacement from the outlet's distribution.
    sizes = np.array(BASKET_SIZE)[pop.scale[lo:hi]]
    n_staples = rng.integers(sizes[:, 0], sizes[:, 1] + 1)
    u = rng.random(p.shape, dtype=np.float32)
    with np.errstate(divide="ignore"):
        keys = np.log(p.astype(np.float32)) - np.log(-np.log(np.maximum(u, np.float32(1e-30))))
    top = np.argpartition(-keys, SLOTS - 1, axis=1)[:, :SLOTS]
    top = np.take_along_axis(top, np.argsort(-np.take_along_axis(keys, top, 1), axis=1), 1)
    used = np.arange(SLOTS)[None, :] < n_staples[:, None]
    gap = 7.0 / (pop.weekdays[lo:hi].sum(axis=1) * pop.p_on[lo:hi])
    interval = REORDER_DAYS[cat.category[top]] * rng.lognormal(0, 0.4, top.shape)
    q_raw = np.where(used, np.minimum(1.0, gap[:, None] / interval), 0.0)
    lines = 1 + pop.lines[lo:hi]
    scale = STAPLE_SHARE * lines / np.maximum(q_raw.sum(axis=1), 1e-9)
    q = np.minimum(0.95, q_raw * scale[:, None])

    # New products: adoption more likely, and sooner, the better the taste match.
    new = np.flatnonzero(cat.launch >= 0)
    new_sku = np.full((b, NEW_SLOTS), -1, np.int64)
    new_q = np.zeros((b, NEW_SLOTS))
    new_from = np.full((b, NEW_SLOTS), NEVER, np.int64)
    if len(new):
        match = logits[:, new] - cat.popularity[new][None, :]
        pref_new = prefs[:, cat.category[new]] * len(CATEGORIES)
        p_adopt = np.minimum(1.0, pref_new) / (1 + np.exp(-(2.0 * match - 2.5)))
        adopt = rng.random(match.shape) < p_adopt
        score = np.where(adopt, match, -np.inf)
        width = min(NEW_SLOTS, len(new))
        pick = np.argsort(-score, axis=1)[:, :width]
        chosen = np.take_along_axis(adopt, pick, 1)
        delay = rng.exponential(120.0 * np.exp(1.0 - np.take_along_axis(match, pick, 1)))
        new_sku[:, :width] = np.where(chosen, new[pick], -1)
        new_from[:, :width] = np.where(
            chosen, cat.launch[new[pick]] + np.ceil(delay).astype(np.int64), NEVER
        )
        new_int = REORDER_DAYS[cat.category[new[pick]]] * rng.lognormal(0, 0.4, pick.shape)
        new_q[:, :width] = np.where(
            chosen, np.minimum(0.95, gap[:, None] / new_int * scale[:, None]), 0.0
        )
    staple_sku = np.concatenate([np.where(used, top, -1), new_sku], axis=1)
    staple_from = np.concatenate([np.full((b, SLOTS), -NEVER, np.int64), new_from], axis=1)
    return Baskets(
        lo=lo,
        taste=taste,
        price_level=level,
        staple_sku=staple_sku,
        staple_q=np.concatenate([q, new_q], axis=1),
        staple_from=staple_from,
        explore_cum=cum,
        explore_rate=(1 - STAPLE_SHARE) * lines,
        affinity=np.log(np.maximum(within, 1e-12)).astype(np.float32),
        gap_days=gap,
        line_value=pop.line_value[lo:hi],
        staple_cat=cat.category[np.maximum(staple_sku, 0)],
    )
