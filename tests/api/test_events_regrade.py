"""POST /events regrades the customer with the latest run's cutoffs (R-GRD-9, issue 5)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from fastapi.testclient import TestClient

from tierwise.api.access import Role
from tierwise.api.app import create_app
from tierwise.pipeline.publish import grade_and_publish
from tierwise.policy import DEFAULT_POLICY, load_policy
from tierwise.settings import Settings
from tierwise.store.db import make_engine, sqlite_url
from tierwise.store.migrate import upgrade
from tierwise.store.runs import RunStore
from tinylake import small_book

from .conftest import add_role_users, auth


def test_an_order_event_upgrades_at_once_and_the_api_shows_it(tmp_path: Path) -> None:
    small_book(tmp_path / "lake")
    engine = make_engine(sqlite_url(tmp_path / "state.db"))
    upgrade(engine)
    add_role_users(engine)
    settings = Settings(home=tmp_path, env="test")
    grade_and_publish(
        load_policy(DEFAULT_POLICY), as_of=dt.date(2025, 6, 30), lake=tmp_path / "lake",
        runs=settings.runs_dir, engine=engine, policy_dir=DEFAULT_POLICY.parent,
    )  # fmt: skip
    before = RunStore(engine).tiers()
    low = min((c for c, t in before.items() if t is not None), key=lambda c: int(c[1:]))
    assert before[low] != "platinum"
    with TestClient(create_app(settings, engine=engine)) as client:
        h = auth(Role.SERVICE)
        big = {
            "idempotency_key": "order-big-0001",
            "kind": "order",
            "customer_id": low,
            "occurred_at": "2025-07-01T10:00:00+08:00",
            "amount": 90_000.0,
            "reference": "SO-BIG-1",
        }
        done = client.post("/events", json=big, headers=h)
        assert done.status_code == 202, done.text
        body = done.json()
        assert body["regraded"] is True
        assert body["tier"] != before[low]
        assert any("(upgrade)" in c for c in body["changes"])
        assert RunStore(engine).tiers()[low] == body["tier"]
        shown = client.get(f"/customers/{low}", headers=auth(Role.ADMIN))
        assert shown.status_code == 200
        assert shown.json()["tier"] == body["tier"]
        # the same event again changes nothing
        again = client.post("/events", json=big, headers=h)
        assert again.status_code == 200
        assert again.json()["duplicate"] is True
        # a return must name its order
        ret = {**big, "idempotency_key": "return-0001", "kind": "return", "amount": 100.0}
        refused = client.post("/events", json=ret, headers=h)
        assert refused.status_code == 422, refused.text
