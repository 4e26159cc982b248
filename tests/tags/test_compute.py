"""Tag values on the tiny lake, worked out by hand (issue 20; as_of semantics R-FEA-8)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from tierwise.engines import open_backend
from tierwise.errors import ConflictError, UsageError
from tierwise.tags.catalog import Tag
from tierwise.tags.compute import order_custom
from tierwise.tags.snapshot import Snapshot, compute_snapshot, list_snapshots, snapshot_for

from .conftest import AS_OF, NOW


@pytest.fixture(scope="module")
def rows(snapshot: Snapshot) -> dict[str, dict[str, Any]]:
    return {r["entity_id"]: r for r in pq.read_table(snapshot.file).to_pylist()}


def test_snapshot_has_every_customer_existing_at_as_of(rows: dict[str, dict[str, Any]]) -> None:
    assert set(rows) == {"c1", "c2", "c3"}


def test_behaviour_tags(rows: dict[str, dict[str, Any]]) -> None:
    c1 = rows["c1"]
    assert c1["recency"] == "d7" and c1["recency_d7"] is True
    assert c1["freq_30d"] == "low" and c1["freq_30d_low"] is True  # o1, o2
    assert c1["slot_night"] == pytest.approx(0.25)  # o2 at 23:00
    assert c1["main_slot"] == "midday"  # o3 12:00, o4 10:30
    assert c1["dow_sat"] == pytest.approx(0.25)
    assert c1["staples"] == "few"  # S1 in April, May and June
    assert c1["never_ordered"] is False
    assert rows["c2"]["never_ordered"] is True
    assert rows["c2"]["recency"] is None and rows["c2"]["recency_d7"] is False


def test_as_of_cuts_later_orders(rows: dict[str, dict[str, Any]]) -> None:
    # c3 ordered on 2025-07-02, after as_of: nothing of it counts
    assert rows["c3"]["never_ordered"] is True
    assert rows["c3"]["cat_vegetable_buyer"] is False


def test_preference_value_and_risk_tags(rows: dict[str, dict[str, Any]]) -> None:
    c1 = rows["c1"]
    assert c1["cat_hotpot_share"] == pytest.approx(3400 / 3800)
    assert c1["cat_hotpot_heavy"] and c1["cat_hotpot_main"]
    assert c1["pair_hotpot_meat"] is True  # meat 400 / 3800 >= 0.1
    assert c1["pair_hotpot_seafood"] is False
    assert c1["cuisine_hotpot"] is True and c1["biz_chain"] is True
    assert c1["chain_size_small"] is True  # two outlets in account A
    assert c1["return_damaged"] is True and c1["return_quality"] is False
    assert c1["complaint_delivery"] and c1["critical_complaint"] and c1["open_ticket"]
    assert c1["value"] == "v1"  # 3 800 yuan in 365 days


def test_a_snapshot_is_not_replaced_unless_asked(tags_home: Path, tiny_lake: Path) -> None:
    with pytest.raises(ConflictError, match="exists"):
        compute_snapshot(open_backend("duckdb"), tiny_lake, tags_home, AS_OF, now=NOW)
    assert [s.as_of for s in list_snapshots(tags_home)] == [AS_OF - dt.timedelta(days=1), AS_OF]
    assert snapshot_for(tags_home, AS_OF + dt.timedelta(days=10)).as_of == AS_OF


def test_user_defined_tags_are_computed_by_the_same_engine(tiny_lake: Path, tmp_path: Path) -> None:
    a = Tag("hotpot_chain", "custom", "flag", "火锅连锁", "Hot-pot chain",
            "cat_hotpot_heavy and biz_chain", ("cat_hotpot_heavy", "biz_chain"))  # fmt: skip
    b = Tag("hotpot_chain_recent", "custom", "flag", "近期火锅连锁", "Recent hot-pot chain",
            "hotpot_chain and recency_days <= 7", ("hotpot_chain", "recency_days"))  # fmt: skip
    snap = compute_snapshot(
        open_backend("duckdb"), tiny_lake, tmp_path, AS_OF, now=NOW, custom=[b, a]
    )
    got = {r["entity_id"]: r for r in pq.read_table(snap.file).to_pylist()}
    assert got["c1"]["hotpot_chain_recent"] is True
    assert got["c2"]["hotpot_chain"] is False
    assert snap.custom == {"hotpot_chain_recent": 1, "hotpot_chain": 1}


def test_tags_reading_each_other_in_a_cycle_are_refused() -> None:
    a = Tag("ta", "custom", "flag", "a", "a", "tb", ("tb",))
    b = Tag("tb", "custom", "flag", "b", "b", "ta", ("ta",))
    with pytest.raises(UsageError, match="cycle: ta -> tb -> ta"):
        order_custom([a, b])
