"""Next-order recall@k of simple recommenders on a book: does the world have staples and taste?

For each customer with an order after ``cutoff`` that also ordered before it, the target is
the set of SKUs of its first order after the cutoff. Three recommenders see only the lines up
to the cutoff:

* ``personal``: the customer's own most frequently bought SKUs;
* ``popular``: the SKUs bought by the most customers in the last 90 days before the cutoff;
* ``item_knn``: item-based collaborative filtering (cosine similarity of SKU purchase vectors
  over customers, a customer's score for a SKU = sum of its similarities to the SKUs the
  customer bought).

``recall`` is the mean share of the target's SKUs in the top ``k``; ``new_item_recall`` the
same restricted to target SKUs the customer never bought before, with each recommender's
already-bought SKUs removed from its list (the discovery a collaborative filter should add).
``repeat_share`` is the share of lines after the cutoff whose SKU the customer bought before.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse


@dataclass(frozen=True)
class RecallResult:
    """Recall@k of each recommender, on all target SKUs and on new-to-customer SKUs."""

    customers: int
    recall: dict[str, float]
    new_item_recall: dict[str, float]
    repeat_share: float


def next_order_recall(
    cust: np.ndarray, day: np.ndarray, order: np.ndarray, sku: np.ndarray, cutoff: int,
    n_sku: int, k: int = 10,
) -> RecallResult:  # fmt: skip
    """Recall@``k`` of the three recommenders for the first order after ``cutoff``.

    Parameters
    ----------
    cust, day, order, sku:
        One entry per order line: customer number, day number, an order key (unique per
        order, increasing in time within a customer) and SKU number (< ``n_sku``).
    cutoff:
        Last day the recommenders may see.
    """
    n_cust = int(cust.max()) + 1
    past = day <= cutoff
    hist = sparse.csr_matrix(
        (np.ones(int(past.sum())), (cust[past], sku[past])), shape=(n_cust, n_sku)
    )
    hist.sum_duplicates()
    bought = hist.copy()
    bought.data[:] = 1.0
    future = ~past
    repeat = float(np.asarray(bought[cust[future], sku[future]]).mean()) if future.any() else 0.0
    # The first order after the cutoff of each customer with history.
    f_idx = np.flatnonzero(future)
    first_order = np.full(n_cust, np.iinfo(np.int64).max)
    np.minimum.at(first_order, cust[f_idx], order[f_idx])
    target = f_idx[order[f_idx] == first_order[cust[f_idx]]]
    has_hist = np.asarray(bought.sum(axis=1)).ravel() > 0
    target = target[has_hist[cust[target]]]
    who = np.unique(cust[target])
    recent = past & (day > cutoff - 90)
    pop_counts = np.bincount(
        sku[recent], minlength=n_sku
    ) if recent.any() else np.zeros(n_sku)  # fmt: skip
    # customers per SKU (not lines): popularity among outlets
    pop_users = sparse.csr_matrix(
        (np.ones(int(recent.sum())), (cust[recent], sku[recent])), shape=(n_cust, n_sku)
    )
    pop_users.data[:] = 1.0
    pop_score = np.asarray(pop_users.sum(axis=0)).ravel() + 1e-6 * pop_counts
    norms = np.sqrt(np.asarray(bought.multiply(bought).sum(axis=0)).ravel())
    norms[norms == 0] = 1.0
    scaled = bought @ sparse.diags(1.0 / norms)
    sim = (scaled.T @ scaled).toarray()
    np.fill_diagonal(sim, 0.0)
    b_who = bought[who]
    scores = {
        "personal": hist[who].toarray(),
        "popular": np.broadcast_to(pop_score, (len(who), n_sku)).copy(),
        "item_knn": np.asarray(b_who @ sim),
    }
    already = b_who.toarray() > 0
    row_of = np.full(n_cust, -1)
    row_of[who] = np.arange(len(who))
    t_rows, t_sku = row_of[cust[target]], sku[target]
    t_new = ~already[t_rows, t_sku]
    recall, new_recall = {}, {}
    for name, s in scores.items():
        recall[name] = _mean_recall(s, t_rows, t_sku, np.ones(len(t_rows), bool), k, len(who))
        fresh = np.where(already, -np.inf, s)
        new_recall[name] = _mean_recall(fresh, t_rows, t_sku, t_new, k, len(who))
    return RecallResult(len(who), recall, new_recall, repeat)


def _mean_recall(
    scores: np.ndarray, rows: np.ndarray, skus: np.ndarray, use: np.ndarray, k: int, n: int
) -> float:
    """Mean over customers of the share of their (used) target SKUs in their top ``k``."""
    if not use.any():
        return 0.0
    top = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    in_top = np.zeros(scores.shape, bool)
    np.put_along_axis(in_top, top, True, axis=1)
    in_top &= np.isfinite(scores)
    hit = in_top[rows[use], skus[use]]
    per_hits = np.bincount(rows[use], weights=hit, minlength=n)
    per_count = np.bincount(rows[use], minlength=n)
    ok = per_count > 0
    return float(np.mean(per_hits[ok] / per_count[ok]))
