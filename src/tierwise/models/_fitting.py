"""Shared fitting machinery of the CLV models: input checks and multi-start L-BFGS-B.

The models are fitted on the logarithms of their (positive) parameters with L-BFGS-B from
several starting points, keeping the best optimum. One start is not enough: on CDNOW, plain
BFGS from a poor start stops in a wrong optimum of the BG/NBD likelihood.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy.optimize import minimize
from sklearn.base import BaseEstimator

from tierwise.errors import DataError

FloatArray = NDArray[np.float64]
Objective = Callable[[FloatArray], tuple[float, FloatArray]]

# exp(±12) spans 6e-6 .. 1.6e5: wider than any sensible parameter, narrow enough that the
# special functions never overflow while the optimizer explores.
LOG_BOUND = 12.0


@dataclass(frozen=True)
class MultiStartResult:
    """Best optimum over all starts."""

    log_params: FloatArray
    objective: float
    converged: bool
    n_iter: int
    objectives: tuple[float, ...]


def columns_as_arrays(X: Any, names: Sequence[str], what: str) -> tuple[FloatArray, ...]:
    """The columns ``names`` of a DataFrame, or of an (n, len(names)) array, as float arrays."""
    if isinstance(X, pd.DataFrame):
        missing = [n for n in names if n not in X.columns]
        if missing:
            raise DataError(
                f"{what} has no column(s) {', '.join(missing)}",
                hint="available columns are: " + ", ".join(map(str, X.columns)),
                missing=missing,
            )
        cols = tuple(np.asarray(X[n], dtype=np.float64) for n in names)
    else:
        arr = np.asarray(X, dtype=np.float64)
        if arr.ndim != 2 or arr.shape[1] != len(names):
            raise DataError(
                f"{what} must be a DataFrame or an array of shape (n, {len(names)}) "
                f"with columns {', '.join(names)}; got shape {arr.shape}"
            )
        cols = tuple(arr[:, i].copy() for i in range(len(names)))
    for name, col in zip(names, cols, strict=True):
        bad = ~np.isfinite(col)
        if bad.any():
            raise DataError(
                f"{what}: column {name} has {int(bad.sum())} missing or infinite value(s)",
                column=name,
            )
    return cols


def check_weights(sample_weight: Any, n: int) -> FloatArray:
    """Sample weights (counts of identical customers) as a float array of length ``n``."""
    if sample_weight is None:
        return np.ones(n)
    w = np.asarray(sample_weight, dtype=np.float64)
    if w.shape != (n,) or (w < 0).any() or not np.isfinite(w).all():
        raise DataError(f"sample_weight must be {n} non-negative finite numbers")
    return w


def starting_points(n_params: int, n_starts: int, seed: int | None) -> list[FloatArray]:
    """Log-parameter starts: all zeros (parameters 1), then spread draws from a seeded RNG."""
    rng = np.random.default_rng(seed)
    starts = [np.zeros(n_params)]
    starts += [rng.uniform(-3.0, 3.0, n_params) for _ in range(max(n_starts, 1) - 1)]
    return starts


def _run(objective: Objective, x0: FloatArray, max_iter: int) -> Any:
    n = len(x0)
    return minimize(
        objective,
        x0,
        jac=True,
        method="L-BFGS-B",
        bounds=[(-LOG_BOUND, LOG_BOUND)] * n,
        # Tight tolerances: the likelihood is flat along a ~ b, and a loose stop leaves a and b
        # off in the third digit.
        options={"maxiter": max_iter, "ftol": 1e-13, "gtol": 1e-8},
    )


def minimize_multistart(
    objective: Objective,
    n_params: int,
    *,
    n_starts: int,
    seed: int | None,
    max_iter: int,
    explore: Objective | None = None,
) -> MultiStartResult:
    """Minimize ``objective`` (value and gradient in log-parameters) from several starts.

    Parameters
    ----------
    objective
        The full-data objective.
    n_params, n_starts, seed, max_iter
        Number of parameters, of starts, seed of the extra starts, iterations per run.
    explore
        Optional cheaper objective (the same likelihood on a random subsample of customers).
        When given, every start runs on it, and only the distinct optima it finds (usually
        one) are polished on the full data: over 2 M customers this keeps the protection of
        several starts at the cost of about one full-data fit.
    """
    first = explore if explore is not None else objective
    runs = [_run(first, x0, max_iter) for x0 in starting_points(n_params, n_starts, seed)]
    values = tuple(float(r.fun) if np.isfinite(r.fun) else np.inf for r in runs)
    if explore is not None:
        distinct: list[FloatArray] = []
        for k in np.argsort(values):
            if np.isfinite(values[k]) and all(np.abs(runs[k].x - d).max() > 0.05 for d in distinct):
                distinct.append(np.asarray(runs[k].x))
        runs = [_run(objective, x0, max_iter) for x0 in distinct]
    best: Any = None
    for res in runs:
        if np.isfinite(res.fun) and (best is None or float(res.fun) < float(best.fun)):
            best = res
    if best is None:
        raise DataError("the model could not be fitted: the likelihood is not finite anywhere")
    return MultiStartResult(
        log_params=np.asarray(best.x, dtype=np.float64),
        objective=float(best.fun),
        converged=bool(best.success),
        n_iter=int(best.nit),
        objectives=values,
    )


def subsample(n: int, size: int, seed: int | None) -> NDArray[np.intp] | None:
    """Indices of a random subsample of ``size`` out of ``n`` rows, or None if n <= size."""
    if size <= 0 or n <= size:
        return None
    rng = np.random.default_rng(None if seed is None else seed + 1)
    return np.sort(rng.choice(n, size=size, replace=False))


class MultiStartModel(BaseEstimator):  # type: ignore[misc]
    """Constructor and multi-start fit shared by the BG/NBD and Gamma-Gamma estimators.

    Parameters are as documented on :class:`tierwise.models.bgnbd.BetaGeoModel`.
    """

    def __init__(
        self,
        penalizer_coef: float = 0.0,
        n_starts: int = 4,
        random_state: int | None = 0,
        max_iter: int = 500,
        multistart_sample: int = 20_000,
    ) -> None:
        self.penalizer_coef = penalizer_coef
        self.n_starts = n_starts
        self.random_state = random_state
        self.max_iter = max_iter
        self.multistart_sample = multistart_sample

    def _fit_log_params(
        self,
        objective: Callable[..., Objective],
        data: tuple[FloatArray, ...],
        w: FloatArray,
        names: Sequence[str],
        log_likelihood: Callable[[FloatArray], FloatArray],
    ) -> MultiStartResult:
        """Fit ``names`` by :func:`minimize_multistart` of ``objective(*data, w, pen)``
        (explored on a subsample when there are many rows); set ``params_``,
        ``log_likelihood_`` (per-row ``log_likelihood(params)`` weighted by ``w``),
        ``n_customers_`` and ``converged_``."""
        pen = float(self.penalizer_coef)
        idx = subsample(len(w), self.multistart_sample, self.random_state)
        res = minimize_multistart(
            objective(*data, w, pen),
            len(names),
            n_starts=self.n_starts,
            seed=self.random_state,
            max_iter=self.max_iter,
            explore=None if idx is None else objective(*(a[idx] for a in data), w[idx], pen),
        )
        p = np.exp(res.log_params)
        self.params_ = dict(zip(names, (float(v) for v in p), strict=True))
        self.log_likelihood_ = float(log_likelihood(p) @ w)
        self.n_customers_ = round(float(w.sum()))
        self.converged_ = res.converged
        return res
