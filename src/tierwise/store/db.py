"""Engines and sessions for the operational store.

SQLite gets WAL journaling and foreign keys on every connection (SQLite leaves both off by
default); PostgreSQL needs nothing special.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from tierwise.errors import ConfigError


def sqlite_url(path: Path) -> str:
    """The SQLAlchemy URL of a SQLite file."""
    return f"sqlite:///{path}"


def make_engine(url: str) -> Engine:
    """An engine for ``url`` (SQLite or PostgreSQL), configured for this store."""
    try:
        parsed = make_url(url)
    except Exception as err:  # SQLAlchemy raises ArgumentError with a terse message
        raise ConfigError(
            f"not a database URL: {url!r}",
            hint="use sqlite:///path/to/state.db or postgresql+psycopg://user@host:port/db",
        ) from err
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            # readers (the API) keep hot pages in memory: 64 MB cache, 256 MB memory map
            cur.execute("PRAGMA cache_size=-65536")
            cur.execute("PRAGMA mmap_size=268435456")
            cur.close()

        return engine
    if parsed.get_backend_name() == "postgresql":
        return create_engine(url, pool_pre_ping=True)
    raise ConfigError(
        f"unsupported database {parsed.get_backend_name()!r} in {url!r}",
        hint="Tierwise's store runs on SQLite or PostgreSQL",
    )


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions bound to ``engine`` that keep loaded objects usable after commit."""
    return sessionmaker(engine, expire_on_commit=False)
