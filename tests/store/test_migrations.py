"""Migrations create exactly the declared tables, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect

from tierwise.errors import ConfigError
from tierwise.store.db import make_engine
from tierwise.store.migrate import upgrade
from tierwise.store.schema import Base


def test_upgrade_matches_the_declared_schema_and_is_idempotent(engine: Engine) -> None:
    upgrade(engine)
    upgrade(engine)  # a second call changes nothing
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == [], f"models and migrations disagree: {diff}"
    assert {"runs", "customer_tiers", "tier_changes", "overrides"} <= set(
        inspect(engine).get_table_names()
    )


def test_sqlite_uses_wal(tmp_path: Path) -> None:
    eng = make_engine(f"sqlite:///{tmp_path}/s.db")
    with eng.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


@pytest.mark.parametrize("url", ["mysql://x@y/z", "not a url"])
def test_unsupported_urls_are_refused_clearly(url: str) -> None:
    with pytest.raises(ConfigError):
        make_engine(url)
