"""The new-items CF model on Spark (MLlib ALS), for books beyond one machine.

Same contract and same confidence as :class:`tierwise.recommend.models.ALS` (implicit
feedback, ``1 + alpha · log1p(orders with the item)`` as the rating, ``implicitPrefs``), so
the backtest (:func:`tierwise.recommend.evaluate.backtest`), the ranking and the business
rules are the ones the embedded model goes through: only the fit runs on Spark. The factors
come back to the driver as arrays (customers × factors), which is what serving needs anyway.
"""

from __future__ import annotations

from typing import Any, Self

import numpy as np

from tierwise.recommend.book import Book
from tierwise.recommend.models import _Scorer, confidence


class SparkALS(_Scorer):
    """``pyspark.ml.recommendation.ALS`` with implicit preferences on a given SparkSession."""

    name = "spark_als"

    def __init__(
        self,
        spark: Any,
        factors: int = 48,
        regularization: float = 0.05,
        iterations: int = 12,
        alpha: float = 8.0,
        random_state: int = 0,
    ) -> None:
        self.spark = spark
        self.factors = factors
        self.regularization = regularization
        self.iterations = iterations
        self.alpha = alpha
        self.random_state = random_state

    def fit(self, book: Book) -> Self:
        from pyspark.ml.recommendation import ALS as MLlibALS

        m = confidence(book.counts, 1.0).tocoo()  # 1 + log1p(count); alpha goes to MLlib
        rating = (m.data - 1.0).astype(float)  # log1p(count): MLlib's c = 1 + alpha · r
        rows = list(zip(m.row.tolist(), m.col.tolist(), rating.tolist(), strict=True))
        df = self.spark.createDataFrame(rows, "u INT, i INT, r DOUBLE")
        model = MLlibALS(
            rank=self.factors,
            maxIter=self.iterations,
            regParam=self.regularization,
            alpha=self.alpha,
            implicitPrefs=True,
            userCol="u",
            itemCol="i",
            ratingCol="r",
            seed=self.random_state,
            nonnegative=False,
        ).fit(df)
        self.user_factors_ = _factors(model.userFactors.collect(), book.n_users, self.factors)
        self.item_factors_ = _factors(model.itemFactors.collect(), book.n_items, self.factors)
        return self

    def score(self, users: np.ndarray) -> np.ndarray:
        uf = self._check("user_factors_")
        return np.asarray(uf[users] @ self.item_factors_.T)


def _factors(rows: list[Any], n: int, rank: int) -> np.ndarray:
    """MLlib's (id, features) rows as an n × rank array (ids it never saw: zeros)."""
    out = np.zeros((n, rank), dtype=np.float32)
    for r in rows:
        out[int(r["id"])] = np.asarray(r["features"], dtype=np.float32)
    return out
