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


def minimize_multistart(
    objective: Objective, n_params: int, *, n_starts: int, seed: int | None, max_iter: int
) -> MultiStartResult:
    """Minimize ``objective`` (value and gradient in log-parameters) from several starts."""
    best: Any = None
    values: list[float] = []
    for x0 in starting_points(n_params, n_starts, seed):
        res = minimize(
            objective,
            x0,
            jac=True,
            method="L-BFGS-B",
            bounds=[(-LOG_BOUND, LOG_BOUND)] * n_params,
            options={"maxiter": max_iter},
        )
        fun = float(res.fun) if np.isfinite(res.fun) else np.inf
        values.append(fun)
        if best is None or fun < float(best.fun):
            best = res
    if best is None or not np.isfinite(best.fun):
        raise DataError("the model could not be fitted: the likelihood is not finite anywhere")
    return MultiStartResult(
        log_params=np.asarray(best.x, dtype=np.float64),
        objective=float(best.fun),
        converged=bool(best.success),
        n_iter=int(best.nit),
        objectives=tuple(values),
    )
