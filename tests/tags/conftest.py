"""A tiny lake whose tags were worked out by hand, and a snapshot of it (issue 20)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sqlalchemy import Engine

from tierwise.engines import open_backend
from tierwise.store.db import make_engine
from tierwise.store.migrate import upgrade
from tierwise.tags.audience import RunRef
from tierwise.tags.snapshot import Snapshot, compute_snapshot
from tinylake import ts, write_lake

AS_OF = dt.date(2025, 6, 30)
NOW = dt.datetime(2025, 7, 1, 2, 0)


def lake_rows() -> dict[str, list[dict[str, object]]]:
    """c1, c2: chain account A; c1 buys hot pot every month, c2 never ordered; c3 single."""
    line = {"quantity": 1.0}
    return {
        "regions": [{"region_id": "510107", "delivery_cost": 12.5, "competition_index": 0.6}],
        "customers": [
            {"customer_id": "c1", "account_id": "A", "business_type": "chain", "cuisine": "火锅"},
            {"customer_id": "c2", "account_id": "A", "business_type": "chain"},
            {"customer_id": "c3", "signup_date": dt.date(2025, 6, 1), "scale": "small"},
        ],
        "orders": [
            # Sat 09:00 (morning), Mon 23:00 (night), Thu 12:00 and Mon 10:30 (midday)
            {
                "order_id": "o1",
                "customer_id": "c1",
                "order_time": ts(2025, 6, 28, 9),
                "amount": 1000,
            },
            {
                "order_id": "o2",
                "customer_id": "c1",
                "order_time": ts(2025, 6, 30, 23),
                "amount": 500,
            },
            {
                "order_id": "o3",
                "customer_id": "c1",
                "order_time": ts(2025, 4, 10, 12),
                "amount": 2000,
            },
            {
                "order_id": "o4",
                "customer_id": "c1",
                "order_time": dt.datetime(2025, 5, 5, 10, 30),
                "amount": 300,
            },
            {"order_id": "o5", "customer_id": "c3", "order_time": ts(2025, 7, 2), "amount": 900},
        ],
        "order_lines": [
            {
                "order_id": "o1",
                "line_no": 1,
                "sku": "S1",
                "category": "火锅食材",
                "amount": 600,
                **line,
            },
            {
                "order_id": "o1",
                "line_no": 2,
                "sku": "S2",
                "category": "鲜肉",
                "amount": 400,
                **line,
            },
            {"order_id": "o2", "sku": "S1", "category": "火锅食材", "amount": 500, **line},
            {"order_id": "o3", "sku": "S1", "category": "火锅食材", "amount": 2000, **line},
            {"order_id": "o4", "sku": "S1", "category": "火锅食材", "amount": 300, **line},
            {"order_id": "o5", "sku": "S3", "category": "蔬菜", "amount": 900, **line},
        ],
        "returns": [
            {
                "return_id": "r1",
                "order_id": "o3",
                "customer_id": "c1",
                "return_time": ts(2025, 4, 12),
                "amount": 100,
                "reason": "damaged",
            },
        ],
        "tickets": [
            {
                "ticket_id": "t1",
                "customer_id": "c1",
                "created_time": ts(2025, 6, 1),
                "kind": "complaint",
                "severity": 3,
                "topic": "delivery",
            },
        ],
    }


@pytest.fixture(scope="session")
def tiny_lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_lake(tmp_path_factory.mktemp("tags-lake") / "lake", lake_rows())


@pytest.fixture(scope="session")
def tags_home(tmp_path_factory: pytest.TempPathFactory, tiny_lake: Path) -> Path:
    """A home with the snapshot as of AS_OF and a one-day-earlier one."""
    home = tmp_path_factory.mktemp("tags-home")
    con = open_backend("duckdb")
    compute_snapshot(con, tiny_lake, home, AS_OF - dt.timedelta(days=1), now=NOW)
    compute_snapshot(con, tiny_lake, home, AS_OF, now=NOW)
    return home


@pytest.fixture(scope="session")
def snapshot(tags_home: Path) -> Snapshot:
    from tierwise.tags.snapshot import snapshot_for

    return snapshot_for(tags_home, AS_OF)


@pytest.fixture
def run_ref(tmp_path: Path) -> RunRef:
    """A published run's folder with tiers: c1 gold, c2 silver (c3 not graded)."""
    path = tmp_path / "run1"
    path.mkdir()
    pq.write_table(
        pa.table({"entity_id": ["c1", "c2"], "tier": ["gold", "silver"], "score": [0.9, 0.4],
                  "segment": ["战略客户", None], "layer_value": ["high", "low"]}),
        path / "assignments.parquet",
    )  # fmt: skip
    return RunRef("run1", AS_OF, path)


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    e = make_engine(f"sqlite:///{tmp_path / 'state.db'}")
    upgrade(e)
    return e
