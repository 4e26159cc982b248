"""Shared fixtures."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from pg import pg_engine
from tierwise.store.db import make_engine, sqlite_url

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return ROOT


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An empty operational store of each supported kind (PostgreSQL: see tests/pg.py)."""
    if request.param == "sqlite":
        eng = make_engine(sqlite_url(tmp_path / "state.db"))
        yield eng
        eng.dispose()
    else:
        yield from pg_engine()
