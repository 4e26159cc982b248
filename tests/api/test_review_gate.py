"""``GET /runs/{id}/review`` and ``POST /runs/{id}/publish``: a run held for its spot check
is released over the API (issue 23 item 4, R-GRD-11), behind authentication and the
``run.release`` action."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from gatebook import held_run
from tierwise.api.access import Role
from tierwise.api.app import create_app
from tierwise.settings import Settings
from tierwise.store.migrate import upgrade
from tierwise.store.schema import AuditEntry

from .conftest import add_role_users, auth


@pytest.fixture
def gated(engine: Engine, tmp_path: Path) -> Iterator[tuple[TestClient, str, Engine]]:
    upgrade(engine)
    add_role_users(engine)
    run_id = held_run(tmp_path, engine)
    app = create_app(Settings(home=tmp_path, env="test"), engine=engine)
    with TestClient(app) as c:
        yield c, run_id, engine


def test_release_waits_for_every_verdict_then_publishes(
    gated: tuple[TestClient, str, Engine],
) -> None:
    client, run_id, engine = gated
    assert client.get(f"/runs/{run_id}", headers=auth(Role.SERVICE)).json()["status"] == (
        "awaiting_review"
    )
    held = client.get("/runs", params={"status": "awaiting_review"}, headers=auth(Role.ANALYST))
    assert [r["id"] for r in held.json()["items"]] == [run_id]

    review = client.get(f"/runs/{run_id}/review", headers=auth(Role.RISK))
    assert review.status_code == 200, review.text
    body = review.json()
    items = body["check"]["items"]
    assert body["run"]["counts"]["proposed"] == {"initial": 6}
    assert body["unreviewed"] == len(items) > 0
    assert all(i["stratum"].startswith("new:") and i["verdict"] is None for i in items)

    early = client.post(f"/runs/{run_id}/publish", headers=auth(Role.ANALYST))
    assert early.status_code == 409
    err = early.json()
    assert err["error"] == "ConflictError" and err["code"] == "spot_check_not_finished"
    assert err["unreviewed"] == err["sampled"] == len(items)
    assert err["check_id"] == body["check"]["id"] and "review them" in err["hint"]

    # no credentials: 401; a role that may not release (marketing, risk): 403
    assert client.post(f"/runs/{run_id}/publish").status_code == 401
    for role in (Role.MARKETING, Role.RISK, Role.SALES):
        denied = client.post(f"/runs/{run_id}/publish", headers=auth(role))
        assert denied.status_code == 403, (role, denied.text)
        assert denied.json()["error"] == "PermissionDeniedError"

    for i in items:
        r = client.post(
            f"/spot-checks/items/{i['id']}", json={"verdict": "agree"}, headers=auth(Role.RISK)
        )
        assert r.status_code == 200, r.text
    assert client.get(f"/runs/{run_id}/review", headers=auth(Role.RISK)).json()["unreviewed"] == 0

    released = client.post(f"/runs/{run_id}/publish", headers=auth(Role.ANALYST))
    assert released.status_code == 200, released.text
    run = released.json()
    assert run["status"] == "published" and run["published_at"] is not None
    assert run["counts"]["changes"] == {"initial": 6}
    assert run["counts"]["review"]["released_by"] == "user:analyst-test"
    again = client.post(f"/runs/{run_id}/publish", headers=auth(Role.ADMIN))
    assert again.status_code == 409 and again.json()["code"] == "run_not_awaiting_review"
    with engine.connect() as conn:
        audited = conn.execute(
            select(AuditEntry.actor, AuditEntry.target).where(AuditEntry.action == "run.release")
        ).all()
    assert [tuple(a) for a in audited] == [("user:analyst-test", run_id)]


def test_unknown_runs_are_404_and_the_route_is_documented(
    gated: tuple[TestClient, str, Engine],
) -> None:
    client, _, _ = gated
    missing = client.post("/runs/nope/publish", headers=auth(Role.ADMIN))
    assert missing.status_code == 404 and missing.json()["error"] == "NotFoundError"
    assert client.get("/runs/nope/review", headers=auth(Role.ADMIN)).status_code == 404
    spec = client.get("/openapi.json").json()
    doc = spec["paths"]["/runs/{run_id}/publish"]["post"]["responses"]
    assert {"401", "403", "404", "409"} <= set(doc)
    assert "spot_check_not_finished" in doc["409"]["description"]
    assert "four_eyes_required" in doc["409"]["description"]
