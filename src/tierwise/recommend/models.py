"""Item scorers: collaborative filtering, its rival and the baselines.

Every scorer follows scikit-learn's contract (CONVENTIONS 6: ``__init__`` stores parameters,
``fit(book)`` returns ``self``, learned attributes end in ``_``, ``NotFittedError`` before
fitting) and gives ``score(users)``: a dense (len(users) × n_items) array, higher = better.
What a list does with the scores (new items only, business rules, top k) is
:mod:`tierwise.recommend.rank`, one place for every scorer.

- :class:`ALS`: implicit-feedback matrix factorisation (Hu, Koren & Volinsky 2008) from the
  ``implicit`` library; confidence ``1 + alpha · log1p(orders with the item)``.
- :class:`ItemKNN`: item-item cosine neighbours (``implicit``'s ``CosineRecommender``) over
  TIFU-style time-decayed customer vectors (Hu et al. 2020: recent baskets weigh more); the
  customer-neighbour half of TIFU-KNN is left out because it needs all-pairs customer search,
  which does not scale to millions of outlets on one machine.
- :class:`Popularity`: how many customers bought each SKU (the global baseline).
- :class:`SegmentPopularity`: the same within similar outlets (same cuisine, business type,
  province and tier; backing off to cuisine + business type, then cuisine, then everybody
  when a segment has fewer than ``min_customers``): the cold-start list.
- :class:`TopFrequency`: the customer's own most frequent SKUs (the personal baseline).
"""

from __future__ import annotations

from typing import Any, Self

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.exceptions import NotFittedError
from threadpoolctl import threadpool_limits

from tierwise.recommend.book import Book

# Segment keys from the most specific to the least; () = everybody
SEGMENT_LEVELS: tuple[tuple[str, ...], ...] = (
    ("cuisine", "business_type", "province", "tier"),
    ("cuisine", "business_type"),
    ("cuisine",),
    (),
)


class _Scorer:
    name = "scorer"

    def _check(self, attr: str) -> Any:
        value = getattr(self, attr, None)
        if value is None:
            raise NotFittedError(f"{type(self).__name__} is not fitted; call fit(book) first")
        return value

    def fit(self, book: Book) -> Self:  # pragma: no cover - every scorer overrides
        raise NotImplementedError

    def score(self, users: np.ndarray) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError


def confidence(counts: sp.csr_matrix, alpha: float) -> sp.csr_matrix:
    """``1 + alpha · log1p(count)`` on the stored entries (Hu et al.'s log scaling)."""
    m = counts.copy().astype(np.float32)
    m.data = (1.0 + alpha * np.log1p(m.data)).astype(np.float32)
    return m


class ALS(_Scorer):
    """Implicit-feedback ALS (``implicit.cpu.als.AlternatingLeastSquares``)."""

    name = "als"

    def __init__(
        self,
        factors: int = 48,
        regularization: float = 0.05,
        iterations: int = 12,
        alpha: float = 8.0,
        random_state: int = 0,
        num_threads: int = 0,
    ) -> None:
        self.factors = factors
        self.regularization = regularization
        self.iterations = iterations
        self.alpha = alpha
        self.random_state = random_state
        self.num_threads = num_threads

    def fit(self, book: Book) -> Self:
        return self.fit_counts(book.counts)

    def fit_counts(self, counts: sp.csr_matrix) -> Self:
        """Fit on a customers × SKUs matrix of order counts (what :meth:`fit` passes)."""
        from implicit.cpu.als import AlternatingLeastSquares

        # implicit's solver runs its own threads; BLAS threads on top of them thrash (and
        # implicit warns when it is built), so BLAS is held to one thread around it
        with threadpool_limits(1, "blas"):
            model = AlternatingLeastSquares(
                factors=self.factors,
                regularization=self.regularization,
                iterations=self.iterations,
                random_state=self.random_state,
                num_threads=self.num_threads,
            )
            model.fit(confidence(counts, self.alpha), show_progress=False)
        self.user_factors_ = np.asarray(model.user_factors, dtype=np.float32)
        self.item_factors_ = np.asarray(model.item_factors, dtype=np.float32)
        self.model_ = model
        return self

    def score(self, users: np.ndarray) -> np.ndarray:
        uf = self._check("user_factors_")
        return np.asarray(uf[users] @ self.item_factors_.T)

    def fold_in(self, counts_row: sp.csr_matrix) -> np.ndarray:
        """Scores for one customer from their (new) counts, item factors fixed (real time)."""
        model = self._check("model_")
        with threadpool_limits(1, "blas"):
            uf = model.recalculate_user(0, confidence(counts_row, self.alpha))
        return np.asarray(uf @ self.item_factors_.T)


def tifu_vectors(book: Book, decay: float = 0.9, halflife_days: float = 60.0) -> sp.csr_matrix:
    """Customers × SKUs, each purchase weighted ``decay ** (age / halflife)``, rows L2-normed."""
    lines = book.lines.drop_duplicates(["u", "order_id", "i"])
    age = (pd.Timestamp(book.as_of) - lines["day"]).dt.days.to_numpy(dtype=float)
    w = np.power(decay, np.maximum(age, 0) / halflife_days * 10).astype(np.float32)
    m = sp.coo_matrix(
        (w, (lines["u"].to_numpy(), lines["i"].to_numpy())), shape=(book.n_users, book.n_items)
    ).tocsr()
    m.sum_duplicates()
    norms = np.sqrt(np.asarray(m.multiply(m).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sp.csr_matrix(sp.diags(1.0 / norms) @ m, dtype=np.float32)


class ItemKNN(_Scorer):
    """Item-item cosine kNN over time-decayed customer vectors (see module)."""

    name = "item_knn"

    def __init__(self, neighbours: int = 50, decay: float = 0.9, halflife_days: float = 60.0):
        self.neighbours = neighbours
        self.decay = decay
        self.halflife_days = halflife_days

    def fit(self, book: Book) -> Self:
        return self.fit_vectors(tifu_vectors(book, self.decay, self.halflife_days))

    def fit_vectors(self, vectors: sp.csr_matrix) -> Self:
        """Fit on customers × SKUs time-decayed vectors (what :meth:`fit` passes)."""
        from implicit.nearest_neighbours import ItemItemRecommender

        self.vectors_ = vectors
        # cosine between SKU columns: implicit's all-pairs top-K search on the column-normed
        # matrix (what its CosineRecommender does, given CSR so it converts nothing)
        norms = np.sqrt(np.asarray(self.vectors_.multiply(self.vectors_).sum(axis=0))).ravel()
        norms[norms == 0] = 1.0
        normed = sp.csr_matrix(self.vectors_ @ sp.diags(1.0 / norms), dtype=np.float64)
        knn = ItemItemRecommender(K=self.neighbours, num_threads=0)
        knn.fit(normed, show_progress=False)
        self.similarity_ = sp.csr_matrix(knn.similarity, dtype=np.float32)
        return self

    def score(self, users: np.ndarray) -> np.ndarray:
        sim = self._check("similarity_")
        return np.asarray((self.vectors_[users] @ sim).toarray())


class Popularity(_Scorer):
    """Customers who bought each SKU (everybody gets the same list)."""

    name = "popularity"

    def fit(self, book: Book) -> Self:
        self.popularity_ = np.asarray((book.counts > 0).sum(axis=0), dtype=np.float32).ravel()
        return self

    def score(self, users: np.ndarray) -> np.ndarray:
        pop = self._check("popularity_")
        return np.broadcast_to(pop, (len(users), len(pop))).copy()


class TopFrequency(_Scorer):
    """The customer's own order counts per SKU (nothing for SKUs they never bought)."""

    name = "top_frequency"

    def fit(self, book: Book) -> Self:
        self.counts_ = book.counts
        return self

    def score(self, users: np.ndarray) -> np.ndarray:
        return np.asarray(self._check("counts_")[users].toarray())


class SegmentPopularity(_Scorer):
    """Popularity among similar outlets, with back-off to wider segments (see module).

    ``level_`` (per customer) says which level of :data:`SEGMENT_LEVELS` its list came from;
    :meth:`reason_key` gives the segment's values for the reason text.
    """

    name = "segment_popularity"

    def __init__(self, min_customers: int = 20) -> None:
        self.min_customers = min_customers

    def fit(self, book: Book) -> Self:
        bought = (book.counts > 0).astype(np.float32).tocsr()
        seg = book.segments.fillna("∅")
        level = np.full(book.n_users, len(SEGMENT_LEVELS) - 1, dtype=np.int8)
        group = np.zeros(book.n_users, dtype=np.int64)
        tables: list[np.ndarray] = []
        active = np.asarray(bought.sum(axis=1)).ravel() > 0
        offset = 0
        for lv, keys in reversed(list(enumerate(SEGMENT_LEVELS))):
            codes = (
                seg.groupby(list(keys), sort=False).ngroup().to_numpy()
                if keys
                else np.zeros(book.n_users, dtype=np.int64)
            )
            n_groups = int(codes.max()) + 1 if len(codes) else 1
            onehot = sp.csr_matrix(
                (active.astype(np.float32), (codes, np.arange(book.n_users))),
                shape=(n_groups, book.n_users),
            )
            table = np.asarray((onehot @ bought).toarray(), dtype=np.float32)
            size = np.bincount(codes, weights=active, minlength=n_groups)
            ok = size[codes] >= self.min_customers if keys else np.ones(book.n_users, bool)
            level[ok] = lv
            group[ok] = codes[ok] + offset
            tables.append(table)
            offset += n_groups
        self.table_ = np.vstack(tables)
        self.group_ = group
        self.level_ = level
        self.segments_ = seg
        return self

    def score(self, users: np.ndarray) -> np.ndarray:
        table = self._check("table_")
        return np.asarray(table[self.group_[users]])

    def reason_key(self, u: int) -> dict[str, str]:
        """The segment values customer ``u``'s list was drawn from (empty: everybody)."""
        keys = SEGMENT_LEVELS[int(self._check("level_")[u])]
        row = self.segments_.iloc[u]
        return {k: str(row[k]) for k in keys}


SCORERS: dict[str, type[_Scorer]] = {
    c.name: c for c in (ALS, ItemKNN, Popularity, SegmentPopularity, TopFrequency)
}
