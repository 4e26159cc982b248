"""A throw-away PostgreSQL database per test (or per module), shared by every test area.

PostgreSQL is the server `scripts/services.sh start` runs (`make test` / `scripts/test.sh`
start it and export TIERWISE_TEST_PG_URL). Without that variable the PostgreSQL cases are
skipped on a developer's machine, but fail under CI=true so that CI can never pass without
them.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from tierwise.store.db import make_engine


def pg_engine() -> Iterator[Engine]:
    """Yield an engine on a new, empty database; drop the database afterwards."""
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
