"""``/experiments``, ``/pilots`` and ``/spot-checks`` as a client uses them (R-ANA-5, R-GRD-11)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from expbook import design, outlets, seed_profiles, write_book
from tierwise.api.access import Role
from tierwise.api.app import create_app
from tierwise.settings import Settings
from tierwise.store.db import make_engine, sqlite_url

from .conftest import add_role_users, auth


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    engine = make_engine(sqlite_url(tmp_path / "state.db"))
    seed_profiles(engine, outlets(300))
    add_role_users(engine)
    write_book(tmp_path / "lake", outlets(300))
    app = create_app(Settings(home=tmp_path, env="test"), engine=engine)
    with TestClient(app) as c:
        yield c
    engine.dispose()


def test_design_start_result_and_export(client: TestClient, tmp_path: Path) -> None:
    h = auth(Role.ANALYST)
    created = client.post("/experiments", json=design(), headers=h)
    assert created.status_code == 201, created.json()
    assert created.json()["status"] == "draft"
    started = client.post("/experiments/rebate/start", json={}, headers=h)
    assert started.status_code == 200, started.json()
    body = started.json()
    assert body["power"]["mde_cuped"] < body["power"]["mde"]
    assert set(body["arms"]) == {"control", "rebate"}
    csv_text = client.get("/experiments/rebate/assignment.csv", headers=auth(Role.RISK)).text
    rows = list(csv.DictReader(io.StringIO(csv_text)))
    treated = {r["customer_id"] for r in rows if r["arm"] == "rebate"}
    write_book(tmp_path / "lake", outlets(300), window_extra=dict.fromkeys(treated, 400.0))
    r = client.get("/experiments/rebate/result?as_of=2026-03-31", headers=auth(Role.MARKETING))
    assert r.status_code == 200, r.json()
    (comp,) = r.json()["comparisons"]
    assert comp["primary"]["ci_low"] > 0 and comp["always_valid"]["significant"]
    assert r.json()["srm"]["mismatch"] is False
    assert client.get("/experiments", headers=h).json()[0]["code"] == "rebate"
    audit = client.get("/audit", headers=auth(Role.ADMIN))
    if audit.status_code == 200:  # the audit route's shape belongs to the security work
        assert "experiment.start" in audit.text


def test_bad_designs_and_roles_are_refused(client: TestClient) -> None:
    h = auth(Role.ANALYST)
    bad = client.post("/experiments", json=design(end="2026-01-01", metric="mood"), headers=h)
    assert bad.status_code == 422
    assert "end 2026-01-01 is before start 2026-03-01" in bad.text
    assert "metric 'mood' does not exist" in bad.text
    assert (
        client.post("/experiments", json={**design(), "tail_days": True}, headers=h).status_code
        == 422
    )
    assert client.post("/experiments", json=design(), headers=auth(Role.RISK)).status_code == 403
    assert client.get("/experiments", headers=auth(Role.SALES)).status_code == 403
    client.post("/experiments", json=design(target_effect=0.5), headers=h)
    under = client.post("/experiments/rebate/start", json={}, headers=h)
    assert under.status_code == 400 and "underpowered" in under.json()["message"]
    forced = client.post("/experiments/rebate/start", json={"force_reason": "流程演练"}, headers=h)
    assert forced.status_code == 200 and forced.json()["forced_reason"] == "流程演练"
    client.post("/experiments", json=design("again"), headers=h)
    overlap = client.post("/experiments/again/start", json={}, headers=h)
    assert overlap.status_code == 409 and "running experiment 'rebate'" in overlap.json()["message"]
    assert client.get("/experiments/none", headers=h).status_code == 404
