"""A small generated book shared by the world tests (one generation per session)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from tierwise.generate import GenerateConfig, generate

BOOK = GenerateConfig(
    customers=1500, months=14, seed=11, end_date=dt.date(2026, 10, 31), exports=False
)


@pytest.fixture(scope="session")
def book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("world-book")
    generate(BOOK, out)
    return out
