"""``tierwise model fit-clv | fit-churn | fit-value | list`` on a small generated lake."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import tierwise.cli.model  # noqa: F401  (registers the commands)
from tierwise.cli.main import app
from tierwise.errors import DataError
from tierwise.models.backtest import SEED_POLICY, scoring_only
from tierwise.models.proposal import write_policy
from tierwise.models.publish import read_predictions
from tierwise.models.registry import list_models
from tierwise.pipeline.publish import grade_and_publish
from tierwise.policy import load_policy
from tierwise.store.db import make_engine, sqlite_url
from tierwise.store.migrate import upgrade


def test_fit_and_list_models(home: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["model", "fit-clv", "--as-of", "2025-10-31"])
    assert result.exit_code == 0, result.output
    assert "saved clv v0001" in result.output
    # the fitted parameters with the log-likelihood (issue 19 item 7)
    assert "fitted parameters" in result.output
    shown = {line.split()[0] for line in result.output.splitlines() if line.strip()}
    for name in ("r", "alpha", "a", "b", "p", "q", "gamma"):
        assert name in shown, name
    assert any(n.startswith("log_likelihood") for n in shown)
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


def test_train_registers_models_and_publishes_predictions(home: Path) -> None:
    result = CliRunner().invoke(
        app, ["model", "train", "--as-of", "2025-12-31", "--cuts", "6", "--every-days", "30"]
    )
    assert result.exit_code == 0, result.output
    assert "published predictions for 120 customers" in result.output
    cards = {c.name: c for c in list_models(home / "models")}
    assert set(cards) == {"clv", "churn", "value", "weights"}
    assert all(str(c.training_end) == "2025-12-31" for c in cards.values())
    pred = pd.read_parquet(home / "models" / "predictions" / "latest.parquet")
    assert len(pred) == 120
    assert (pred["clv"] >= pred["expected_spend"]).all()  # a year holds at least 90 days
    assert pred["churn_probability"].dropna().between(0, 1).all()
    engine = make_engine(sqlite_url(home / "state.db"))
    row = read_predictions(engine, "C0001")
    assert row is not None and row["models"]["clv"] == "v0001"
    assert row["clv"] == pytest.approx(float(pred.set_index("entity_id").loc["C0001", "clv"]))


def test_weights_writes_a_proposed_policy_and_prints_its_dry_run(home: Path) -> None:
    """R-GRD-8: learned weights as a proposed policy, with the diff `policy diff` prints."""
    current = home / "current.yaml"
    write_policy(scoring_only(load_policy(SEED_POLICY)), current)
    engine = make_engine(sqlite_url(home / "state.db"))
    upgrade(engine)
    grade_and_publish(
        load_policy(current), as_of=date(2025, 12, 31), lake=home / "lake",
        runs=home / "runs", engine=engine, trigger="test", policy_dir=home,
    )  # fmt: skip
    out = home / "proposed.yaml"
    result = CliRunner().invoke(
        app,
        ["model", "weights", "--as-of", "2025-12-31", "--out", str(out), "--cuts", "6",
         "--every-days", "30"],
        env={"COLUMNS": "200"},
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    proposal = load_policy(out)  # a valid policy file
    assert proposal.name == "kuailv-rfm-learned"
    assert proposal.score.method == "weighted"
    learned = list_models(home / "models")[-1]
    assert learned.name == "weights"
    assert proposal.score.weights == pytest.approx(learned.params["weights"], abs=1e-6)
    assert proposal.tiers == load_policy(current).tiers  # only the score changes
    # the dry run: published tier (rows) -> proposed tier (columns), moves counted
    assert "published tier (rows)" in result.output
    assert "up " in result.output and " down " in result.output
    # the current policy defaults to the published run's
    result = CliRunner().invoke(
        app, ["model", "weights", "--as-of", "2025-12-31", "--out", str(out), "--cuts", "4"]
    )
    assert result.exit_code == 0, result.output
