"""Writes: events (idempotent), overrides, webhooks (secret once), users and keys, audit."""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import inspect, select

from tierwise.api.access import Role
from tierwise.store.schema import Event

from .conftest import Book, auth

ADMIN = auth(Role.ADMIN)


def _event(**over: Any) -> dict[str, Any]:
    return {
        "idempotency_key": "order-0001-abc",
        "kind": "order",
        "customer_id": "C0000001",
        "occurred_at": "2026-11-20T10:00:00+08:00",
        "amount": 1280.5,
        "lines": [{"sku": "SKU1", "quantity": 2, "unit_price": 640.25}],
        **over,
    }


def test_events_are_idempotent(client: TestClient) -> None:
    h = auth(Role.SERVICE)
    first = client.post("/events", json=_event(), headers=h)
    assert first.status_code == 202 and first.json()["duplicate"] is False, first.text
    again = client.post("/events", json=_event(), headers=h)
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    assert again.json()["duplicate"] is True
    clash = client.post("/events", json=_event(amount=1), headers=h)
    assert clash.status_code == 409 and clash.json()["idempotency_key"] == "order-0001-abc"


def test_strict_types_and_field_errors(client: TestClient) -> None:
    h = auth(Role.SERVICE)
    r = client.post("/events", json=_event(idempotency_key="k-strict-1", amount=True), headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "body.amount"
    r = client.post("/events", json=_event(idempotency_key="k-strict-2", amount="12"), headers=h)
    assert r.status_code == 422
    r = client.post("/events", json=_event(idempotency_key="k-strict-3", extra=1), headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["type"] == "extra_forbidden"
    r = client.post(
        "/events",
        content=b'{"kind": ',
        headers={**h, "content-type": "application/json"},
    )
    assert r.status_code == 422 and r.json()["errors"][0]["type"] == "json_invalid"


def test_body_size_limit(client: TestClient) -> None:
    r = client.post("/events", json=_event(reference="x" * 5000), headers=auth(Role.SERVICE))
    assert r.status_code == 413 and r.json()["error"] == "PayloadTooLarge"


def test_overrides_need_a_known_tier_and_are_audited(client: TestClient) -> None:
    h = auth(Role.RISK)
    body = {"customer_id": "C0000009", "tier": "bronze", "reason": "法律纠纷", "days": 30}
    r = client.post("/overrides", json=body, headers=h)
    assert r.status_code == 201, r.json()
    o = r.json()
    assert client.post("/overrides", json={**body, "tier": "diamond"}, headers=h).status_code == 409
    assert client.post("/overrides", json={**body, "days": 1.5}, headers=h).status_code == 422
    assert client.post("/overrides", json={**body, "days": 30.0}, headers=h).status_code == 201
    active = client.get("/overrides?customer_id=C0000009&active=true", headers=h).json()
    assert o["id"] in [x["id"] for x in active["items"]]
    assert client.post(f"/overrides/{o['id']}/revoke", headers=h).json()["revoked_at"]
    assert client.post(f"/overrides/{o['id']}/revoke", headers=h).status_code == 404
    log = client.get("/audit?actor=user:risk-test", headers=ADMIN).json()["items"]
    assert {"override.create", "override.revoke"} <= {e["action"] for e in log}


def test_webhook_secret_is_shown_once(client: TestClient) -> None:
    r = client.post(
        "/webhooks", json={"name": "crm", "url": "https://crm.example/hook"}, headers=ADMIN
    )
    assert r.status_code == 201 and len(r.json()["secret"]) == 64
    wid = r.json()["id"]
    assert "secret" not in client.get(f"/webhooks/{wid}", headers=ADMIN).json()
    assert all("secret" not in w for w in client.get("/webhooks", headers=ADMIN).json())
    paused = client.patch(f"/webhooks/{wid}", json={"active": False}, headers=ADMIN).json()
    assert paused["active"] is False
    assert client.patch(f"/webhooks/{wid}", json={"active": 0}, headers=ADMIN).status_code == 422


def test_users_sign_in_and_keys_work_until_revoked(client: TestClient) -> None:
    r = client.post(
        "/users",
        json={"name": "am3", "role": "sales", "password": "correct horse", "manager_id": "AM003"},
        headers=ADMIN,
    )
    assert r.status_code == 201
    assert (
        client.post(
            "/users", json={"name": "x1", "role": "sales", "password": "0123456789"}, headers=ADMIN
        ).status_code
        == 422
    )  # a sales user needs its manager id
    bad = client.post("/auth/token", json={"username": "am3", "password": "wrong password"})
    assert bad.status_code == 401
    tok = client.post("/auth/token", json={"username": "am3", "password": "correct horse"}).json()
    h = {"Authorization": f"Bearer {tok['access_token']}"}
    assert tok["role"] == "sales"
    assert client.get("/customers/C0000002", headers=h).status_code == 200
    assert client.get("/customers/C0000003", headers=h).status_code == 403

    k = client.post("/api-keys", json={"name": "crm", "role": "service"}, headers=ADMIN).json()
    kh = {"X-API-Key": k["key"]}
    assert client.get("/customers/C0000003", headers=kh).status_code == 200
    assert all("key" not in x for x in client.get("/api-keys", headers=ADMIN).json())
    # two credentials at once are refused rather than one being ignored
    assert client.get("/customers/C0000003", headers={**kh, **h}).status_code == 401
    assert client.delete(f"/api-keys/{k['id']}", headers=ADMIN).status_code == 204
    assert client.get("/customers/C0000003", headers=kh).status_code == 401


def test_bad_tokens_are_401(client: TestClient) -> None:
    for value in ("Bearer nonsense", "Basic dXNlcjpwYXNz", "Bearer "):
        r = client.get("/customers", headers={"Authorization": value})
        assert r.status_code == 401, value


def test_405_lists_every_method_of_the_path(client: TestClient) -> None:
    r = client.put("/overrides", headers=ADMIN)
    assert r.status_code == 405 and r.headers["allow"] == "GET, POST"


def test_event_money_is_stored_as_exact_yuan(client: TestClient, book: Book) -> None:
    r = client.post(
        "/events",
        json=_event(idempotency_key="money-0001", amount=0.1 + 0.2, lines=[]),
        headers=auth(Role.SERVICE),
    )
    assert r.status_code == 202
    with book.engine.connect() as conn:
        payload = conn.execute(select(Event.payload).where(Event.key == "money-0001")).scalar_one()
    assert payload["amount"] == "0.30"


def test_text_a_database_cannot_store_is_refused(client: TestClient) -> None:
    h = auth(Role.SERVICE)
    for bad in ("a\x00b", "a\ud800b"):
        body = _event(idempotency_key="text-00001", reference=bad)
        r = client.post(
            "/events",
            content=json.dumps(body).encode(),
            headers={**h, "content-type": "application/json"},
        )
        assert r.status_code == 422, r.text
    huge = _event(
        idempotency_key="huge-00001", lines=[{"sku": "S", "quantity": 1, "unit_price": 1e300}]
    )
    assert client.post("/events", json=huge, headers=h).status_code == 422


def test_an_api_event_is_stored_once_in_the_event_table_the_regrade_reads(
    client: TestClient, book: Book
) -> None:
    """One event table: the route writes through the regrader into ``events`` (no receipt
    table beside it), with who sent it."""
    r = client.post(
        "/events", json=_event(idempotency_key="one-table-0001"), headers=auth(Role.SERVICE)
    )
    assert r.status_code == 202, r.text
    assert "intake_events" not in inspect(book.engine).get_table_names()
    with book.engine.connect() as conn:
        row = conn.execute(select(Event).where(Event.key == "one-table-0001")).one()
    assert row.id == r.json()["id"]
    assert row.actor == "user:service-test"
    assert (row.kind, row.customer_id, str(row.amount)) == ("order", "C0000001", "1280.50")
    assert r.json()["status"] == ("received" if row.applied_at is None else "applied")
