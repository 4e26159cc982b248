"""The API's read model: rebuilt from the lake, the published state and the run's details."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine, func, select

from tierwise.api.sample import RUN_2, seed
from tierwise.store.profiles import refresh_profiles, split_details
from tierwise.store.schema import CustomerLayer, CustomerProfile, CustomerTag


def test_refresh_builds_one_row_per_customer(engine: Engine, tmp_path: Path) -> None:
    summary = seed(engine, tmp_path, 30)
    assert (summary.customers, summary.graded, summary.run_id) == (30, 30, RUN_2)
    assert summary.details
    with engine.connect() as conn:
        row = conn.execute(
            select(CustomerProfile).where(CustomerProfile.customer_id == "C0000007")
        ).one()
        tags = conn.execute(select(func.count()).select_from(CustomerTag)).scalar_one()
        layers = conn.execute(select(func.count()).select_from(CustomerLayer)).scalar_one()
    assert row.tier is not None and row.run_id == RUN_2
    assert row.tags == ["churn_warning"] and row.layers["value"] in {"vip", "mid", "low"}
    assert row.features["orders_365d"] == 16 and row.phone.startswith("13")
    assert tags == 4 + 2 and layers == 30  # 7, 14, 21, 28 churn; 13, 26 high risk
    # a second refresh replaces, never duplicates
    again = refresh_profiles(
        engine, tmp_path / "lake", tmp_path / "runs", now=datetime(2026, 12, 1)
    )
    assert again.customers == 30
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(CustomerProfile)).scalar_one() == 30


def test_refresh_without_run_details_keeps_the_tier(engine: Engine, tmp_path: Path) -> None:
    seed(engine, tmp_path, 10)
    summary = refresh_profiles(engine, tmp_path / "lake", None, now=datetime(2026, 12, 1))
    assert not summary.details and summary.graded == 10
    with engine.connect() as conn:
        row = conn.execute(select(CustomerProfile).limit(1)).one()
    assert row.tier is not None and row.tags == [] and row.upgrade == {}


def test_split_details_reads_the_grading_columns() -> None:
    d = split_details(
        {
            "status": "graded",
            "tag_a": True,
            "tag_b": False,
            "layer_value": "vip",
            "rfm_segment": "champion",
            "segment": "growth",
            "next_tier": "gold",
            "gap_score": 0.5,
            "need_spend_365d": 100.0,
            "need_orders_365d": None,
        }
    )
    assert d["tags"] == ["a"] and d["layers"] == {"value": "vip", "rfm_segment": "champion"}
    assert d["upgrade"] == {"next_tier": "gold", "gap_score": 0.5, "needs": {"spend_365d": 100.0}}
