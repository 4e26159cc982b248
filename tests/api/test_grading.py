"""Policies (validate, dry-run, publish) and runs started through the API, on a tiny lake.

A run started with ``POST /runs`` is graded, published into the store and refreshes the
read model, so the customer's 360° view carries the new tier and its explanation (R-GRD-12,
R-INT-3).
"""

from __future__ import annotations

import datetime as dt
import shutil
import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tierwise.api.access import Role
from tierwise.api.app import create_app
from tierwise.policy import DEFAULT_POLICY
from tierwise.settings import Settings
from tierwise.store.db import make_engine, sqlite_url
from tierwise.store.migrate import upgrade
from tierwise.store.profiles import refresh_profiles
from tinylake import ts, write_lake

from .conftest import add_role_users, auth

ADMIN, ANALYST = auth(Role.ADMIN), auth(Role.ANALYST)


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    home = tmp_path_factory.mktemp("home")
    customers = [{"customer_id": f"c{i}", "account_manager": "AM003"} for i in range(8)]
    orders = [
        {"order_id": f"o{i}-{k}", "customer_id": f"c{i}",
         "order_time": ts(2025, 6, 25) - dt.timedelta(days=6 * k), "amount": 800 * i}
        for i in range(1, 8)
        for k in range(4 * i)
    ]  # fmt: skip
    write_lake(home / "lake", {"customers": customers, "orders": orders})
    (home / "policies").mkdir()
    shutil.copy(DEFAULT_POLICY, home / "policies" / DEFAULT_POLICY.name)
    engine = make_engine(sqlite_url(home / "state.db"))
    upgrade(engine)
    add_role_users(engine)
    refresh_profiles(engine, home / "lake", home / "runs", now=dt.datetime(2026, 1, 1))
    with TestClient(create_app(Settings(home=home, env="test"), engine=engine)) as client:
        yield client
    engine.dispose()


def _wait(client: TestClient, run_id: str) -> dict[str, object]:
    for _ in range(300):
        run = client.get(f"/runs/{run_id}", headers=ADMIN).json()
        if run["status"] != "running":
            return dict(run)
        time.sleep(0.05)
    raise AssertionError("the run did not finish")


def test_a_run_started_through_the_api_is_published_and_explained(graded: TestClient) -> None:
    name = graded.get("/policies", headers=ANALYST).json()[0]["name"]
    r = graded.post("/runs", json={"policy": name, "as_of": "2025-06-30"}, headers=ANALYST)
    assert r.status_code == 202, r.json()
    run_id = r.json()["run_id"]
    assert len(run_id) > 40  # <as_of>-<policy name>-<time>: the store takes it (migration 0005)
    run = _wait(graded, run_id)
    assert run["status"] == "published", run["error"]
    # the read model is refreshed right after the run is published (not in its transaction)
    for _ in range(300):
        view = graded.get("/customers/c7/360", headers=ADMIN).json()
        if view["profile"]["run_id"] == run_id:
            break
        time.sleep(0.05)
    assert view["profile"]["tier"] and view["profile"]["run_id"] == run_id, view["profile"]
    codes = [e["code"] for e in view["explanation"]]
    assert codes[0].startswith("TIER_") and all(e["zh"] and e["en"] for e in view["explanation"])
    assert view["features"]["orders_365d"] == 28
    assert [h["run_id"] for h in view["history"]] == [run_id]
    # not graded: ordered only once, 23 days before as_of
    assert graded.get("/customers/c1", headers=ADMIN).json()["tier"] is None
    assert (
        graded.post(
            "/runs", json={"policy": "nope", "as_of": "2025-06-30"}, headers=ADMIN
        ).status_code
        == 404
    )


def test_validate_reports_every_problem(graded: TestClient) -> None:
    ok = graded.post(
        "/policies/validate", json={"yaml": DEFAULT_POLICY.read_text()}, headers=ANALYST
    )
    assert ok.json()["valid"] is True and ok.json()["tiers"][0] == "platinum"
    bad = graded.post(
        "/policies/validate", json={"yaml": "name: x\nfoo: 1\n"}, headers=ANALYST
    ).json()
    assert bad["valid"] is False
    paths = {p["path"] for p in bad["problems"]}
    assert {"score", "tiers", "foo"} <= paths
    broken = graded.post("/policies/validate", json={"yaml": "a: [1"}, headers=ANALYST).json()
    assert broken["valid"] is False and "YAML" in broken["problems"][0]["message"]


def test_dry_run_compares_with_the_published_tiers(graded: TestClient) -> None:
    text = DEFAULT_POLICY.read_text()
    r = graded.post(
        "/policies/dry-run", json={"yaml": text, "as_of": "2025-06-30"}, headers=ANALYST
    )
    assert r.status_code == 200, r.json()
    d = r.json()
    assert d["customers"] == 8 and sum(c["customers"] for c in d["matrix"]) == 8
    bad = graded.post(
        "/policies/dry-run", json={"yaml": "name: x", "as_of": "2025-06-30"}, headers=ANALYST
    )
    assert bad.status_code == 422 and bad.json()["error"] == "PolicyError"


def test_publish_is_for_admins_and_audited(graded: TestClient) -> None:
    text = DEFAULT_POLICY.read_text().replace("name: kuailv", "name: kuailv-api", 1)
    assert graded.post("/policies/publish", json={"yaml": text}, headers=ANALYST).status_code == 403
    r = graded.post("/policies/publish", json={"yaml": text}, headers=ADMIN)
    assert r.status_code == 201, r.json()
    names = [p["name"] for p in graded.get("/policies", headers=ADMIN).json()]
    assert r.json()["name"] in names
    log = graded.get("/audit?action=policy.publish", headers=ADMIN).json()["items"]
    assert log[0]["target"] == r.json()["name"]
    assert (
        graded.post("/policies/publish", json={"yaml": "name: x"}, headers=ADMIN).status_code == 422
    )
