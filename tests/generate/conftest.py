"""A tiny generated book shared by the generator tests (one generation per session)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.dataset as ds
import pytest

from tierwise.generate import GenerateConfig, GenerateResult, generate

# 14 months ending 2026-10-31 hold the 2026 春节 (17 February) with weeks on both sides.
TINY = GenerateConfig(customers=300, months=14, seed=7, end_date=dt.date(2026, 10, 31))


@pytest.fixture(scope="session")
def book(tmp_path_factory: pytest.TempPathFactory) -> GenerateResult:
    return generate(TINY, tmp_path_factory.mktemp("book"))


@pytest.fixture(scope="session")
def manifest(book: GenerateResult) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((book.out / "truth" / "manifest.json").read_text("utf-8"))
    return data


def read_lake(out: Path, name: str) -> pa.Table:
    """A whole lake table of a generated book."""
    return ds.dataset(out / "lake" / name, format="parquet").to_table()


@pytest.fixture(scope="session")
def tiny() -> GenerateConfig:
    return TINY


@pytest.fixture(scope="session")
def read(book: GenerateResult) -> Callable[[str], pa.Table]:
    """Read a whole lake table of the tiny book."""
    return lambda name: read_lake(book.out, name)
