# ruff: noqa: F811 - "graded" is the fixture imported from test_grading
"""Issue 17 #4 and #10: a crashed run does not block runs; a run grading nobody completes;
no API error body ever quotes SQL (R-GRD-9, R-INT-5)."""

from __future__ import annotations

import datetime as dt
import os
import re
import socket
import time
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import insert
from sqlalchemy.exc import OperationalError

from tierwise.api.access import Role
from tierwise.errors import has_sql
from tierwise.store.schema import Run

from .conftest import auth
from .test_grading import graded  # noqa: F401 - the fixture of the tiny graded book


def _h(role: Role = Role.ANALYST) -> dict[str, str]:
    return auth(role)  # made per request: a module-level token expires in a long session


def _wait(client: TestClient, run_id: str) -> dict[str, Any]:
    for _ in range(1200):
        run = client.get(f"/runs/{run_id}", headers=_h()).json()
        if run["status"] != "running":
            return dict(run)
        time.sleep(0.05)
    raise AssertionError("the run did not finish")


SQL_ERROR = (
    "IntegrityError: (sqlite3.IntegrityError) NOT NULL constraint failed: customer_tiers.customer_id\n"
    "[SQL: INSERT INTO customer_tiers (runs_below, downgrade_warning) VALUES (?, ?)]\n"
    "[parameters: (0, 0)]"
)


def _dead_pid() -> int:
    pid = 2**22 - 7
    while True:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return pid
        except PermissionError:
            pass
        pid -= 1


def _record(graded: TestClient, run_id: str, **values: Any) -> None:
    engine = graded.app.state.ctx.engine  # type: ignore[attr-defined]
    row = {
        "id": run_id, "policy_name": "p", "policy_hash": "h", "as_of": dt.date(2025, 6, 30),
        "data_fingerprint": "", "trigger": "api", "started_at": dt.datetime(2025, 7, 1),
        "counts": {}, "timings": {}, **values,
    }  # fmt: skip
    with engine.begin() as conn:
        conn.execute(insert(Run), [row])


def _policy(graded: TestClient) -> str:
    return str(graded.get("/policies", headers=_h()).json()[0]["name"])


def test_a_run_whose_process_died_does_not_block_new_runs(graded: TestClient) -> None:
    """#4: POST /runs answered 409 "still running" forever after a crash (kill -9)."""
    dead = f"{socket.gethostname()}:{_dead_pid()}"
    _record(graded, "crashed-run", status="running", owner=dead, heartbeat_at=dt.datetime.now())
    r = graded.post("/runs", json={"policy": _policy(graded), "as_of": "2025-06-30"}, headers=_h())
    assert r.status_code == 202, r.json()
    assert _wait(graded, r.json()["run_id"])["status"] == "published"
    crashed = graded.get("/runs/crashed-run", headers=_h()).json()
    assert crashed["status"] == "failed" and "abandoned" in crashed["error"]


def test_a_run_in_which_nobody_is_graded_completes_with_a_note(graded: TestClient) -> None:
    """#10: after a published run, a run grading nobody failed with raw SQL in GET /runs/{id}."""
    name = _policy(graded)
    first = graded.post("/runs", json={"policy": name, "as_of": "2025-06-30"}, headers=_h())
    assert _wait(graded, first.json()["run_id"])["status"] == "published"
    r = graded.post("/runs", json={"policy": name, "as_of": "2020-01-01"}, headers=_h())
    assert r.status_code == 202, r.json()
    run = _wait(graded, r.json()["run_id"])
    assert run["status"] == "published", run["error"]
    assert run["counts"]["graded"] == 0
    assert run["counts"]["note"].startswith("nobody was graded")
    # the customers' published tiers survive a run that graded none of them
    assert graded.get("/customers/c7", headers=_h(Role.ADMIN)).json()["tier"] is not None


def test_a_failed_run_never_shows_sql(graded: TestClient) -> None:
    _record(graded, "failed-with-sql", status="failed", error=SQL_ERROR)
    one = graded.get("/runs/failed-with-sql", headers=_h()).json()
    assert one["error"].startswith("IntegrityError") and not has_sql(one["error"])
    listed = graded.get("/runs?status=failed", headers=_h()).text
    assert "INSERT INTO" not in listed and "[SQL:" not in listed


def test_an_unexpected_database_error_answers_500_without_sql(graded: TestClient) -> None:
    ctx = graded.app.state.ctx  # type: ignore[attr-defined]
    original = ctx.runs.get

    def broken(run_id: str) -> dict[str, Any]:
        raise OperationalError(
            "SELECT runs.id FROM runs WHERE runs.id = ?", (run_id,), Exception("disk I/O error")
        )

    ctx.runs.get = broken
    try:
        with TestClient(graded.app, raise_server_exceptions=False) as c:
            r = c.get("/runs/x", headers=_h())
    finally:
        ctx.runs.get = original
    assert r.status_code == 500
    assert r.json()["error"] == "InternalError" and not has_sql(r.text), r.text


def _fill(path: str, value: str) -> str:
    return re.sub(r"\{[^}]+\}", value, path)


DRIVER = ("[SQL:", "sqlite3.", "psycopg", "sqlalche.me", "duckdb.", "Traceback")


def test_no_route_answers_an_error_with_sql(graded: TestClient) -> None:
    """Every route of the OpenAPI document, called with input a database chokes on (NUL bytes,
    quotes, numbers past 64 bits, a lone surrogate), answers without SQL or driver text."""
    spec = graded.get("/openapi.json").json()["paths"]
    values = ["x%00y'\"", "99999999999999999999999", "%ED%A0%80", "1"]
    params = {"q": "a\x00b'", "status": "x\x00", "tier": "\x00", "run": "'\x00",
              "limit": "99999999999999999999", "offset": "-1", "as_of": "0000-00-00",
              "customer_id": "C\x00", "action": "\x00", "actor": "'"}  # fmt: skip
    bodies = [None, {"unknown": "x"}, {"yaml": "a: [\x00"}, {"customer_id": "C\x00", "days": 2**70}]
    seen = 0
    for path, ops in spec.items():
        for method in ops:
            for value in values:
                for body in bodies:
                    r = graded.request(
                        method.upper(),
                        _fill(path, value),
                        params=params,
                        json=body,
                        headers=_h(Role.ADMIN),
                    )
                    if r.status_code >= 400:
                        seen += 1
                        assert not has_sql(r.text), (method, path, r.text[:300])
                        assert not any(d in r.text for d in DRIVER), (method, path, r.text[:300])
    assert seen > 100
