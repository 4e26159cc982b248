"""One Spark session and one generated book for the engine tests (a session each)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tierwise.generate import GenerateConfig, generate

# demo-like: 300 customers over 14 months, as the generator's own tests use
BOOK = GenerateConfig(
    customers=300, months=14, seed=7, end_date=dt.date(2026, 10, 31), exports=False
)


@pytest.fixture(scope="session")
def demo_lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo-book")
    generate(BOOK, out)
    return out / "lake"


@pytest.fixture(scope="session")
def spark_con() -> Iterator[Any]:
    """An Ibis backend on a local[2] SparkSession, started once (about 15-30 s)."""
    from tierwise.engines import open_backend

    con = open_backend("spark", spark_master="local[2]")
    yield con
    con.disconnect()
