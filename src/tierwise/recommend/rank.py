"""From scores to a 猜你喜欢 (new to you) list: new items only, business rules, top k.

One function for every scorer (CF, rival, baselines), so the backtest judges exactly what is
served. Scores are first min–max scaled per customer to 0–1 over the SKUs still allowed (ALS
scores can be negative, and a multiplicative boost on a negative score would push it down),
then boosted: ``× (1 + margin_weight × margin rate) × (1 + clearance boost)``. SKUs the
customer has bought, out-of-stock SKUs and categories blocked for the customer's cuisine get
minus infinity and never appear.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from tierwise.recommend.book import Book
from tierwise.recommend.policy import Rules


def boost_vector(book: Book, rules: Rules) -> np.ndarray:
    """Per SKU (aligned with ``book.items``): the multiplicative boost of the rules."""
    clearance = np.zeros(book.n_items)
    for sku, b in rules.clearance.items():
        j = int(book.items.get_indexer(pd.Index([sku]))[0])
        if j >= 0:
            clearance[j] = b
    margin = np.maximum(book.margin_rate, 0.0)
    return np.asarray((1.0 + rules.margin_weight * margin) * (1.0 + clearance))


def allowed_mask(book: Book, users: np.ndarray, rules: Rules) -> np.ndarray:
    """(len(users) × n_items) booleans: in stock and a category allowed for the outlet."""
    ok_item = ~book.items.isin(rules.out_of_stock)
    mask = np.broadcast_to(ok_item, (len(users), book.n_items)).copy()
    if rules.blocked_categories:
        cats = book.products["category"].to_numpy()
        cuisine = book.segments["cuisine"].to_numpy()[users]
        for c, blocked in rules.blocked_categories.items():
            rows = cuisine == c
            if rows.any():
                mask[np.ix_(rows, np.isin(cats, blocked))] = False
    return mask


def top_new(
    scores: np.ndarray,
    bought: sp.csr_matrix,
    allowed: np.ndarray,
    boost: np.ndarray,
    k: int,
) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` best new items per row: (item codes, final scores), best first.

    ``bought`` holds the rows' purchase counts (same rows as ``scores``). Rows with fewer
    than ``k`` eligible items are padded with item code -1.
    """
    s = np.asarray(scores, dtype=np.float64).copy()
    ok = allowed & ~(bought.toarray() > 0)
    s[~ok] = np.nan
    lo = np.nanmin(np.where(ok, s, np.inf), axis=1, keepdims=True)
    hi = np.nanmax(np.where(ok, s, -np.inf), axis=1, keepdims=True)
    span = np.where(hi > lo, hi - lo, 1.0)
    scaled = np.where(ok, (s - lo) / span + 1e-6, -np.inf) * boost
    scaled[~ok] = -np.inf
    kk = min(k, scaled.shape[1])
    part = np.argpartition(-scaled, kk - 1, axis=1)[:, :kk]
    vals = np.take_along_axis(scaled, part, axis=1)
    order = np.lexsort((part, -vals), axis=1)
    items = np.take_along_axis(part, order, axis=1)
    vals = np.take_along_axis(vals, order, axis=1)
    items = np.where(np.isfinite(vals), items, -1)
    return items, np.where(np.isfinite(vals), vals, 0.0)
