"""``tierwise model fit-clv | fit-churn | fit-value | list`` on a small generated lake."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

import tierwise.cli.model  # noqa: F401  (registers the commands)
from tierwise.cli.main import app
from tierwise.errors import DataError
from tierwise.models.registry import list_models


def test_fit_and_list_models(home: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["model", "fit-clv", "--as-of", "2025-10-31"])
    assert result.exit_code == 0, result.output
    assert "saved clv v0001" in result.output
    result = runner.invoke(
        app, ["model", "fit-churn", "--as-of", "2025-12-31", "--cuts", "6", "--every-days", "30"]
    )
    assert result.exit_code == 0, result.output
    assert "auc" in result.output
    result = runner.invoke(
        app, ["model", "fit-value", "--as-of", "2025-12-31", "--cuts", "6", "--every-days", "30"]
    )
    assert result.exit_code == 0, result.output
    assert "method: weighted" in result.output

    cards = {c.name: c for c in list_models(home / "models")}
    assert set(cards) == {"clv", "churn", "value", "weights"}
    clv = cards["clv"]
    assert str(clv.as_of) == "2025-10-31"
    assert str(clv.training_start) <= "2024-01-31"
    assert clv.data_fingerprint.startswith("orders:")
    assert {"r", "alpha", "a", "b", "p", "q", "gamma"} <= set(clv.params)
    assert 0.5 < cards["churn"].metrics["auc"] <= 1.0

    out = home / "predictions.parquet"
    result = runner.invoke(app, ["model", "predict", "--as-of", "2026-01-15", "--out", str(out)])
    assert result.exit_code == 0, result.output
    pred = pd.read_parquet(out)
    assert pred["entity_id"].is_unique
    assert {"p_alive", "expected_spend", "churn_probability", "churn_warning"} <= set(pred)
    assert {"predicted_spend", "learned_score"} <= set(pred)
    assert pred["p_alive"].between(0, 1).all()
    # Outlets that stopped long ago have no churn score (they are churned already).
    active = pred["churn_probability"].notna()
    assert 0 < active.sum() < len(pred)

    result = runner.invoke(app, ["model", "list"], env={"COLUMNS": "160"})
    assert result.exit_code == 0
    assert "v0001" in result.output
    assert "weights" in result.output


def test_missing_lake_is_a_data_error(home: Path) -> None:
    result = CliRunner().invoke(
        app, ["model", "fit-clv", "--as-of", "2025-10-31", "--lake", str(home / "nowhere")]
    )
    assert isinstance(result.exception, DataError)
    assert "has no 'orders' table" in str(result.exception)
