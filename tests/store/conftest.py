"""Store fixtures: the same tests run on SQLite and on a real PostgreSQL server.

PostgreSQL is the throw-away server `scripts/services.sh start` runs (`make test` starts it and
exports TIERWISE_TEST_PG_URL). Without that variable the PostgreSQL cases are skipped on a
developer's machine, but fail under CI=true so that CI can never pass without them.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from tierwise.store.db import make_engine, sqlite_url


def _pg_engine() -> Iterator[Engine]:
    url = os.environ.get("TIERWISE_TEST_PG_URL")
    if not url:
        if os.environ.get("CI") == "true":
            pytest.fail("TIERWISE_TEST_PG_URL is not set: run the tests through scripts/test.sh")
        pytest.skip("no PostgreSQL: run `make test` (scripts/test.sh) to include it")
    name = f"tw_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(make_url(url).set(database=name).render_as_string(hide_password=False))
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An empty database of each supported kind."""
    if request.param == "sqlite":
        eng = make_engine(sqlite_url(tmp_path / "state.db"))
        yield eng
        eng.dispose()
    else:
        yield from _pg_engine()
