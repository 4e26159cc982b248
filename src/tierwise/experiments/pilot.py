"""City pilots (灰度, R-GRD-11): a policy change in one or two cities, judged against matched
control cities by difference in differences, with a placebo check on earlier periods.

Pure functions on per-outlet metrics; :mod:`tierwise.experiments.pilots` keeps them in the
store. The estimate is the difference in means of each outlet's change (window minus the
period before the start) between pilot and control outlets, errors clustered by account;
the placebo runs the same estimator on the two periods before that, where the pilot had not
begun, so an interval that excludes 0 there says the cities' trends differed already.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from tierwise.errors import DataError
from tierwise.experiments.stats import difference_in_means


def city_series(outlets: pd.DataFrame, periods: list[pd.Series]) -> pd.DataFrame:
    """Mean metric per outlet of each city in each period (rows: cities, columns: periods)."""
    cols = {}
    for i, values in enumerate(periods):
        v = values.reindex(outlets["customer_id"]).fillna(0.0).to_numpy()
        cols[i] = pd.Series(v).groupby(outlets["city"].to_numpy()).mean()
    return pd.DataFrame(cols)


def match_controls(series: pd.DataFrame, pilots: list[str], k: int) -> list[str]:
    """The ``k`` cities whose pre-period series is closest to the pilot cities' mean series
    (Euclidean, after scaling by the pilots' mean level): same level and same trend."""
    missing = [c for c in pilots if c not in series.index]
    if missing:
        raise DataError(
            f"pilot city {missing[0]!r} has no outlets in the lake",
            value=missing[0],
            expected=", ".join(map(str, series.index[:20])),
        )
    target = series.loc[pilots].mean()
    scale = max(float(np.abs(target).mean()), 1e-9)
    rest = series.drop(index=pilots)
    if len(rest) < k:
        raise DataError(f"only {len(rest)} other cities to match {k} control cities from")
    dist = ((rest - target) / scale).pow(2).sum(axis=1).sort_values(kind="stable")
    return [str(c) for c in dist.index[:k]]


def did(
    outlets: pd.DataFrame,
    before: pd.Series,
    after: pd.Series,
    pilots: list[str],
    controls: list[str],
    alpha: float = 0.05,
) -> dict[str, Any]:
    """Difference in differences of pilot vs control outlets between two periods."""
    sel = outlets[outlets["city"].isin([*pilots, *controls])]
    if sel.empty:
        raise DataError("neither the pilot nor the control cities have outlets")
    ids = sel["customer_id"]
    change = after.reindex(ids).fillna(0.0).to_numpy() - before.reindex(ids).fillna(0.0).to_numpy()
    treated = sel["city"].isin(pilots).to_numpy().astype(float)
    e = difference_in_means(change, treated, groups=sel["account_id"].to_numpy(), alpha=alpha)
    return {
        "effect": e.effect,
        "se": e.se,
        "ci_low": e.ci_low,
        "ci_high": e.ci_high,
        "p_value": e.p_value,
        "pilot_outlets": e.n_treatment,
        "control_outlets": e.n_control,
    }


def pilot_analysis(
    outlets: pd.DataFrame,
    periods: list[pd.Series],
    pilots: list[str],
    controls: list[str],
    alpha: float = 0.05,
) -> dict[str, Any]:
    """``periods`` oldest first: [placebo-before, placebo-after = pre, window]. The effect is
    pre → window; the placebo is placebo-before → pre (should include 0)."""
    if len(periods) != 3:
        raise DataError("a pilot analysis needs three periods: two before the start and the window")
    effect = did(outlets, periods[1], periods[2], pilots, controls, alpha)
    placebo = did(outlets, periods[0], periods[1], pilots, controls, alpha)
    placebo["passed"] = placebo["ci_low"] <= 0 <= placebo["ci_high"]
    return {
        "effect": effect,
        "placebo": placebo,
        "pilot_cities": pilots,
        "control_cities": controls,
    }
