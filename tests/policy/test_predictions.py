"""Model predictions as rule inputs (``predictions:``, R-GRD-6, issue 8): validation and join."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tierwise.errors import DataError, PolicyError
from tierwise.grading import layout
from tierwise.grading.run import run_grading
from tierwise.policy import load_policy, parse_policy
from tinylake import ts, write_lake

ROOT = Path(__file__).resolve().parents[2]
AS_OF = dt.date(2025, 6, 30)
NOW = dt.datetime(2026, 1, 2, 3, 4, 5)
LEVELS = [
    {"code": "top", "label": {"zh": "高", "en": "High"}, "top": 0.5},
    {"code": "rest", "label": {"zh": "低", "en": "Low"}},
]


def _policy(tag_when: str, **extra: Any) -> dict[str, Any]:
    return {
        "name": "rfm-churn",
        "eligibility": {"when": "orders_lookback >= 1"},
        "predictions": {"path": "preds.parquet", "columns": ["churn_probability", "p_alive"]},
        "score": {"method": "rfm_quantile"},
        "tiers": {"method": "percentile", "levels": LEVELS},
        "tags": [{"code": "churn_warning", "label": {"zh": "流失预警", "en": "Churn"}, "when": tag_when}],
        **extra,
    }  # fmt: skip


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    customers = [{"customer_id": f"c{i}", "account_id": f"a{i % 3}"} for i in range(10)]
    orders = [
        {"order_id": f"o{i}-{k}", "customer_id": f"c{i}",
         "order_time": ts(2025, 6, 28) - dt.timedelta(days=7 * k), "amount": 300 + 50 * i}
        for i in range(10)
        for k in range(2 + i)
    ]  # fmt: skip
    return write_lake(
        tmp_path_factory.mktemp("preds") / "lake", {"customers": customers, "orders": orders}
    )


def _grade(policy: dict[str, Any], lake: Path, tmp_path: Path) -> dict[str, dict[str, Any]]:
    r = run_grading(
        parse_policy(policy),
        as_of=AS_OF,
        lake=lake,
        runs=tmp_path / f"runs{len(list(tmp_path.glob('runs*')))}",  # one folder per run
        now=NOW,
        policy_dir=tmp_path,
    )
    return {x["entity_id"]: x for x in pq.read_table(r.path / layout.ASSIGNMENTS).to_pylist()}


def test_rfm_policy_tags_exactly_the_customers_above_the_churn_threshold(
    lake: Path, tmp_path: Path
) -> None:
    # c0..c7 have a probability (c3 exactly at the threshold); c8 and c9 have none
    probs = [0.1, 0.9, 0.59, 0.6, 0.2, 0.95, None, 0.7]
    pq.write_table(
        pa.table(
            {
                "entity_id": [f"c{i}" for i in range(8)],
                "churn_probability": pa.array(probs, pa.float64()),
                "p_alive": pa.array([0.5] * 8, pa.float64()),
            }
        ),
        tmp_path / "preds.parquet",
    )
    rows = _grade(_policy("churn_probability >= 0.6"), lake, tmp_path)
    assert len(rows) == 10
    tagged = {k for k, v in rows.items() if v["tag_churn_warning"]}
    assert tagged == {"c1", "c3", "c5", "c7"}
    # the run keeps the values the tags read; a missing prediction is null
    assert rows["c1"]["churn_probability"] == 0.9 and rows["c8"]["churn_probability"] is None
    # the tiers still come from RFM: every customer with orders is graded, predictions or not
    assert all(v["status"] == "graded" for v in rows.values())
    # `not` of a comparison with a missing prediction: the comparison is false, so `not` holds
    rows = _grade(_policy("not churn_probability >= 0.6"), lake, tmp_path)
    assert {k for k, v in rows.items() if v["tag_churn_warning"]} == {
        "c0", "c2", "c4", "c6", "c8", "c9"
    }  # fmt: skip


def test_as_of_column_takes_the_latest_prediction_on_or_before_the_run(
    lake: Path, tmp_path: Path
) -> None:
    pq.write_table(
        pa.table(
            {
                "entity_id": ["c1", "c1", "c2", "c2"],
                "as_of": [dt.date(2025, 5, 1), dt.date(2025, 6, 30), dt.date(2025, 6, 1),
                          dt.date(2025, 7, 1)],
                "churn_probability": [0.1, 0.9, 0.1, 0.9],
                "p_alive": [0.5, 0.5, 0.5, 0.5],
            }
        ),
        tmp_path / "preds.parquet",
    )  # fmt: skip
    rows = _grade(_policy("churn_probability >= 0.6"), lake, tmp_path)
    assert {k for k, v in rows.items() if v["tag_churn_warning"]} == {"c1"}


def test_unknown_prediction_column_in_a_rule_is_a_validation_error() -> None:
    with pytest.raises(PolicyError) as err:
        parse_policy(_policy("clv >= 1000"), source="p.yaml")
    msg = str(err.value)
    assert msg.startswith("p.yaml: 1 problem(s): tags[0].when: unknown name 'clv'")
    # a declared column in a tier rule (the score stage) is refused too: tags, layers, segments
    data = _policy("churn_probability >= 0.6")
    data["tiers"] = {
        "method": "threshold",
        "levels": [{**LEVELS[0], "top": None, "when": "p_alive >= 0.5"}, LEVELS[1]],
    }
    del data["tiers"]["levels"][0]["top"]
    with pytest.raises(PolicyError, match=r"tiers.levels\[0\].when: unknown name 'p_alive'"):
        parse_policy(data)


def test_predictions_block_is_strict() -> None:
    data = _policy("churn_probability >= 0.6")
    data["predictions"] = {"path": "p.parquet", "columns": ["churn_probability"], "colums": []}
    with pytest.raises(PolicyError, match=r"predictions.colums: unknown key"):
        parse_policy(data)
    data["predictions"] = {"path": "p.parquet", "columns": ["recency_days", "score"]}
    with pytest.raises(PolicyError) as err:
        parse_policy(data)
    assert "predictions.columns[0]: 'recency_days' is already a feature" in str(err.value)
    assert "predictions.columns[1]: 'score' is already a feature" in str(err.value)
    data["predictions"] = {"path": "p.parquet", "columns": []}
    with pytest.raises(PolicyError, match=r"predictions.columns: List should have at least 1"):
        parse_policy(data)


def test_a_prediction_name_without_the_block_is_unknown() -> None:
    data = _policy("churn_probability >= 0.6")
    del data["predictions"]
    with pytest.raises(PolicyError, match="unknown name 'churn_probability'"):
        parse_policy(data)


def test_missing_predictions_file_is_a_clear_error(lake: Path, tmp_path: Path) -> None:
    with pytest.raises(DataError) as err:
        _grade(_policy("churn_probability >= 0.6"), lake, tmp_path)
    msg = str(err.value)
    assert msg.startswith(f"predictions file {tmp_path / 'preds.parquet'} does not exist (")
    assert "\n" not in msg
    assert not any((tmp_path / "runs0").iterdir())  # nothing half-written


def test_unreadable_or_incomplete_predictions_file_is_a_clear_error(
    lake: Path, tmp_path: Path
) -> None:
    (tmp_path / "preds.parquet").write_text("not parquet", encoding="utf-8")
    with pytest.raises(DataError, match=r"^predictions file .*preds.parquet cannot be read: "):
        _grade(_policy("churn_probability >= 0.6"), lake, tmp_path)
    pq.write_table(
        pa.table({"entity_id": ["c1"], "churn_probability": [0.5]}), tmp_path / "preds.parquet"
    )
    with pytest.raises(DataError, match=r"preds.parquet has no column 'p_alive'"):
        _grade(_policy("churn_probability >= 0.6"), lake, tmp_path)
    pq.write_table(
        pa.table({"entity_id": ["c1"], "churn_probability": ["high"], "p_alive": [0.5]}),
        tmp_path / "preds.parquet",
    )
    with pytest.raises(DataError, match=r"column 'churn_probability' is string, expected a num"):
        _grade(_policy("churn_probability >= 0.6"), lake, tmp_path)
    pq.write_table(
        pa.table({"entity_id": ["c1", "c1"], "churn_probability": [0.5, 0.7], "p_alive": [1, 1]}),
        tmp_path / "preds.parquet",
    )
    with pytest.raises(DataError, match=r"entity_id 'c1' appears 2 times"):
        _grade(_policy("churn_probability >= 0.6"), lake, tmp_path)


def test_shipped_example_policy_reads_the_published_predictions(lake: Path, tmp_path: Path) -> None:
    """policies/kuailv-churn-model.yaml from $TIERWISE_HOME/policies reaches models/."""
    policy = load_policy(ROOT / "policies" / "kuailv-churn-model.yaml")
    home = tmp_path / "home"
    (home / "policies").mkdir(parents=True)
    (home / "models" / "predictions").mkdir(parents=True)
    pq.write_table(
        pa.table(
            {
                "entity_id": ["c4", "c5", "c6", "c9"],
                "p_alive": [0.9, 0.2, 0.8, 0.1],
                "churn_probability": [0.1, 0.8, 0.3, 0.61],
                "clv": [1.0, 2.0, 3.0, 4.0],
                "churn_warning": [False, True, False, True],
            }
        ),
        home / "models" / "predictions" / "latest.parquet",
    )
    r = run_grading(
        policy, as_of=AS_OF, lake=lake, runs=tmp_path / "runs", now=NOW,
        policy_dir=home / "policies",
    )  # fmt: skip
    rows = pq.read_table(r.path / layout.ASSIGNMENTS).to_pylist()
    assert {x["entity_id"] for x in rows if x["tag_churn_warning"]} == {"c5", "c9"}
