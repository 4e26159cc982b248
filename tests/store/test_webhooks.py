"""Tier changes reach CRM/ERP webhooks: signed, in order, across a receiver outage (R-INT-1)."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from sqlalchemy import Engine, select

from tierwise.store.migrate import upgrade
from tierwise.store.runs import Assignment, Cutoff, RunStore
from tierwise.store.schema import OutboxMessage
from tierwise.store.webhooks import (
    EVENT_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    Deliverer,
    register_webhook,
    retry_dead,
    verify,
)
from tierwise.tierstate.decide import StabilityRule

SECRET = "s3cret-for-tests"
CUTS = [Cutoff("gold", 0, 70.0), Cutoff("silver", 1, 40.0), Cutoff("bronze", 2, None)]
T0 = datetime(2026, 2, 1, 8, 0)


class Receiver:
    """A real HTTP receiver on loopback that can be told to fail."""

    def __init__(self) -> None:
        self.fail_next = 0
        self.accepted: list[dict[str, object]] = []
        self.bad_signatures = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if not verify(
                    SECRET, self.headers[TIMESTAMP_HEADER], body, self.headers[SIGNATURE_HEADER]
                ):
                    outer.bad_signatures += 1
                    self.send_response(401)
                    self.end_headers()
                    return
                if outer.fail_next > 0:
                    outer.fail_next -= 1
                    self.send_response(503)
                    self.end_headers()
                    self.wfile.write(b"busy")
                    return
                outer.accepted.append({"event_id": self.headers[EVENT_HEADER], **json.loads(body)})
                self.send_response(204)
                self.end_headers()

            def log_message(self, *_args: object) -> None:
                pass

        self.handler = Handler
        # a free port, with nothing listening on it until start(): the receiver is "down"
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/hook"
        self.thread: threading.Thread | None = None

    def start(self) -> None:
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), self.handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    if r.thread is not None:
        r.stop()


def publish(store: RunStore, run_id: str, as_of: date, scores: dict[str, float]) -> None:
    store.begin(
        run_id, policy_name="p", policy_hash="h", as_of=as_of, data_fingerprint="f", started_at=T0
    )

    def tier(s: float) -> str:
        return "gold" if s >= 70 else "silver" if s >= 40 else "bronze"

    store.publish(
        run_id,
        [Assignment(c, tier(s), s) for c, s in scores.items()],
        CUTS,
        rule=StabilityRule(downgrade_after_runs=1),
        now=T0,
    )


def test_changes_survive_a_receiver_outage_and_arrive_in_order(
    engine: Engine, receiver: Receiver
) -> None:
    upgrade(engine)
    register_webhook(engine, name="crm", url=receiver.url, secret=SECRET, now=T0)
    store = RunStore(engine)
    publish(store, "r1", date(2026, 1, 31), {"a": 80, "b": 50})
    publish(store, "r2", date(2026, 2, 28), {"a": 30, "b": 90})

    with httpx.Client(timeout=2) as client:
        deliverer = Deliverer(engine, client, base_delay=timedelta(seconds=10), jitter=0)
        # the receiver is down (nothing listens yet): nothing is lost, the first message waits
        report = deliverer.deliver_due(T0)
        assert (report.delivered, report.failed) == (0, 1)
        assert "ConnectError" in report.errors[0]
        # back up, but answering 503 twice
        receiver.start()
        receiver.fail_next = 2
        now = T0
        for _ in range(10):
            now += timedelta(minutes=5)
            deliverer.deliver_due(now)
        with engine.connect() as conn:
            statuses = conn.execute(
                select(OutboxMessage.status, OutboxMessage.attempts).order_by(OutboxMessage.id)
            ).all()
    assert [s.status for s in statuses] == ["delivered", "delivered"]
    assert statuses[0].attempts == 4  # refused connection, 503, 503, accepted
    assert receiver.bad_signatures == 0
    assert [m["run_id"] for m in receiver.accepted] == ["r1", "r2"]
    second = receiver.accepted[1]["changes"]
    assert isinstance(second, list)
    assert {(c["customer_id"], c["from_tier"], c["to_tier"], c["reason_code"]) for c in second} == {
        ("a", "gold", "silver", "downgrade"),
        ("b", "silver", "gold", "upgrade"),
    }


def test_backoff_grows_and_dead_messages_can_be_retried(engine: Engine, receiver: Receiver) -> None:
    upgrade(engine)
    hook = register_webhook(engine, name="erp", url=receiver.url, secret=SECRET, now=T0)
    receiver.start()
    receiver.fail_next = 100
    store = RunStore(engine)
    publish(store, "r1", date(2026, 1, 31), {"a": 80})
    with httpx.Client(timeout=2) as client:
        deliverer = Deliverer(
            engine, client, max_attempts=3, base_delay=timedelta(seconds=10), jitter=0
        )
        assert [deliverer.backoff(n) for n in (1, 2, 3)] == [
            timedelta(seconds=s) for s in (10, 20, 40)
        ]
        now = T0
        for _ in range(3):
            deliverer.deliver_due(now)
            now += timedelta(hours=1)
        with engine.connect() as conn:
            assert conn.execute(select(OutboxMessage.status)).scalar_one() == "dead"
        assert retry_dead(engine, hook, now) == 1
        receiver.fail_next = 0
        assert deliverer.deliver_due(now).delivered == 1
    assert len(receiver.accepted) == 1


def test_a_tampered_body_fails_verification() -> None:
    from tierwise.store.webhooks import sign

    sig = sign(SECRET, "1700000000", b'{"a":1}')
    assert verify(SECRET, "1700000000", b'{"a":1}', sig)
    assert not verify(SECRET, "1700000000", b'{"a":2}', sig)
    assert not verify("other", "1700000000", b'{"a":1}', sig)
