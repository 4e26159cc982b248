"""Fixtures of the CLI tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from threadpoolctl import threadpool_limits


@pytest.fixture(scope="session", autouse=True)
def _one_thread() -> Iterator[None]:
    """Boosters on one thread (see tests/models/conftest.py: OpenMP on a busy 2-core machine)."""
    with threadpool_limits(1):
        yield
