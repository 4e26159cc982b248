"""Customer-grouped train / calibration / hold-out split shared by the churn and value models.

Rows of one customer (several cut dates) stay in one part, so calibration and hold-out metrics
measure how the model does on customers it has not seen.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from tierwise.errors import DataError


def group_split(
    groups: Any, fractions: tuple[float, ...], seed: int | None
) -> list[NDArray[np.intp]]:
    """Row indices of each part, splitting distinct ``groups`` by ``fractions`` (sum ≤ 1)."""
    codes, uniques = pd.factorize(pd.Series(np.asarray(groups)), sort=True)
    if len(uniques) < len(fractions) * 2:
        raise DataError(
            f"only {len(uniques)} distinct customers: too few to split into {len(fractions)} parts",
            hint="use more customers or more history",
        )
    rng = np.random.default_rng(seed)
    part_of_group = np.searchsorted(np.cumsum(fractions), rng.random(len(uniques)), side="right")
    part = part_of_group[codes]
    return [np.flatnonzero(part == k) for k in range(len(fractions))]
