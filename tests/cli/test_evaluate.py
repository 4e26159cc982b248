"""``tierwise evaluate``: the backtest table on a small generated lake (R-ANA-7)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

import tierwise.cli.evaluate  # noqa: F401  (registers the command)
from tierwise.cli.main import app
from tierwise.errors import UsageError


def test_evaluate_compares_methods_against_next_period_spend(home: Path) -> None:
    out = home / "backtest.csv"
    result = CliRunner().invoke(
        app,
        ["evaluate", "--as-of", "2025-06-30", "--as-of", "2025-09-30", "--out", str(out)],
        env={"COLUMNS": "200"},
    )
    assert result.exit_code == 0, result.output
    policies = ("rfm_seed_formula", "rfm_quantile", "weighted_value_preset", "learned_weights")
    for name in (*policies, "model_clv", "model_value"):
        assert name in result.output
    res = pd.read_csv(out)
    assert len(res) == 2 * 6
    for col in ("top20_precision", "top20_recall", "top20_f1", "top5_size"):
        assert res[col].between(0, 1).all(), col
    assert "top20 F1 vs seed RFM" in result.output


def test_a_date_without_a_known_next_period_is_refused(home: Path) -> None:
    result = CliRunner().invoke(app, ["evaluate", "--as-of", "2025-12-15"])
    assert isinstance(result.exception, UsageError)
