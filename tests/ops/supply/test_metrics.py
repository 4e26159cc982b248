"""WRMSSE and MASE per level (R-OPS-9, issue 27 item 2), checked by hand."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from tierwise.ops.supply.metrics import per_level


def _frame(uid: str, ys: list[float], amount: float, start: str) -> pd.DataFrame:
    ds = pd.date_range(start, periods=len(ys), freq="7D")
    return pd.DataFrame({"unique_id": uid, "ds": ds, "y": ys, "amount": amount})


def test_wrmsse_and_mase_by_hand() -> None:
    # a: from its first non-zero week 2, 4, 2, 4 → diffs ±2: scale² 4, |scale| 2
    # b: 1, 2, 3, 4, 5 → diffs 1: scale² 1, |scale| 1
    train = pd.concat(
        [
            _frame("a", [0, 2, 4, 2, 4], 30.0, "2026-01-05"),
            _frame("b", [1, 2, 3, 4, 5], 10.0, "2026-01-05"),
        ]
    )
    test = pd.concat([_frame("a", [4, 4], 0, "2026-02-09"), _frame("b", [6, 7], 0, "2026-02-09")])
    fc = test.loc[:, ["unique_id", "ds"]].assign(m=[2.0, 4.0, 6.0, 9.0])
    t = per_level(train, test, fc, {"a": "bottom", "b": "bottom"}, ["m"], weight_weeks=2)
    row = t[t["level"] == "bottom"].iloc[0]
    rmsse_a, rmsse_b = math.sqrt((4 + 0) / 2 / 4), math.sqrt((0 + 4) / 2 / 1)
    # weights: sales over the last 2 weeks, 60 yuan and 20 yuan
    assert row["wrmsse"] == pytest.approx(0.75 * rmsse_a + 0.25 * rmsse_b)
    assert row["mase"] == pytest.approx(((2 / 2) / 2 + (2 / 2) / 1) / 2)
    assert t[t["level"] == "overall"]["wrmsse"].iloc[0] == pytest.approx(row["wrmsse"])


def test_a_perfect_forecast_scores_zero_and_a_flat_series_is_left_out() -> None:
    train = pd.concat(
        [_frame("a", [1, 3, 1, 3], 5.0, "2026-01-05"), _frame("c", [2, 2, 2, 2], 5.0, "2026-01-05")]
    )
    test = pd.concat([_frame("a", [2], 0, "2026-02-02"), _frame("c", [5], 0, "2026-02-02")])
    fc = test.loc[:, ["unique_id", "ds"]].assign(m=[2.0, 0.0])
    t = per_level(train, test, fc, {"a": "x", "c": "x"}, ["m"])
    row = t[t["level"] == "x"].iloc[0]
    assert row["series"] == 1 and row["wrmsse"] == 0.0 and row["mase"] == 0.0
