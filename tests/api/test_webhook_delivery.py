"""Issue 17 #1 (R-INT-1): webhooks are delivered by `tierwise serve` and `tierwise webhooks
deliver`, one deliverer at a time, to a loopback receiver: signed, once, in order, none lost."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, insert, select

from tierwise.api.access import Role
from tierwise.api.auth import utcnow
from tierwise.api.repos.users import UserRepo
from tierwise.pipeline.delivery import OutboxSender
from tierwise.pipeline.publish import grade_and_publish
from tierwise.policy import DEFAULT_POLICY, load_policy
from tierwise.settings import Settings
from tierwise.store.db import make_engine, sqlite_url
from tierwise.store.lease import LeaseHolder
from tierwise.store.migrate import upgrade
from tierwise.store.schema import OutboxMessage
from tierwise.store.webhooks import register_webhook, verify
from tinylake import small_book

from .fuzz import free_port

PASSWORD = "a long enough password"
SECRET = "s" * 40


class Receiver:
    """A webhook receiver on 127.0.0.1 that can be 'down' (503) for a while."""

    def __init__(self) -> None:
        self.up = True
        self.got: list[dict[str, Any]] = []
        self.refused = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if not outer.up:
                    outer.refused += 1
                    self.send_response(503)
                    self.end_headers()
                    return
                outer.got.append(
                    {
                        "id": self.headers["X-Tierwise-Event-Id"],
                        "signed": verify(
                            SECRET,
                            self.headers["X-Tierwise-Timestamp"],
                            body,
                            self.headers["X-Tierwise-Signature"],
                        ),
                        "payload": json.loads(body),
                    }
                )
                self.send_response(204)
                self.end_headers()

            def log_message(self, *_args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


def _book(home: Path) -> Engine:
    small_book(home / "lake")
    engine = make_engine(sqlite_url(home / "state.db"))
    upgrade(engine)
    grade_and_publish(
        load_policy(DEFAULT_POLICY), as_of=dt.date(2025, 6, 30), lake=home / "lake",
        runs=home / "runs", engine=engine, policy_dir=DEFAULT_POLICY.parent,
    )  # fmt: skip
    users = UserRepo(engine)
    users.add_user("boss", Role.ADMIN, PASSWORD, now=utcnow())
    users.add_user("crm", Role.SERVICE, PASSWORD, now=utcnow())
    return engine


def _wait_for(cond: Any, seconds: float = 60) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if cond():
            return
        time.sleep(0.1)
    raise AssertionError("timed out")


def _outbox(engine: Engine) -> list[tuple[str, str]]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(OutboxMessage.event_id, OutboxMessage.status).order_by(OutboxMessage.id)
        ).all()
    return [(r.event_id, r.status) for r in rows]


@pytest.mark.slow  # a served app with two workers: imports alone take a while on a busy machine
def test_serve_delivers_signed_messages_once_in_order_across_an_outage(
    tmp_path: Path, receiver: Receiver
) -> None:
    engine = _book(tmp_path)
    port = free_port()
    env = {**os.environ, "TIERWISE_HOME": str(tmp_path), "TIERWISE_ENV": "test",
           "TIERWISE_WEBHOOK_POLL_SECONDS": "0.2", "TIERWISE_WEBHOOK_RETRY_SECONDS": "0.2"}  # fmt: skip
    env.pop("TIERWISE_DATABASE_URL", None)
    env.pop("TIERWISE_SECRET_KEY", None)
    log = open(tmp_path / "serve.log", "w")  # noqa: SIM115 - closed below
    server = subprocess.Popen(
        [sys.executable, "-m", "tierwise", "serve", "--port", str(port), "--workers", "2",
         "--no-refresh"],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for(lambda: _health(base) or server.poll() is not None, 600)
        assert server.poll() is None, (tmp_path / "serve.log").read_text()
        with httpx.Client(base_url=base, timeout=30) as c:
            admin = _login(c, "boss")
            r = c.post(
                "/webhooks",
                json={"name": "crm", "url": receiver.url, "events": ["tier.changed"]},
                headers=admin,
            )
            assert r.status_code == 201, r.text
            secret = r.json()["secret"]
            with engine.begin() as conn:  # the receiver's key (the API generated a random one)
                from sqlalchemy import update

                from tierwise.store.schema import Webhook

                conn.execute(update(Webhook).values(secret=SECRET))
            assert secret
            crm = _login(c, "crm")
            assert _order(c, crm, "c1", 1).status_code == 202
            _wait_for(lambda: len(receiver.got) == 1)
            first = receiver.got[0]
            assert first["signed"] and first["payload"]["event"] == "tier.changed"
            assert first["payload"]["changes"][0]["customer_id"] == "c1"
            # the receiver goes down; events keep coming; then it is back
            receiver.up = False
            for i, cid in enumerate(["c2", "c1", "c3", "c2"], start=2):
                assert _order(c, crm, cid, i).status_code == 202
            _wait_for(lambda: receiver.refused >= 2)
            receiver.up = True
            _wait_for(lambda: all(s == "delivered" for _, s in _outbox(engine)), 90)
    finally:
        server.terminate()
        server.wait(timeout=60)
        log.close()
    sent = _outbox(engine)
    assert len(sent) >= 3, (tmp_path / "serve.log").read_text()
    ids = [m["id"] for m in receiver.got]
    assert ids == [e for e, _ in sent]  # every message, once, in the order queued
    assert all(m["signed"] for m in receiver.got)
    # per customer, the changes arrive in the order they happened
    seen: dict[str, list[str]] = {}
    for m in receiver.got:
        for ch in m["payload"]["changes"]:
            seen.setdefault(ch["customer_id"], []).append(ch["effective"])
    assert all(v == sorted(v) for v in seen.values())


def _health(base: str) -> bool:
    try:
        return httpx.get(f"{base}/health", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


def _login(c: httpx.Client, name: str) -> dict[str, str]:
    r = c.post("/auth/token", json={"username": name, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def _order(c: httpx.Client, h: dict[str, str], cid: str, i: int) -> httpx.Response:
    return c.post(
        "/events",
        json={"idempotency_key": f"order-hook-{i:04d}", "kind": "order", "customer_id": cid,
              "occurred_at": f"2025-07-{i:02d}T10:00:00+08:00", "amount": 40_000.0 * i,
              "reference": f"SO-HOOK-{i}"},
        headers=h,
    )  # fmt: skip


def test_one_deliverer_at_a_time(tmp_path: Path) -> None:
    engine = make_engine(sqlite_url(tmp_path / "state.db"))
    upgrade(engine)
    now = utcnow()
    a = LeaseHolder(engine, "job", ttl=dt.timedelta(seconds=30))
    b = LeaseHolder(engine, "job", ttl=dt.timedelta(seconds=30))
    assert a.acquire(now) and not b.acquire(now)
    assert a.acquire(now + dt.timedelta(seconds=10))  # renewed by its holder
    assert not b.acquire(now + dt.timedelta(seconds=35))  # renewed at +10: held until +40
    assert b.acquire(now + dt.timedelta(seconds=41))  # a died: its lease expired
    assert not a.acquire(now + dt.timedelta(seconds=42))
    b.release()
    assert a.acquire(now + dt.timedelta(seconds=43))
    settings = Settings(home=tmp_path, env="test")
    first, second = OutboxSender(engine, settings), OutboxSender(engine, settings)
    try:
        assert first.deliver() is not None
        assert second.deliver() is None  # the lease is the first one's
    finally:
        first.close()
        second.close()


def test_webhooks_deliver_command(tmp_path: Path, receiver: Receiver) -> None:
    engine = make_engine(sqlite_url(tmp_path / "state.db"))
    upgrade(engine)
    hook = register_webhook(engine, name="crm", url=receiver.url, secret=SECRET, now=utcnow())
    with engine.begin() as conn:
        conn.execute(
            insert(OutboxMessage),
            [
                {"webhook_id": hook, "event_id": f"e{i}", "event_type": "tier.changed",
                 "payload": {"event": "tier.changed", "n": i}, "status": "pending",
                 "attempts": 0, "created_at": utcnow(), "next_attempt_at": utcnow()}
                for i in range(3)
            ],
        )  # fmt: skip
    env = {**os.environ, "TIERWISE_HOME": str(tmp_path)}
    env.pop("TIERWISE_DATABASE_URL", None)
    done = subprocess.run(
        [sys.executable, "-m", "tierwise", "webhooks", "deliver"],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "3 delivered, 0 failed" in done.stdout
    assert [m["id"] for m in receiver.got] == ["e0", "e1", "e2"]
    assert all(m["signed"] for m in receiver.got)
    again = subprocess.run(
        [sys.executable, "-m", "tierwise", "webhooks", "deliver"],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert "0 delivered" in again.stdout and len(receiver.got) == 3
