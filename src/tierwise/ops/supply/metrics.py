"""Forecast accuracy per level of the hierarchy (R-OPS-9): WRMSSE (the M5 measure) and MASE.

For a series with training values y_1..y_n (from its first non-zero week) and forecasts over
the test weeks:

- RMSSE = sqrt(mean_test (y - ŷ)² / mean_train (y_t − y_{t−1})²), MASE = mean_test |y − ŷ| /
  mean_train |y_t − y_{t−1}| (the one-step naive forecast's in-sample error is the scale);
- a level's WRMSSE = Σ w_i RMSSE_i, w_i the series' share of the level's sales in yuan over
  the last ``weight_weeks`` training weeks (M5: the last 28 days); a level's MASE is the mean
  over its series. The overall WRMSSE is the mean of the levels' (M5 weights levels equally).

A series whose scale is 0 (constant over training) has no RMSSE/MASE and is left out.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def scales(train: pd.DataFrame) -> pd.DataFrame:
    """Per unique_id: ``sq`` (mean squared one-step difference) and ``abs`` (mean absolute),
    from the series' first non-zero week."""

    def one(g: pd.DataFrame) -> pd.Series:
        y = g["y"].to_numpy()
        nz = np.flatnonzero(y)
        y = y[nz[0] :] if len(nz) else y[:0]
        d = np.diff(y)
        if len(d) == 0:
            return pd.Series({"sq": np.nan, "abs": np.nan})
        return pd.Series({"sq": float(np.mean(d**2)), "abs": float(np.mean(np.abs(d)))})

    ordered = train.sort_values(["unique_id", "ds"])
    out = pd.DataFrame(ordered.groupby("unique_id")[["y"]].apply(one))
    return out


def weights(train: pd.DataFrame, weight_weeks: int) -> pd.Series:
    """Yuan sales of each unique_id over the last ``weight_weeks`` weeks of ``train``."""
    last = train["ds"].max() - pd.Timedelta(weeks=weight_weeks - 1)
    out: pd.Series = train[train["ds"] >= last].groupby("unique_id")["amount"].sum()
    return out


def per_level(
    train: pd.DataFrame,
    test: pd.DataFrame,
    forecasts: pd.DataFrame,
    level_of: dict[str, str],
    models: list[str],
    *,
    weight_weeks: int = 4,
) -> pd.DataFrame:
    """WRMSSE and MASE of each model per level (rows: level × model), plus an ``overall``
    row per model (mean of the levels).

    ``train``/``test``: unique_id, ds, y, amount; ``forecasts``: unique_id, ds and one column
    per model.
    """
    sc = scales(train)
    w = weights(train, weight_weeks)
    m = test.loc[:, ["unique_id", "ds", "y"]].merge(forecasts, on=["unique_id", "ds"])
    rows = []
    for model in models:
        e = m.assign(se=(m["y"] - m[model]) ** 2, ae=(m["y"] - m[model]).abs())
        agg = e.groupby("unique_id").agg(mse=("se", "mean"), mae=("ae", "mean")).join(sc)
        agg = agg[(agg["sq"] > 0) & agg["sq"].notna()]
        agg["rmsse"] = np.sqrt(agg["mse"] / agg["sq"])
        agg["mase"] = agg["mae"] / agg["abs"]
        agg["level"] = agg.index.map(level_of)
        agg["w"] = w.reindex(agg.index).fillna(0.0)
        for level, g in agg.groupby("level", sort=False):
            tot = g["w"].sum()
            wr = float((g["w"] * g["rmsse"]).sum() / tot) if tot > 0 else float(g["rmsse"].mean())
            rows.append(
                {
                    "model": model,
                    "level": level,
                    "series": len(g),
                    "wrmsse": wr,
                    "mase": float(g["mase"].mean()),
                }
            )
    out = pd.DataFrame(rows)
    overall = (
        out.groupby("model", sort=False)
        .agg(series=("series", "sum"), wrmsse=("wrmsse", "mean"), mase=("mase", "mean"))
        .reset_index()
        .assign(level="overall")
    )
    return pd.concat([out, overall], ignore_index=True)
