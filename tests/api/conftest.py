"""API fixtures: a seeded sample book on SQLite, the app, and a credential per role."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from pg import pg_engine
from tierwise.api.access import Principal, Role
from tierwise.api.app import create_app
from tierwise.api.auth import DEV_SECRET, issue_token, utcnow
from tierwise.api.repos.users import UserRepo
from tierwise.api.sample import seed
from tierwise.settings import Settings
from tierwise.store.db import make_engine, sqlite_url

# The customer the "customer" principal is bound to, and the manager "sales" is
SELF_ID = "C0000005"
MANAGER = "AM003"


@dataclass
class Book:
    home: Path
    engine: Engine
    settings: Settings


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def book(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Book]:
    """The sample book in a store of each supported kind."""
    home = tmp_path_factory.mktemp("book")
    if request.param == "sqlite":
        engines: Iterator[Engine] = iter([make_engine(sqlite_url(home / "state.db"))])
    else:
        engines = pg_engine()
    engine = next(engines)
    seed(engine, home, 40)
    add_role_users(engine)
    yield Book(home, engine, Settings(home=home, env="test", max_body_bytes=4096))
    engine.dispose()
    for _ in engines:  # drops the PostgreSQL database
        pass


@pytest.fixture(scope="module")
def client(book: Book) -> Iterator[TestClient]:
    app = create_app(book.settings, engine=book.engine)
    with TestClient(app) as c:
        yield c


def principal(role: Role) -> Principal:
    return Principal(
        f"user:{role.value}-test",
        role,
        manager_id=MANAGER if role is Role.SALES else None,
        customer_id=SELF_ID if role is Role.CUSTOMER else None,
    )


def add_role_users(engine: Engine) -> None:
    """One user per role, as :func:`principal` names them: a token's user must exist and be
    active at every request (issue 17 #3)."""
    users = UserRepo(engine)
    for role in Role:
        p = principal(role)
        users.add_user(
            p.subject.removeprefix("user:"),
            role,
            "a test password",
            now=utcnow(),
            manager_id=p.manager_id,
            customer_id=p.customer_id,
        )


def auth(role: Role) -> dict[str, str]:
    """Headers carrying a valid token for a test user in ``role``."""
    # Module-level headers (ADMIN = auth(...)) are made at collection: they must outlive a
    # whole suite run on a loaded machine, or tests late in the run see "token expired".
    tok = issue_token(principal(role), DEV_SECRET, now=utcnow(), minutes=240)
    return {"Authorization": f"Bearer {tok}"}
