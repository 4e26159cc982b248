"""``/tasks``: retention call-back tasks through HTTP (R-OPS-5): scope, masking, updates."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tierwise.api.access import Role
from tierwise.ops.retention import sync_tasks
from tierwise.policy.schema import Retention
from tierwise.store.schema import CustomerProfile

from .conftest import MANAGER, Book, auth

OWN, OTHER = "C0000002", "C0000003"
T0 = dt.datetime(2026, 11, 1, 8)


@pytest.fixture(scope="module")
def tasks(book: Book) -> dict[str, int]:
    """One task for each of six customers (two of them the sales user's)."""
    with book.engine.connect() as conn:
        ids = conn.execute(
            select(CustomerProfile.customer_id).order_by(CustomerProfile.customer_id).limit(6)
        ).scalars()
        customers = list(ids)
    assert OWN in customers and OTHER in customers
    with book.engine.begin() as conn:
        sync_tasks(conn, Retention(), customers, now=T0, source="run", run_id="sample-run-2")
    client_ids: dict[str, int] = {}
    with book.engine.connect() as conn:
        from tierwise.store.schema import RetentionTask

        for r in conn.execute(select(RetentionTask.id, RetentionTask.customer_id)):
            client_ids[r.customer_id] = r.id
    return client_ids


def test_admin_lists_every_task_and_filters(client: TestClient, tasks: dict[str, int]) -> None:
    h = auth(Role.ADMIN)
    page = client.get("/tasks?limit=100", headers=h).json()
    assert page["total"] == len(tasks) == 6
    item = page["items"][0]
    assert item["status"] == "open" and item["due_date"] == "2026-11-04"
    assert item["overdue"] is True  # the due date is past
    assert not item["masked"] and "*" not in (item["phone"] or "")
    mine = client.get(f"/tasks?manager={MANAGER}", headers=h).json()
    assert mine["total"] >= 1 and {i["account_manager"] for i in mine["items"]} == {MANAGER}
    tier = item["tier"]
    by_tier = client.get(f"/tasks?tier={tier}", headers=h).json()
    assert by_tier["total"] >= 1 and {i["tier"] for i in by_tier["items"]} == {tier}
    assert client.get("/tasks?status=done", headers=h).json()["total"] == 0
    r = client.get("/tasks?status=closed", headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "query.status"


def test_sales_sees_only_their_own_customers_tasks(
    client: TestClient, tasks: dict[str, int]
) -> None:
    h = auth(Role.SALES)
    page = client.get("/tasks", headers=h).json()
    assert page["total"] >= 1
    assert {i["account_manager"] for i in page["items"]} == {MANAGER}
    assert OTHER not in {i["customer_id"] for i in page["items"]}
    # a filter for another manager gives nothing, not their tasks
    assert client.get("/tasks?manager=AM004", headers=h).json()["total"] == 0
    assert client.get(f"/tasks/{tasks[OWN]}", headers=h).status_code == 200
    r = client.get(f"/tasks/{tasks[OTHER]}", headers=h)
    assert r.status_code == 403 and "own customers" in r.json()["message"]
    r = client.patch(f"/tasks/{tasks[OTHER]}", headers=h, json={"status": "in_progress"})
    assert r.status_code == 403


def test_marketing_reads_tasks_masked_and_may_not_update(
    client: TestClient, tasks: dict[str, int]
) -> None:
    h = auth(Role.MARKETING)
    item = client.get(f"/tasks/{tasks[OTHER]}", headers=h).json()
    assert item["masked"] is True and "****" in item["phone"]
    r = client.patch(f"/tasks/{tasks[OTHER]}", headers=h, json={"status": "in_progress"})
    assert r.status_code == 403 and r.json()["error"] == "PermissionDeniedError"
    for role in (Role.ANALYST, Role.CUSTOMER, Role.RISK):
        assert client.get("/tasks", headers=auth(role)).status_code == 403


def test_a_manager_moves_a_task_on_with_a_note(client: TestClient, tasks: dict[str, int]) -> None:
    h = auth(Role.SALES)
    url = f"/tasks/{tasks[OWN]}"
    r = client.patch(url, headers=h, json={"status": "in_progress"})
    assert r.status_code == 200 and r.json()["status"] == "in_progress"
    r = client.patch(url, headers=h, json={"status": "done"})
    assert r.status_code == 422 and r.json()["field"] == "note"
    r = client.patch(url, headers=h, json={"status": "recovered", "note": "x"})
    assert r.status_code == 422  # set by Tierwise only
    r = client.patch(url, headers=h, json={"status": "done", "note": "打过电话，下周恢复下单"})
    body = r.json()
    assert r.status_code == 200 and body["status"] == "done"
    assert body["note"] == "打过电话，下周恢复下单" and body["updated_by"] == "user:sales-test"
    assert [(e["from_status"], e["to_status"], e["actor"]) for e in body["log"]] == [
        (None, "open", "system"),
        ("open", "in_progress", "user:sales-test"),
        ("in_progress", "done", "user:sales-test"),
    ]
    r = client.patch(url, headers=h, json={"status": "open"})
    assert r.status_code == 409 and "is done" in r.json()["message"]
    r = client.patch(url, headers=h, json={"status": "open", "colour": "red"})
    assert r.status_code == 422


def test_an_unknown_task_is_404(client: TestClient, tasks: dict[str, int]) -> None:
    r = client.get("/tasks/999999", headers=auth(Role.ADMIN))
    assert r.status_code == 404 and r.json()["error"] == "NotFoundError"
    r = client.patch("/tasks/999999", headers=auth(Role.ADMIN), json={"status": "open"})
    assert r.status_code == 404


def test_unmasked_reads_of_tasks_are_audited(client: TestClient, tasks: dict[str, int]) -> None:
    """Issue 17 #6: a task carries the customer's contact and phone; reading them unmasked is
    audited like a customer read (masked reads are not personal reads)."""

    def reads(actor: str) -> list[dict[str, object]]:
        page = client.get(
            "/audit", params={"action": "personal.read", "actor": actor, "limit": 500},
            headers=auth(Role.ADMIN),
        ).json()  # fmt: skip
        return [e for e in page["items"] if "tasks" in str(e["detail"].get("via", ""))]

    before = len(reads("user:sales-test"))
    assert client.get("/tasks", headers=auth(Role.SALES)).status_code == 200
    assert client.get(f"/tasks/{tasks[OWN]}", headers=auth(Role.SALES)).status_code == 200
    after = reads("user:sales-test")
    assert len(after) == before + 2
    assert OWN in after[0]["detail"]["first"]  # type: ignore[operator]
    marketing = len(reads("user:marketing-test"))
    assert client.get("/tasks", headers=auth(Role.MARKETING)).status_code == 200
    assert len(reads("user:marketing-test")) == marketing  # masked: nothing personal read
