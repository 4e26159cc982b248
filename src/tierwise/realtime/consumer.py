"""Redis Streams consumer: events from a stream into :meth:`Regrader.ingest`.

- one consumer group (``tierwise-regrade``); each consumer reads new entries with
  ``XREADGROUP`` in micro-batches and **acknowledges them only after the database commit**,
  so a crash between the two leaves the entries pending (and the idempotency keys make the
  second delivery harmless);
- on start, entries left pending by a dead consumer (idle longer than ``claim_idle_ms``) and
  this consumer's own pending entries are claimed with ``XAUTOCLAIM`` and processed first;
- a poison message (not JSON, not a valid event, or refused by the store for its data) goes
  to the dead-letter stream (``<stream>:dead``) with the error and the original entry id,
  and is acknowledged; a database outage is *not* poison: the batch stays pending and the
  consumer retries.

An entry has one field ``event`` with the event's JSON (``tierwise events send`` writes it).
The time of receipt is the entry id's timestamp (the XADD time).
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from redis import Redis
from redis.exceptions import ResponseError
from sqlalchemy.exc import InterfaceError, OperationalError

from tierwise.realtime.events import OrderEvent, PaymentEvent, ReturnEvent, parse_event
from tierwise.realtime.plausible import check_event, known_customers
from tierwise.realtime.regrade import Regrader

STREAM = "tierwise:events"
GROUP = "tierwise-regrade"

Entry = tuple[str, dict[str, str]]
#: called after each commit with the entry ids and the time (epoch seconds) of the commit
OnCommit = Callable[[Sequence[str], float], None]


def entry_time(entry_id: str) -> dt.datetime:
    """The XADD time of a stream entry (naive UTC), from its id ``<ms>-<seq>``."""
    ms = int(entry_id.split("-", 1)[0])
    return dt.datetime.fromtimestamp(ms / 1000, dt.UTC).replace(tzinfo=None)


def _transient(err: BaseException) -> bool:
    return isinstance(err, OperationalError | InterfaceError)


@dataclass
class Consumer:
    """One member of the regrade consumer group (see the module docstring)."""

    redis: Redis
    regrader: Regrader
    stream: str = STREAM
    group: str = GROUP
    name: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}")
    batch: int = 200
    block_ms: int = 20
    claim_idle_ms: int = 30_000
    on_commit: OnCommit | None = None
    processed: int = 0
    dead_lettered: int = 0

    @property
    def actor(self) -> str:
        """Who the stored events came from (the ``events.actor`` column)."""
        return f"redis:{self.stream}"

    @property
    def dead_stream(self) -> str:
        return f"{self.stream}:dead"

    def ensure_group(self) -> None:
        """Create the stream and the group if missing (from the stream's start)."""
        try:
            self.redis.xgroup_create(self.stream, self.group, id="0", mkstream=True)
        except ResponseError as err:
            if "BUSYGROUP" not in str(err):
                raise

    def recover(self) -> int:
        """Process entries left pending: this consumer's, and others' idle ones."""
        done = 0
        # this consumer's own pending entries (a restart under the same name)
        while True:
            resp = self.redis.xreadgroup(
                self.group, self.name, {self.stream: "0"}, count=self.batch
            )
            entries = _entries(resp)
            if not entries:
                break
            done += self.process(entries)
        start = "0-0"
        while True:
            resp = self.redis.xautoclaim(
                self.stream, self.group, self.name, self.claim_idle_ms, start, count=self.batch
            )
            start, claimed = str(resp[0]), [(i, f) for i, f in resp[1] if f is not None]
            if claimed:
                done += self.process(claimed)
            if start == "0-0":
                break
        return done

    def poll(self) -> int:
        """Read and process one micro-batch of new entries (waits up to ``block_ms``)."""
        resp = self.redis.xreadgroup(
            self.group, self.name, {self.stream: ">"}, count=self.batch, block=self.block_ms
        )
        entries = _entries(resp)
        return self.process(entries) if entries else 0

    def process(self, entries: list[Entry]) -> int:
        """Apply ``entries`` (one transaction when all are good), then acknowledge them."""
        good: list[tuple[str, OrderEvent | ReturnEvent | PaymentEvent]] = []
        for entry_id, fields in entries:
            try:
                ev = parse_event(fields.get("event", ""))
                check_event(  # the limits of POST /events and of a file ingest (issue 17 #9)
                    ev,
                    known=bool(known_customers(self.regrader.engine, {ev.customer_id})),
                    now=entry_time(entry_id),  # when it was sent to the stream
                    amount=float(ev.amount),
                )
                good.append((entry_id, ev))
            except Exception as err:
                self._dead(entry_id, fields, err)
        if good:
            try:
                self.regrader.ingest(
                    [e for _, e in good],
                    received_at=[entry_time(i) for i, _ in good],
                    actor=self.actor,
                )
            except Exception as err:
                if _transient(err):
                    raise
                # something in the batch is refused: apply one by one, dead-letter the culprits
                for entry_id, ev in good:
                    try:
                        self.regrader.ingest(
                            [ev], received_at=entry_time(entry_id), actor=self.actor
                        )
                    except Exception as one:
                        if _transient(one):
                            raise
                        self._dead(entry_id, dict(entries)[entry_id], one)
            self.redis.xack(self.stream, self.group, *[i for i, _ in good])
            if self.on_commit is not None:
                self.on_commit([i for i, _ in good], time.time())
        self.processed += len(entries)
        return len(entries)

    def _dead(self, entry_id: str, fields: dict[str, str], err: BaseException) -> None:
        self.redis.xadd(
            self.dead_stream,
            {
                "entry_id": entry_id,
                "event": fields.get("event", repr(fields)),
                "error": f"{type(err).__name__}: {err}"[:2000],
                "consumer": self.name,
            },
        )
        self.redis.xack(self.stream, self.group, entry_id)
        self.dead_lettered += 1

    def run(self, stop: Callable[[], bool], *, idle_exit_s: float | None = None) -> int:
        """Recover, then poll until ``stop()`` (or ``idle_exit_s`` without entries)."""
        self.ensure_group()
        total = self.recover()
        idle_since = time.monotonic()
        while not stop():
            n = self.poll()
            total += n
            if n:
                idle_since = time.monotonic()
            elif idle_exit_s is not None and time.monotonic() - idle_since > idle_exit_s:
                break
        return total


def _entries(resp: Any) -> list[Entry]:
    out: list[Entry] = []
    for _stream, items in resp or []:
        out.extend((str(i), dict(f)) for i, f in items if f is not None)
    return out


def send(redis: Redis, events: Sequence[str], stream: str = STREAM) -> list[str]:
    """XADD each event JSON to ``stream`` (pipelined); the entry ids."""
    pipe = redis.pipeline(transaction=False)
    for text in events:
        pipe.xadd(stream, {"event": text})
    return [str(i) for i in pipe.execute()]
