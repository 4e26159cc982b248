"""Rolling-origin backtest of the forecasts (R-OPS-9): at each origin the models see the
weeks before it only and forecast the next ``h``; WRMSSE and MASE per level
(:mod:`.metrics`) are averaged over the origins. Baseline: bottom-up AutoETS."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from tierwise.errors import UsageError
from tierwise.ops.supply.forecast import BASELINE, RECONCILED, ForecastConfig, forecast
from tierwise.ops.supply.hierarchy import build, level_of
from tierwise.ops.supply.metrics import per_level

MODELS = ["AutoETS", "AutoTheta", "TSB", "LightGBM", "Ensemble", BASELINE, RECONCILED]


@dataclass(frozen=True)
class Backtest:
    """``table``: model × level (and ``overall``) → series, wrmsse, mase (mean of origins);
    ``origins``: the first forecast week of each origin."""

    table: pd.DataFrame
    origins: list[pd.Timestamp]

    def wrmsse(self, model: str, level: str = "overall") -> float:
        t = self.table
        return float(t.loc[(t["model"] == model) & (t["level"] == level), "wrmsse"].iloc[0])

    @property
    def gain(self) -> float:
        """Relative WRMSSE reduction of the reconciled ensemble against bottom-up AutoETS."""
        return 1.0 - self.wrmsse(RECONCILED) / self.wrmsse(BASELINE)


def backtest(
    demand: pd.DataFrame,
    *,
    h: int = 4,
    origins: int = 3,
    step: int = 4,
    min_train_weeks: int = 26,
    cfg: ForecastConfig | None = None,
) -> Backtest:
    """Backtest on the ``demand`` table (:mod:`.series`): the last origin leaves ``h`` weeks
    to forecast, the earlier ones ``step`` weeks apart."""
    cfg = cfg or ForecastConfig()
    y, s, tags = build(demand)
    levels = level_of(tags)
    weeks = sorted(y["ds"].unique())
    firsts = [len(weeks) - h - i * step for i in range(origins)][::-1]
    if firsts[0] < min_train_weeks:
        raise UsageError(
            f"{len(weeks)} weeks of demand are too few for {origins} origins of {h} weeks "
            f"{step} apart after {min_train_weeks} training weeks",
            hint="fewer origins, a shorter horizon, or a longer history",
        )
    tables = []
    for k in firsts:
        cut = weeks[k]
        train = y[y["ds"] < cut]
        test = y[(y["ds"] >= cut) & (y["ds"] < cut + pd.Timedelta(weeks=h))]
        fc = forecast(train, s, tags, h, cfg).frame
        tables.append(per_level(train, test, fc, levels, MODELS))
    allt = pd.concat(tables)
    table = (
        allt.groupby(["model", "level"], sort=False)
        .agg(series=("series", "mean"), wrmsse=("wrmsse", "mean"), mase=("mase", "mean"))
        .reset_index()
    )
    return Backtest(table=table, origins=[pd.Timestamp(weeks[k]) for k in firsts])
