"""Features and every shipped policy compile for another SQL engine (no DuckDB-only SQL).

The Spark contract run is a later issue (it needs a PySpark session); compiling the same
expressions for PostgreSQL already catches a DuckDB-only construct slipping into them.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import ibis
import pytest

from tierwise.features.build import build_features
from tierwise.model.arrow import arrow_schema
from tierwise.model.tables import TABLES
from tierwise.policy import load_policy
from tierwise.policy.engine import grade_frame

ROOT = Path(__file__).resolve().parents[2]


def _features() -> ibis.expr.types.Table:
    tables = {n: ibis.table(arrow_schema(t), name=n) for n, t in TABLES.items()}
    return build_features(tables, dt.date(2025, 6, 30))


@pytest.mark.parametrize("entity", ["outlet", "account"])
def test_features_compile_for_postgres(entity: str) -> None:
    tables = {n: ibis.table(arrow_schema(t), name=n) for n, t in TABLES.items()}
    expr = build_features(tables, dt.date(2025, 6, 30), entity=entity)
    assert "SELECT" in str(ibis.to_sql(expr, dialect="postgres"))


@pytest.mark.parametrize("path", sorted((ROOT / "policies").glob("*.yaml")), ids=lambda p: p.stem)
def test_policies_compile_for_postgres(path: Path) -> None:
    policy = load_policy(path)
    preds = None
    if policy.predictions is not None:  # the model predictions join compiles too
        cols = dict.fromkeys(policy.prediction_columns, "float64")
        preds = ibis.table({"entity_id": "string", **cols}, name="predictions")
    sql = str(ibis.to_sql(grade_frame(_features(), policy, predictions=preds), dialect="postgres"))
    assert "SELECT" in sql
