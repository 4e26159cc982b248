"""A grading run writes its layout atomically and records what it graded with."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tierwise.errors import DataError
from tierwise.grading import layout
from tierwise.grading.fingerprint import data_fingerprint
from tierwise.grading.run import run_grading
from tierwise.policy import load_policy, parse_policy, policy_hash
from tinylake import ts, write_lake

ROOT = Path(__file__).resolve().parents[2]
AS_OF = dt.date(2025, 6, 30)
NOW = dt.datetime(2026, 1, 2, 3, 4, 5)


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    customers = [{"customer_id": f"c{i}", "account_id": f"a{i % 3}"} for i in range(12)]
    orders = [
        {"order_id": f"o{i}-{k}", "customer_id": f"c{i}",
         "order_time": ts(2025, 6, 28) - dt.timedelta(days=9 * k), "amount": 500 + 100 * i}
        for i in range(11)
        for k in range(i * 3)
    ]  # fmt: skip
    return write_lake(
        tmp_path_factory.mktemp("run") / "lake", {"customers": customers, "orders": orders}
    )


def test_run_layout_and_record(lake: Path, tmp_path: Path) -> None:
    policy = load_policy(ROOT / "policies" / "kuailv.yaml")
    runs = tmp_path / "runs"
    result = run_grading(policy, as_of=AS_OF, lake=lake, runs=runs, now=NOW)
    assert result.run_id == "20250630-kuailv-rfm-20260102T030405000000"
    assert sorted(p.name for p in runs.iterdir()) == sorted([layout.LATEST, result.run_id])
    assert layout.latest_run(runs) == result.path
    record = json.loads((result.path / layout.RUN_JSON).read_text(encoding="utf-8"))
    assert record["policy_hash"] == policy_hash(policy)
    assert record["as_of"] == "2025-06-30"
    assert record["data_fingerprint"] == data_fingerprint(lake, record["tables_read"])
    assert record["counts"]["entities"] == 12
    # c0 and c11 have no orders; c1 has 3 orders but its first is only 20 days old
    assert record["counts"]["insufficient_data"] == 3
    assert sum(record["counts"]["tiers"].values()) == 9
    assert set(record["timings"]) == {"features_s", "grade_s", "write_s", "total_s"}
    a = pq.read_table(result.path / layout.ASSIGNMENTS)
    assert a.column_names[:3] == ["entity_id", "run_id", "as_of"]
    for col in ("status", "score", "tier", "tier_rank", "pct_position", "next_tier", "gap_score",
                "layer_preference", "segment", "tag_churn_warning", "contrib_spend_365d"):  # fmt: skip
        assert col in a.column_names, col
    f = pq.read_table(result.path / layout.FEATURES)
    assert f.num_rows == 12
    assert "median_order_gap_days" in f.column_names
    cut = pq.read_table(result.path / layout.CUTOFFS).to_pylist()
    assert [c["tier"] for c in cut] == ["platinum", "gold", "silver", "bronze"]
    assert cut == record["cutoffs"]


def test_account_level_run(lake: Path, tmp_path: Path) -> None:
    policy = load_policy(ROOT / "policies" / "chuanwei.yaml")
    result = run_grading(policy, as_of=AS_OF, lake=lake, runs=tmp_path, now=NOW)
    ids = pq.read_table(result.path / layout.ASSIGNMENTS, columns=["entity_id"])
    assert sorted(ids["entity_id"].to_pylist()) == ["a0", "a1", "a2"]


def test_failed_run_leaves_nothing(lake: Path, tmp_path: Path) -> None:
    policy = parse_policy(
        {
            "name": "clv",
            "score": {"method": "model", "column": "clv", "path": "missing.parquet"},
            "tiers": {
                "method": "percentile",
                "levels": [
                    {"code": "top", "label": {"zh": "高", "en": "High"}, "top": 0.5},
                    {"code": "rest", "label": {"zh": "低", "en": "Low"}},
                ],
            },
        }
    )
    with pytest.raises(DataError, match="model score file"):
        run_grading(
            policy, as_of=AS_OF, lake=lake, runs=tmp_path / "runs", now=NOW, policy_dir=tmp_path
        )
    assert list((tmp_path / "runs").iterdir()) == []


def test_model_score_slot(lake: Path, tmp_path: Path) -> None:
    import pyarrow as pa

    pq.write_table(
        pa.table({"entity_id": [f"c{i}" for i in range(12)], "clv": [float(i) for i in range(12)]}),
        tmp_path / "clv.parquet",
    )
    policy = parse_policy(
        {
            "name": "clv",
            "eligibility": {"when": "orders_lookback >= 0"},
            "score": {"method": "model", "column": "clv", "path": "clv.parquet"},
            "tiers": {
                "method": "percentile",
                "levels": [
                    {"code": "top", "label": {"zh": "高", "en": "High"}, "top": 0.25},
                    {"code": "rest", "label": {"zh": "低", "en": "Low"}},
                ],
            },
        }
    )
    r = run_grading(
        policy, as_of=AS_OF, lake=lake, runs=tmp_path / "runs", now=NOW, policy_dir=tmp_path
    )
    rows = {x["entity_id"]: x for x in pq.read_table(r.path / layout.ASSIGNMENTS).to_pylist()}
    assert {k for k, v in rows.items() if v["tier"] == "top"} == {"c9", "c10", "c11"}
    assert rows["c11"]["contrib_model_score"] == 11.0


def test_fingerprint_survives_a_copy_and_sees_a_change(lake: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(lake, copy)
    tables = ["customers", "orders"]
    assert data_fingerprint(copy, tables) == data_fingerprint(lake, tables)
    write_lake(
        copy,
        {
            "orders": [
                {"order_id": "x", "customer_id": "c0", "order_time": ts(2025, 1, 1), "amount": 1}
            ]
        },
    )
    assert data_fingerprint(copy, tables) != data_fingerprint(lake, tables)


def test_features_file_is_the_same_whether_kept_as_arrow_or_as_a_table(
    lake: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Small results are written from Arrow in a background thread, large ones by DuckDB's
    COPY from a temporary table: both give the same features.parquet and assignments (up to
    the last bit of a float: DuckDB may fold ``0.3 * 1`` differently in the two plans)."""
    import pyarrow as pa

    from tierwise.engines import output

    policy = load_policy(ROOT / "policies" / "kuailv.yaml")
    arrow_run = run_grading(policy, as_of=AS_OF, lake=lake, runs=tmp_path / "a", now=NOW)
    monkeypatch.setattr(output, "SMALL_RESULT_ROWS", 0)  # every result stays in DuckDB
    table_run = run_grading(policy, as_of=AS_OF, lake=lake, runs=tmp_path / "t", now=NOW)
    for name in (layout.FEATURES, layout.ASSIGNMENTS):
        a = pq.read_table(arrow_run.path / name).sort_by("entity_id")
        t = pq.read_table(table_run.path / name).sort_by("entity_id")
        assert a.schema.equals(t.schema), name
        for col in a.column_names:
            x, y = a[col].to_pylist(), t[col].to_pylist()
            if pa.types.is_floating(a.schema.field(col).type):
                assert [v is None for v in x] == [v is None for v in y], (name, col)
                pairs = [(u, v) for u, v in zip(x, y, strict=True) if u is not None]
                assert all(u == pytest.approx(v, rel=1e-12, abs=1e-12) for u, v in pairs), col
            else:
                assert x == y, (name, col)
