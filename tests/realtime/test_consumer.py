"""The Redis Streams consumer on a real Redis (scripts/services.sh): ack after the commit,
recovery of pending entries, dead letters; and ``tierwise events send``."""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from redis import Redis
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from typer.testing import CliRunner

from conftest import World, make_world
from tierwise.realtime import OrderEvent, event_json
from tierwise.realtime.consumer import Consumer, entry_time, send
from tierwise.store.db import make_engine, sqlite_url
from tierwise.store.runs import RunStore
from tierwise.store.schema import Event


@pytest.fixture
def redis() -> Iterator[Redis]:  # type: ignore[type-arg]
    url = os.environ.get("TIERWISE_TEST_REDIS_URL")
    if not url:
        if os.environ.get("CI") == "true":
            pytest.fail("TIERWISE_TEST_REDIS_URL is not set: run the tests through scripts/test.sh")
        pytest.skip("no Redis: run `make test` (scripts/test.sh) to include it")
    r = Redis.from_url(url, decode_responses=True)
    yield r
    r.close()


@pytest.fixture
def stream(redis: Redis) -> Iterator[str]:  # type: ignore[type-arg]
    name = f"test:{uuid.uuid4().hex[:10]}"
    yield name
    redis.delete(name, f"{name}:dead")


@pytest.fixture
def sworld(tmp_path: Path) -> Iterator[World]:
    engine = make_engine(sqlite_url(tmp_path / "state.db"))
    yield make_world(engine, tmp_path)
    engine.dispose()


def upgrade_c4(oid: str = "N1") -> str:
    return event_json(
        OrderEvent(order_id=oid, customer_id="c4", order_time=dt.datetime(2025, 7, 1, 9),
                   amount=Decimal(1000))
    )  # fmt: skip


def pending(redis: Redis, stream: str) -> int:  # type: ignore[type-arg]
    return int(redis.xpending(stream, "tierwise-regrade")["pending"])


def test_events_are_applied_acked_and_poison_goes_to_the_dead_letters(
    redis: Redis,  # type: ignore[type-arg]
    stream: str,
    sworld: World,
) -> None:
    ids = send(redis, [upgrade_c4(), "{not json", upgrade_c4()], stream)  # third: a duplicate
    commits: list[str] = []
    c = Consumer(redis, sworld.regrader, stream=stream, name="a",
                 on_commit=lambda done, _t: commits.extend(done))  # fmt: skip
    assert c.run(lambda: False, idle_exit_s=0.2) == 3
    assert RunStore(sworld.engine).tiers()["c4"] == "gold"
    assert pending(redis, stream) == 0
    assert commits == [ids[0], ids[2]]
    dead = redis.xrange(f"{stream}:dead")
    assert len(dead) == 1
    assert dead[0][1]["entry_id"] == ids[1] and "invalid event" in dead[0][1]["error"]
    assert entry_time(ids[0]) <= dt.datetime.now(dt.UTC).replace(tzinfo=None)
    # stored in the one event table, through the same write path as the API's, with its sender
    with sworld.engine.connect() as conn:
        stored = conn.execute(select(Event.key, Event.actor)).all()
    assert [tuple(r) for r in stored] == [("order:N1", f"redis:{stream}")]


def test_nothing_is_acked_when_the_commit_fails_and_a_restart_recovers(
    redis: Redis,  # type: ignore[type-arg]
    stream: str,
    sworld: World,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    send(redis, [upgrade_c4()], stream)
    c = Consumer(redis, sworld.regrader, stream=stream, name="a")
    c.ensure_group()

    def down(*_a: object, **_k: object) -> None:
        raise OperationalError("INSERT", {}, Exception("database is down"))

    with monkeypatch.context() as m:
        m.setattr(sworld.regrader, "ingest", down)
        with pytest.raises(OperationalError):
            c.poll()
    assert pending(redis, stream) == 1  # read, not acknowledged, not dead-lettered
    assert redis.xlen(f"{stream}:dead") == 0
    assert RunStore(sworld.engine).tiers()["c4"] == "bronze"
    # another consumer takes over the idle entry on start (XAUTOCLAIM)
    b = Consumer(redis, sworld.regrader, stream=stream, name="b", claim_idle_ms=0)
    assert b.recover() == 1
    assert pending(redis, stream) == 0
    assert RunStore(sworld.engine).tiers()["c4"] == "gold"


def test_a_restarted_consumer_processes_its_own_pending_entries(
    redis: Redis,  # type: ignore[type-arg]
    stream: str,
    sworld: World,
) -> None:
    send(redis, [upgrade_c4()], stream)
    c = Consumer(redis, sworld.regrader, stream=stream, name="a", claim_idle_ms=3_600_000)
    c.ensure_group()
    redis.xreadgroup("tierwise-regrade", "a", {stream: ">"})  # delivered, then "crash"
    assert pending(redis, stream) == 1
    again = Consumer(redis, sworld.regrader, stream=stream, name="a", claim_idle_ms=3_600_000)
    assert again.run(lambda: False, idle_exit_s=0.1) == 1
    assert pending(redis, stream) == 0
    assert RunStore(sworld.engine).tiers()["c4"] == "gold"


def test_events_send_validates_and_pushes(
    redis: Redis,  # type: ignore[type-arg]
    stream: str,
    tmp_path: Path,
) -> None:
    from tierwise.cli.main import _load_commands, app

    _load_commands()
    src = tmp_path / "events.jsonl"
    src.write_text(upgrade_c4("A") + "\n" + upgrade_c4("B") + "\n", encoding="utf-8")
    url = os.environ["TIERWISE_TEST_REDIS_URL"]
    res = CliRunner().invoke(
        app, ["events", "send", str(src), "--redis-url", url, "--stream", stream, "--rate", "100"]
    )
    assert res.exit_code == 0, res.output
    assert redis.xlen(stream) == 2
    src.write_text('{"kind": "order"}\n', encoding="utf-8")
    bad = CliRunner().invoke(
        app, ["events", "send", str(src), "--redis-url", url, "--stream", stream]
    )
    assert bad.exit_code != 0
    assert redis.xlen(stream) == 2


def test_unknown_customers_and_future_events_are_dead_lettered(
    redis: Redis,  # type: ignore[type-arg]
    stream: str,
    sworld: World,
) -> None:
    """Issue 17 #9: the consumer applies the limits of POST /events and of a file ingest."""
    unknown = event_json(
        OrderEvent(order_id="U1", customer_id="nobody", order_time=dt.datetime(2025, 7, 1, 9),
                   amount=Decimal(10))
    )  # fmt: skip
    future = event_json(
        OrderEvent(order_id="F1", customer_id="c4", order_time=dt.datetime(2099, 1, 1, 9),
                   amount=Decimal(90_000))
    )  # fmt: skip
    ids = send(redis, [unknown, future], stream)
    c = Consumer(redis, sworld.regrader, stream=stream, name="a")
    assert c.run(lambda: False, idle_exit_s=0.2) == 2
    dead = {d[1]["entry_id"]: d[1]["error"] for d in redis.xrange(f"{stream}:dead")}
    assert "unknown customer 'nobody'" in dead[ids[0]]
    assert "in the future" in dead[ids[1]]
    with sworld.engine.connect() as conn:
        assert conn.execute(select(Event.id)).first() is None
    assert RunStore(sworld.engine).tiers()["c4"] != "gold"
