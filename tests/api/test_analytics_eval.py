"""``GET /analytics/metrics`` (R-ANA-6) and ``GET /analytics/effect`` (R-ANA-4) over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from anabook import RUN_1, RUN_2, build
from pg import pg_engine
from tierwise.api.access import Role
from tierwise.api.app import create_app
from tierwise.settings import Settings
from tierwise.store.db import make_engine, sqlite_url
from tierwise.store.profiles import refresh_profiles

from .conftest import add_role_users, auth


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def client(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TestClient]:
    home = tmp_path_factory.mktemp("ana-api")
    if request.param == "sqlite":
        engines: Iterator[Engine] = iter([make_engine(sqlite_url(home / "state.db"))])
    else:
        engines = pg_engine()
    engine = next(engines)
    build(home, engine)
    add_role_users(engine)
    refresh_profiles(engine, home / "lake", home / "runs", now=datetime(2025, 7, 3))
    app = create_app(Settings(home=home, env="test"), engine=engine)
    with TestClient(app) as c:
        yield c
    engine.dispose()
    for _ in engines:
        pass


def test_metrics(client: TestClient) -> None:
    r = client.get(f"/analytics/metrics?run={RUN_2}", headers=auth(Role.ANALYST))
    assert r.status_code == 200, r.json()
    body = r.json()
    assert (body["run_id"], body["as_of"], body["lookback_days"]) == (RUN_2, "2025-06-30", 90)
    gold = body["tiers"][0]
    assert gold["tier"] == "gold" and gold["customers"] == 3
    assert gold["spend"] == pytest.approx(1000.0) and gold["arpu"] == pytest.approx(1000 / 3)
    assert client.get("/analytics/metrics", headers=auth(Role.ANALYST)).json()["run_id"] == RUN_2


def test_effect(client: TestClient) -> None:
    r = client.get(
        f"/analytics/effect?run={RUN_2}&days=30&min_group=2", headers=auth(Role.MARKETING)
    )
    assert r.status_code == 200, r.json()
    body = r.json()
    assert body["complete"] and body["days_covered"] == 30
    up = next(k for k in body["by_kind"] if k["kind"] == "upgraded")
    assert up["did_spend"] == pytest.approx(125.0) and up["treated"]["customers"] == 2
    partial = client.get(f"/analytics/effect?run={RUN_2}&days=45", headers=auth(Role.ADMIN))
    assert partial.json()["days_covered"] == 31 and not partial.json()["complete"]
    assert all(k["did_spend"] is None for k in partial.json()["by_kind"])


@pytest.mark.parametrize(
    ("url", "status", "error", "text"),
    [
        ("/analytics/metrics?run=nope", 404, "NotFoundError", "no published run 'nope'"),
        ("/analytics/effect?run=nope", 404, "NotFoundError", "no published run"),
        (f"/analytics/effect?run={RUN_1}", 400, "UsageError", "first published run"),
        (f"/analytics/effect?run={RUN_2}&days=0", 422, "ValidationError", "days"),
        (f"/analytics/effect?run={RUN_2}&days=x", 422, "ValidationError", "days"),
    ],
)
def test_errors(client: TestClient, url: str, status: int, error: str, text: str) -> None:
    r = client.get(url, headers=auth(Role.ANALYST))
    assert r.status_code == status, r.json()
    assert r.json()["error"] == error and text in str(r.json())


def test_roles(client: TestClient) -> None:
    assert client.get("/analytics/effect").status_code == 401
    for role in (Role.CUSTOMER, Role.SALES):  # the role table's analytics.read
        r = client.get(f"/analytics/metrics?run={RUN_2}", headers=auth(role))
        assert r.status_code == 403 and r.json()["error"] == "PermissionDeniedError"
