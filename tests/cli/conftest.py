"""Fixtures of the CLI tests."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from threadpoolctl import threadpool_limits

from tierwise.models.orders_lake import write_orders_lake
from tierwise.settings import get_settings


@pytest.fixture(scope="session", autouse=True)
def _one_thread() -> Iterator[None]:
    """Boosters on one thread (see tests/models/conftest.py: OpenMP on a busy 2-core machine)."""
    with threadpool_limits(1):
        yield


def _write_lake(lake: Path) -> None:
    """120 outlets over two years: regular buyers, irregular ones and some who stop."""
    rng = np.random.default_rng(3)
    rows = []
    start = datetime(2024, 1, 1, 9)
    for c in range(120):
        gap = [7, 3, 20][c % 3]
        stop = 730 if c % 4 else int(rng.integers(200, 700))
        day = int(rng.integers(0, 30))
        while day < stop:
            amount = Decimal(f"{rng.lognormal(6, 0.4):.2f}")
            rows.append(
                (f"O{len(rows):07d}", f"C{c:04d}", start + timedelta(days=day), "online", amount)
            )
            day += max(1, int(rng.normal(gap, gap / 4)))
    # customers (placeholder master data) and orders: the policy engine reads both
    frame = pd.DataFrame(rows, columns=["order_id", "customer_id", "order_time", "ch", "amount"])
    write_orders_lake(frame[["customer_id", "order_time", "amount"]], lake)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("TIERWISE_HOME", str(tmp_path))
    get_settings.cache_clear()
    _write_lake(tmp_path / "lake")
    yield tmp_path
    get_settings.cache_clear()
