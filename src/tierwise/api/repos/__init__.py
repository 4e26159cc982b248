"""Repositories: every SQL statement the API runs lives here, never in a route."""

from __future__ import annotations


def storable(*values: str | None) -> bool:
    """Whether every given text could be stored at all: PostgreSQL refuses NUL characters,
    so a filter or id containing one matches nothing (instead of failing the query)."""
    return not any(v is not None and "\x00" in v for v in values)
