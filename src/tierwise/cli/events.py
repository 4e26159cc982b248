"""``tierwise events``: the Redis Streams consumer that regrades customers, and a sender."""

from __future__ import annotations

import signal
import sys
import time
from pathlib import Path
from typing import Annotated

import typer
from redis import Redis
from rich.console import Console

import tierwise.pipeline  # noqa: F401  (wires the operations hooks to the tier writer)
from tierwise.cli.main import app
from tierwise.grading import layout
from tierwise.realtime.consumer import GROUP, STREAM, Consumer, send
from tierwise.realtime.events import event_json, parse_event
from tierwise.realtime.regrade import Regrader
from tierwise.settings import get_settings
from tierwise.store.db import make_engine
from tierwise.store.migrate import upgrade

events_app = typer.Typer(
    help="Real-time events: consume them from Redis Streams and regrade, or send some.",
    no_args_is_help=True,
)
app.add_typer(events_app, name="events")
_out = Console(highlight=False)

RedisUrl = Annotated[
    str,
    typer.Option(envvar="TIERWISE_REDIS_URL", help="Redis URL (env TIERWISE_REDIS_URL)."),
]
Stream = Annotated[str, typer.Option(help="Stream name.")]


@events_app.command("consume")
def consume_command(
    redis_url: RedisUrl = "redis://127.0.0.1:6379/0",
    stream: Stream = STREAM,
    group: Annotated[str, typer.Option(help="Consumer group.")] = GROUP,
    runs: Annotated[
        Path | None, typer.Option(help="Runs folder (default $TIERWISE_HOME/runs).")
    ] = None,
    batch: Annotated[int, typer.Option(min=1, max=10_000, help="Entries per micro-batch.")] = 200,
    block_ms: Annotated[int, typer.Option(min=1, help="Wait for new entries (ms).")] = 20,
    idle_exit: Annotated[
        float | None, typer.Option(help="Stop after this many seconds without entries.")
    ] = None,
) -> None:
    """Regrade customers from the events on a Redis stream (ack after commit, dead letters)."""
    settings = get_settings()
    engine = make_engine(settings.state_url)
    upgrade(engine)
    regrader = Regrader(engine, runs or layout.runs_dir(settings.home))
    consumer = Consumer(
        Redis.from_url(redis_url, decode_responses=True),
        regrader,
        stream=stream,
        group=group,
        batch=batch,
        block_ms=block_ms,
    )
    stopping = {"now": False}

    def _stop(*_: object) -> None:
        stopping["now"] = True

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    _out.print(f"consuming {stream} as {consumer.name} in group {group} ...")
    try:
        n = consumer.run(lambda: stopping["now"], idle_exit_s=idle_exit)
    finally:
        consumer.redis.close()
    _out.print(f"{n} entries processed, {consumer.dead_lettered} sent to {consumer.dead_stream}")


@events_app.command("send")
def send_command(
    source: Annotated[Path, typer.Argument(help="JSON Lines file of events ('-': stdin).")],
    redis_url: RedisUrl = "redis://127.0.0.1:6379/0",
    stream: Stream = STREAM,
    rate: Annotated[
        float | None, typer.Option(min=0.1, help="Events per second (default: all at once).")
    ] = None,
) -> None:
    """Validate events and put them on the stream (for testing and replays)."""
    lines = sys.stdin.read() if str(source) == "-" else source.read_text(encoding="utf-8")
    texts = [event_json(parse_event(line)) for line in lines.splitlines() if line.strip()]
    r = Redis.from_url(redis_url, decode_responses=True)
    try:
        _push(r, texts, stream, rate)
    finally:
        r.close()
    _out.print(f"sent {len(texts)} events to {stream}")


def _push(r: Redis, texts: list[str], stream: str, rate: float | None) -> None:
    if rate is None:
        send(r, texts, stream)
    else:
        start = time.monotonic()
        for i, text in enumerate(texts):
            delay = start + i / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            r.xadd(stream, {"event": text})
