"""The real-time regrade refuses a run whose policy reads model output (issue 8, R-GRD-6)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tierwise.errors import UsageError
from tierwise.grading.run import run_grading
from tierwise.policy import parse_policy
from tierwise.realtime.context import load_context
from tinylake import ts, write_lake


def test_a_policy_reading_model_predictions_is_left_to_the_batch_run(tmp_path: Path) -> None:
    customers = [{"customer_id": f"c{i}", "account_id": "a"} for i in range(4)]
    orders = [
        {"order_id": f"o{i}-{k}", "customer_id": f"c{i}",
         "order_time": ts(2025, 6, 1) - dt.timedelta(days=7 * k), "amount": 100 + i}
        for i in range(4)
        for k in range(3)
    ]  # fmt: skip
    lake = write_lake(tmp_path / "lake", {"customers": customers, "orders": orders})
    pq.write_table(
        pa.table({"entity_id": ["c1"], "churn_probability": [0.9]}), tmp_path / "p.parquet"
    )
    policy = parse_policy(
        {
            "name": "rfm-churn",
            "predictions": {"path": "p.parquet", "columns": ["churn_probability"]},
            "score": {"method": "rfm_quantile"},
            "tiers": {
                "method": "percentile",
                "levels": [
                    {"code": "top", "label": {"zh": "高", "en": "High"}, "top": 0.5},
                    {"code": "rest", "label": {"zh": "低", "en": "Low"}},
                ],
            },
            "tags": [
                {"code": "churn_warning", "label": {"zh": "流失预警", "en": "Churn"},
                 "when": "churn_probability >= 0.6"}
            ],
        }
    )  # fmt: skip
    r = run_grading(
        policy, as_of=dt.date(2025, 6, 30), lake=lake, runs=tmp_path / "runs",
        now=dt.datetime(2026, 1, 1), policy_dir=tmp_path,
    )  # fmt: skip
    with pytest.raises(UsageError, match="reads a model's output"):
        load_context(r.run_id, dt.datetime(2026, 1, 2), tmp_path / "runs")
